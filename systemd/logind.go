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
// scheduled. A time past year 9999 (the property is whatever 64-bit count
// the shutdown was scheduled with) is an error wrapping ErrTimeOutOfRange.
// address is a D-Bus address; "" is the system bus socket below rootFS,
// and its absence (no system bus) is an error wrapping fs.ErrNotExist. The
// call honours ctx's deadline.
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
	if raw.USec > maxUSec {
		return nil, fmt.Errorf("logind: ScheduledShutdown %q at %d µs after the epoch, past the end of year 9999: %w", raw.Kind, raw.USec, ErrTimeOutOfRange)
	}
	return &ScheduledShutdown{Kind: raw.Kind, At: time.UnixMicro(int64(raw.USec)).UTC()}, nil
}

// ErrTimeOutOfRange is wrapped by the error of a time that no date can
// stand for: past the end of year 9999, which RFC 3339, and so a JSON
// time, cannot write.
var ErrTimeOutOfRange = errors.New("time out of range")

// maxUSec is the last microsecond of year 9999, since the epoch.
var maxUSec = uint64(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() - 1)
