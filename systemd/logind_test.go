package systemd

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/fakelogind"
)

// TestReadScheduledShutdown reads logind's property over real D-Bus: a
// scheduled reboot, none, one of the wrong type, one past year 9999 (which
// no JSON time can hold) and the last microsecond before it, and no
// system bus.
func TestReadScheduledShutdown(t *testing.T) {
	at := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	ss, err := ReadScheduledShutdown(context.Background(), fakelogind.Start(t, fakelogind.Shutdown{Kind: "reboot", USec: uint64(at.UnixMicro())}), "/")
	if err != nil || ss == nil || ss.Kind != "reboot" || !ss.At.Equal(at) {
		t.Errorf("scheduled reboot: %+v, %v", ss, err)
	}
	ss, err = ReadScheduledShutdown(context.Background(), fakelogind.Start(t, fakelogind.Shutdown{}), "/")
	if err != nil || ss != nil {
		t.Errorf("none scheduled: %+v, %v", ss, err)
	}
	_, err = ReadScheduledShutdown(context.Background(), fakelogind.Start(t, "not a struct"), "/")
	if err == nil || !strings.Contains(err.Error(), "type s") {
		t.Errorf("wrong type: %v", err)
	}
	year10000 := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, usec := range []uint64{uint64(year10000.UnixMicro()), 1 << 62, 1<<64 - 1} {
		ss, err = ReadScheduledShutdown(context.Background(), fakelogind.Start(t, fakelogind.Shutdown{Kind: "poweroff", USec: usec}), "/")
		if ss != nil || !errors.Is(err, ErrTimeOutOfRange) || !strings.Contains(err.Error(), "year 9999") {
			t.Errorf("%d µs: %+v, %v; want ErrTimeOutOfRange", usec, ss, err)
		}
	}
	last := year10000.Add(-time.Microsecond)
	ss, err = ReadScheduledShutdown(context.Background(), fakelogind.Start(t, fakelogind.Shutdown{Kind: "halt", USec: uint64(last.UnixMicro())}), "/")
	if err != nil || ss == nil || !ss.At.Equal(last) {
		t.Errorf("last microsecond of 9999: %+v, %v", ss, err)
	}
	if _, err := ss.At.MarshalJSON(); err != nil {
		t.Errorf("the last time accepted cannot be encoded: %v", err)
	}
	if _, err := ReadScheduledShutdown(context.Background(), "", t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no system bus: %v", err)
	}
}
