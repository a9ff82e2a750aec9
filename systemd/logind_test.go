package systemd

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/godbus/dbus/v5"
	dbusprop "github.com/godbus/dbus/v5/prop"
)

// fakeLogind starts a private dbus-daemon and serves on it an
// org.freedesktop.login1 object whose ScheduledShutdown is value, as logind
// would (logind itself needs systemd as PID 1, which the test machines lack).
// It returns the bus address.
func fakeLogind(t *testing.T, value any) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		testutil.SkipOrFail(t, "dbus-daemon not installed (Debian package dbus)")
	}
	addr := "unix:path=" + filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--address="+addr, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil { // the daemon is listening
		t.Fatal(err)
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if reply, err := conn.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
	if _, err := dbusprop.Export(conn, "/org/freedesktop/login1", dbusprop.Map{
		"org.freedesktop.login1.Manager": {"ScheduledShutdown": {Value: value, Emit: dbusprop.EmitFalse}},
	}); err != nil {
		t.Fatal(err)
	}
	return addr
}

type shutdownProp struct {
	Kind string
	USec uint64
}

// TestReadScheduledShutdown reads logind's property over real D-Bus: a
// scheduled reboot, none, one of the wrong type, and no system bus.
func TestReadScheduledShutdown(t *testing.T) {
	at := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	ss, err := ReadScheduledShutdown(context.Background(), fakeLogind(t, shutdownProp{"reboot", uint64(at.UnixMicro())}), "/")
	if err != nil || ss == nil || ss.Kind != "reboot" || !ss.At.Equal(at) {
		t.Errorf("scheduled reboot: %+v, %v", ss, err)
	}
	ss, err = ReadScheduledShutdown(context.Background(), fakeLogind(t, shutdownProp{"", 0}), "/")
	if err != nil || ss != nil {
		t.Errorf("none scheduled: %+v, %v", ss, err)
	}
	_, err = ReadScheduledShutdown(context.Background(), fakeLogind(t, "not a struct"), "/")
	if err == nil || !strings.Contains(err.Error(), "type s") {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := ReadScheduledShutdown(context.Background(), "", t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no system bus: %v", err)
	}
}
