package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/godbus/dbus/v5"
)

// errNoManager says that there is no service manager to ask (no socket):
// a host without systemd, or a container.
var errNoManager = errors.New("no service manager socket")

// shutdownUnits maps the units whose start job means a shutdown of that
// kind (systemd.special(7)); the targets are what systemctl reboot and
// friends start, the services what those targets pull in.
var shutdownUnits = map[string]string{
	"reboot.target": history.KindReboot, "systemd-reboot.service": history.KindReboot,
	"poweroff.target": history.KindPoweroff, "systemd-poweroff.service": history.KindPoweroff,
	"halt.target": history.KindHalt, "systemd-halt.service": history.KindHalt,
	"kexec.target": history.KindKexec, "systemd-kexec.service": history.KindKexec,
}

// QueuedShutdown returns a function that asks the service manager, read
// only, which shutdown it has queued: the manager's ListJobs, a start job
// of reboot.target, poweroff.target, halt.target or kexec.target (or their
// services). address and bus are the systemd collector's (an empty
// address is systemd.DefaultAddress for the system manager). The kind is
// empty when no such job is queued; detail names the job found.
func QueuedShutdown(address string, bus bool) func(ctx context.Context) (kind, detail string, err error) {
	if address == "" {
		address = systemd.DefaultAddress(systemd.ScopeSystem, bus)
	}
	return func(ctx context.Context) (string, string, error) {
		jobs, err := listJobs(ctx, address, bus)
		if err != nil {
			return "", "", err
		}
		return shutdownKind(jobs)
	}
}

// job is one row of the manager's ListJobs, a(usssoo).
type job struct {
	ID       uint32
	Unit     string
	Type     string
	State    string
	JobPath  dbus.ObjectPath
	UnitPath dbus.ObjectPath
}

// shutdownKind picks the shutdown kind the queued jobs show.
func shutdownKind(jobs []job) (string, string, error) {
	for _, j := range jobs {
		if k, ok := shutdownUnits[j.Unit]; ok && j.Type == "start" {
			return k, fmt.Sprintf("job %d %s %s %s", j.ID, j.Unit, j.Type, j.State), nil
		}
	}
	return "", fmt.Sprintf("no shutdown job among %d queued", len(jobs)), nil
}

// listJobs calls the manager's ListJobs over address within ctx.
func listJobs(ctx context.Context, address string, bus bool) ([]job, error) {
	p, ok := strings.CutPrefix(address, "unix:path=")
	if !ok || strings.Contains(p, ",") {
		return nil, fmt.Errorf("shutdown: unsupported D-Bus address %q", address)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v", errNoManager, err)
		}
		return nil, fmt.Errorf("shutdown: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	// Closing the socket is what unblocks godbus when ctx ends.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	conn, err := dbus.NewConn(nc, dbus.WithContext(ctx))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("shutdown: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		return nil, fmt.Errorf("shutdown: authenticate to %s: %w", address, err)
	}
	if bus {
		if err := conn.Hello(); err != nil {
			return nil, fmt.Errorf("shutdown: %s: %w", address, err)
		}
	}
	obj := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	// The manager's private socket may leave the first message after
	// authentication unread until more bytes arrive: a Ping that goes
	// unanswered for a moment is sent again before the real call.
	for {
		pctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err := obj.CallWithContext(pctx, "org.freedesktop.DBus.Peer.Ping", 0).Err
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("shutdown: %s does not answer: %w", address, ctx.Err())
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("shutdown: %s: %w", address, err)
		}
	}
	var jobs []job
	if err := obj.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.ListJobs", 0).Store(&jobs); err != nil {
		return nil, fmt.Errorf("shutdown: ListJobs: %w", err)
	}
	return jobs, nil
}
