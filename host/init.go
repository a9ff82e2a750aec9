package host

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"strings"
)

// Init is what PID 1 is.
type Init struct {
	// Name is PID 1's command name (/proc/1/comm): systemd, init,
	// runit, tini, dumb-init, sh, ...
	Name string `json:"name"`
	// Path is the executable it runs (/proc/1/exe), empty when the
	// link cannot be read: reading another user's process's executable
	// needs CAP_SYS_PTRACE.
	Path string `json:"path,omitempty"`
	// Deleted says the executable was replaced on disk since PID 1
	// started it (an upgraded init that has not re-executed).
	Deleted bool `json:"deleted,omitempty"`
	// Version is the service manager's own version, when PID 1 is
	// systemd and it answered (the systemd collector's).
	Version string `json:"version,omitempty"`
}

// Init reads what PID 1 is from procfs: its name from 1/comm, its
// executable from the 1/exe link. What could not be read is in the
// returned errors, under "init" (the name: nothing is known) or
// "init_path" (the link; the name stands). A link the agent may not read
// (it needs CAP_SYS_PTRACE) or that is not there leaves Path empty and is
// no error.
func (f FS) Init() (Init, FieldErrors) {
	name, err := f.proc.ReadString("1/comm")
	if err != nil {
		return Init{}, FieldErrors{"init": fmt.Errorf("host: init: %w", err)}
	}
	in := Init{Name: name}
	exe, err := f.proc.Readlink("1/exe")
	switch {
	case errors.Is(err, iofs.ErrPermission) || errors.Is(err, iofs.ErrNotExist):
		// Reading another user's process's executable needs
		// CAP_SYS_PTRACE (a deployment without it is expected, and
		// documented); a procfs without the link has none to read.
		return in, nil
	case err != nil:
		return in, FieldErrors{"init_path": fmt.Errorf("host: init executable: %w", err)}
	}
	in.Path, in.Deleted = strings.CutSuffix(exe, " (deleted)")
	return in, nil
}
