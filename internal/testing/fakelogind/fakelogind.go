// Package fakelogind serves logind's ScheduledShutdown property on a
// private D-Bus daemon, for tests of code that reads it: logind itself needs
// systemd as PID 1, which the test machines lack, and the D-Bus side (the
// daemon, the wire format, the Properties interface) is the real thing.
package fakelogind

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/godbus/dbus/v5"
	dbusprop "github.com/godbus/dbus/v5/prop"
)

// Shutdown is the property's value as logind sends it, (st): the kind and
// the time in microseconds since the epoch.
type Shutdown struct {
	Kind string
	USec uint64
}

// Start starts a private dbus-daemon, serves on it an
// org.freedesktop.login1 object whose ScheduledShutdown is value (a
// Shutdown, or anything else to test a wrong type), and returns the bus
// address. Both end with the test.
func Start(tb testing.TB, value any) string {
	tb.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		testutil.SkipOrFail(tb, "dbus-daemon not installed (Debian package dbus)")
	}
	addr := "unix:path=" + filepath.Join(tb.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--address="+addr, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil { // the daemon is listening
		tb.Fatal(err)
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	if reply, err := conn.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		tb.Fatalf("RequestName: %v %v", reply, err)
	}
	if _, err := dbusprop.Export(conn, "/org/freedesktop/login1", dbusprop.Map{
		"org.freedesktop.login1.Manager": {"ScheduledShutdown": {Value: value, Emit: dbusprop.EmitFalse}},
	}); err != nil {
		tb.Fatal(err)
	}
	return addr
}
