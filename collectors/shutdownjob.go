package collectors

import (
	"context"
	"fmt"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/systemd"
)

// shutdownKinds maps systemd's word for a queued shutdown to the kind a
// checkpoint's stop mark records.
var shutdownKinds = map[string]string{
	"reboot":   history.KindReboot,
	"poweroff": history.KindPoweroff,
	"halt":     history.KindHalt,
	"kexec":    history.KindKexec,
}

// QueuedShutdown returns a function that asks the service manager, read
// only, which shutdown it has queued (systemd.QueuedShutdown). address
// and bus are the systemd collector's (an empty address is
// systemd.DefaultAddress for the system manager). The kind is empty when
// no such job is queued; detail names the job found, or how many jobs
// were queued. The error of a host without a manager wraps
// fs.ErrNotExist.
func QueuedShutdown(address string, bus bool) func(ctx context.Context) (kind, detail string, err error) {
	if address == "" {
		address = systemd.DefaultAddress(systemd.ScopeSystem, bus)
	}
	return func(ctx context.Context) (string, string, error) {
		job, queued, err := systemd.QueuedShutdown(ctx, address, bus)
		if err != nil {
			return "", "", err
		}
		return shutdownKind(job, queued)
	}
}

// shutdownKind says what a queued shutdown job means for the stop mark.
func shutdownKind(job *systemd.ShutdownJob, queued int) (string, string, error) {
	if job == nil {
		return "", fmt.Sprintf("no shutdown job among %d queued", queued), nil
	}
	k, ok := shutdownKinds[job.Kind]
	if !ok {
		return "", "", fmt.Errorf("shutdown: %s: unknown kind %q", job, job.Kind)
	}
	return k, job.String(), nil
}
