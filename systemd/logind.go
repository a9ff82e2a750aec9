package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"
)

// ScheduledShutdown is a shutdown or reboot that logind has scheduled
// (`shutdown -r +10`).
type ScheduledShutdown struct {
	// Kind is logind's word for it: "reboot", "poweroff", "halt", "kexec",
	// "dry-reboot", ...
	Kind string `json:"kind"`
	// At is when it happens.
	At time.Time `json:"at"`
}

// ReadScheduledShutdown reads logind's ScheduledShutdown property, (st):
// the kind and the time in microseconds since the epoch; nil when none is
// scheduled. address is a D-Bus address; "" is the system bus socket
// below rootFS, and its absence (no system bus) is an error wrapping
// fs.ErrNotExist. The call honours ctx's deadline.
func ReadScheduledShutdown(ctx context.Context, address, rootFS string) (*ScheduledShutdown, error) {
	if address == "" {
		sock := filepath.Join(rootFS, "run", "dbus", "system_bus_socket")
		if _, err := os.Stat(sock); err != nil {
			return nil, fmt.Errorf("logind: no system bus: %w", err)
		}
		address = "unix:path=" + sock
	}
	conn, err := dbus.Connect(address, dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("logind: %w", err)
	}
	defer conn.Close()
	var v dbus.Variant
	err = conn.Object("org.freedesktop.login1", "/org/freedesktop/login1").
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.login1.Manager", "ScheduledShutdown").Store(&v)
	if err != nil {
		return nil, fmt.Errorf("logind: ScheduledShutdown: %w", err)
	}
	var raw struct {
		Kind string
		USec uint64
	}
	if err := dbus.Store([]any{v.Value()}, &raw); err != nil {
		return nil, fmt.Errorf("logind: ScheduledShutdown has type %s: %w", v.Signature(), err)
	}
	if raw.Kind == "" || raw.USec == 0 {
		return nil, nil
	}
	if raw.USec > uint64(1<<62) {
		return nil, errors.New("logind: ScheduledShutdown time out of range")
	}
	return &ScheduledShutdown{Kind: raw.Kind, At: time.UnixMicro(int64(raw.USec)).UTC()}, nil
}
