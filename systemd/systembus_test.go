package systemd

// A manager on a bus configured as the system bus is (its stock policy and
// limits), watched by an unprivileged watcher and by root's, with an
// unprivileged peer forging the manager's signals at them. The
// unprivileged parts run as this test binary again, as nobody: the bus
// applies its policy by the uid of the connecting process.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// Environment of this binary run as a child: its role, the bus, and when
// it is to give up (the parent test's testutil.Deadline, RFC 3339; none
// when empty).
const (
	childRoleEnv     = "BOOTINFO_SYSTEMD_TEST_CHILD"
	childBusEnv      = "BOOTINFO_SYSTEMD_TEST_BUS"
	childDeadlineEnv = "BOOTINFO_SYSTEMD_TEST_DEADLINE"
)

// nobody is the unprivileged uid and gid children run as.
const nobody = 65534

// forgeRounds is how many times the forger sends each forged signal to
// each connection on the bus.
const forgeRounds = 500

func TestMain(m *testing.M) {
	switch os.Getenv(childRoleEnv) {
	case "":
		os.Exit(m.Run())
	case "watch":
		os.Exit(childWatch(os.Getenv(childBusEnv), os.Getenv(childDeadlineEnv)))
	case "forge":
		os.Exit(childForge(os.Getenv(childBusEnv)))
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(2)
	}
}

// childReport is what an unprivileged watcher saw.
type childReport struct {
	Units  map[string]unitLine
	Stats  Stats
	Detail string // Detail of sleeper.service: its ActiveState, or the error
}

// childWatch syncs a system-scope watcher through the bus and reports on
// standard output what it saw. It gives up at deadline (RFC 3339), if any.
func childWatch(bus, deadline string) int {
	var end time.Time
	if deadline != "" {
		var err error
		if end, err = time.Parse(time.RFC3339Nano, deadline); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	w := New(Options{Scope: ScopeSystem, Address: bus, Bus: true, Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	for {
		s, err := w.Snapshot()
		if err == nil && s.DetailComplete {
			r := childReport{Units: snapshotUnits(s), Stats: w.Stats()}
			if d, err := w.Detail(ctx, "sleeper.service"); err != nil {
				r.Detail = err.Error()
			} else {
				r.Detail = d.ActiveState
			}
			if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			return 0
		}
		if !end.IsZero() && time.Now().After(end) {
			fmt.Fprintf(os.Stderr, "no complete snapshot by the test's deadline: %v (%+v)\n", err, w.Stats())
			return 1
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// childForge sends, as the manager would, NameOwnerChanged (the manager
// gone), Reloading(false) (a reload over), UnitNew and PropertiesChanged
// (a unit failed): broadcast, and to every connection on the bus by its
// unique name, which no match rule can keep out.
func childForge(bus string) int {
	c, err := dbus.Dial(bus)
	if err == nil {
		err = c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))})
	}
	if err == nil {
		err = c.Hello()
	}
	var names []string
	if err == nil {
		err = c.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	dests := []string{""}
	for _, n := range names {
		if strings.HasPrefix(n, ":") && n != c.Names()[0] {
			dests = append(dests, n)
		}
	}
	sleeper := unitPath("sleeper.service")
	signals := []struct {
		path         dbus.ObjectPath
		iface, membr string
		body         []any
	}{
		{"/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged", []any{busName, ":1.1", ""}},
		{managerPath, managerIface, "Reloading", []any{false}},
		{managerPath, managerIface, "UnitNew", []any{"sleeper.service", sleeper}},
		{sleeper, propsIface, "PropertiesChanged", []any{unitIface, map[string]dbus.Variant{"ActiveState": dbus.MakeVariant("failed")}, []string{}}},
	}
	for range forgeRounds {
		for _, s := range signals {
			for _, dest := range dests {
				m := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
					dbus.FieldPath:      dbus.MakeVariant(s.path),
					dbus.FieldInterface: dbus.MakeVariant(s.iface),
					dbus.FieldMember:    dbus.MakeVariant(s.membr),
					dbus.FieldSignature: dbus.MakeVariant(dbus.SignatureOf(s.body...)),
				}, Body: s.body}
				if dest != "" {
					m.Headers[dbus.FieldDestination] = dbus.MakeVariant(dest)
				}
				if call := c.Send(m, nil); call.Err != nil {
					fmt.Fprintln(os.Stderr, call.Err)
					return 1
				}
			}
		}
	}
	// The bus has read everything once it answers a call sent after.
	if err := c.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d connections\n", len(dests)-1)
	return 0
}

// runAsNobody runs this test binary, as nobody, in role against bus and
// returns its standard output. The binary is copied where nobody may run
// it.
func runAsNobody(t *testing.T, role, bus string) []byte {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "sdchild")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "child.test")
	// Streamed, not testutil.CopyFile: that reads the whole binary into
	// the heap, which the flood test measures.
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), childRoleEnv + "=" + role, childBusEnv + "=" + bus}
	if deadline, ok := testutil.Deadline(t); ok {
		cmd.Env = append(cmd.Env, childDeadlineEnv+"="+deadline.Format(time.RFC3339Nano))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}, Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s as nobody: %v: %s", role, err, stderr.String())
	}
	return out
}

// TestLabSystemBus: with the manager on a bus configured as the system
// bus (stock policy: method calls denied unless systemd's policy file
// allows them; 128 replies awaited per connection), an unprivileged
// system-scope watcher syncs every unit and reads one in detail; and an
// unprivileged peer's flood of forged manager signals, sent to every
// connection, makes root's watcher neither reconnect nor resync nor grow.
func TestLabSystemBus(t *testing.T) {
	opts := systemdlab.Instances(300)
	opts.SystemBus = true
	l := startLab(t, opts)
	settle(t, l)

	t.Run("stock policy", func(t *testing.T) {
		// What the policy allows others (reading) works for nobody; what
		// it does not (Manager.Exit) is refused by the bus.
		testutil.Tool(t, "setpriv", "util-linux")
		busctl := func(args ...string) (string, error) {
			cmd := exec.Command("setpriv", append([]string{"--reuid=" + strconv.Itoa(nobody), "--regid=" + strconv.Itoa(nobody), "--clear-groups",
				"busctl", "--address=" + l.BusAddress(), "call", busName, string(managerPath)}, args...)...)
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		if out, err := busctl(propsIface, "Get", "ss", managerIface, "Version"); err != nil {
			t.Errorf("nobody reading the manager's Version: %v: %s", err, out)
		}
		if out, err := busctl(managerIface, "Exit"); err == nil || !strings.Contains(out, "denied") {
			t.Errorf("nobody calling Manager.Exit: %v: %s; want access denied by the bus", err, out)
		}
	})

	t.Run("unprivileged watcher", func(t *testing.T) {
		var r childReport
		if err := json.Unmarshal(runAsNobody(t, "watch", l.BusAddress()), &r); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(oracleUnits(t, l), r.Units); diff != "" {
			t.Errorf("units differ from the oracle (-systemctl +unprivileged watcher):\n%s", diff)
		}
		if r.Stats.UnitFaults != 0 || r.Stats.Sessions != 1 || r.Detail != "active" {
			t.Errorf("unprivileged watcher: stats %+v, sleeper.service detail %q", r.Stats, r.Detail)
		}
	})

	t.Run("forged signals", func(t *testing.T) {
		w := New(Options{Scope: ScopeSystem, Address: l.BusAddress(), Bus: true, Timeout: 5 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = w.Run(ctx)
		}()
		defer func() {
			cancel()
			<-done
		}()
		waitSnapshot(t, w, "first sync", func(s *Snapshot) bool { return s.DetailComplete })
		before := w.Stats()
		goroutines := runtime.NumGoroutine()
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		stop := heapPeak()
		quit := make(chan struct{})
		most := make(chan int)
		go func() {
			n := 0
			for {
				n = max(n, runtime.NumGoroutine())
				select {
				case <-quit:
					most <- n
					return
				case <-time.After(time.Millisecond):
				}
			}
		}()
		t.Logf("forger: %s", strings.TrimSpace(string(runAsNobody(t, "forge", l.BusAddress()))))
		// A real change after the flood shows the watcher still follows
		// the manager, and has read through the flood by then.
		systemctl(t, l, "stop", "sleeper.service")
		waitSnapshot(t, w, "sleeper stopped", func(s *Snapshot) bool {
			u, _ := s.Unit("sleeper.service")
			return u.ActiveState == "inactive"
		})
		close(quit)
		mostGoroutines := <-most
		peak := stop()
		after := w.Stats()
		t.Logf("stats before %+v, after %+v; heap in use %d KiB, peak %d KiB; goroutines %d, at most %d",
			before, after, base>>10, peak>>10, goroutines, mostGoroutines)
		if after.Sessions != before.Sessions || after.FullSyncs != before.FullSyncs {
			t.Errorf("the flood made the watcher reconnect or resync: %+v -> %+v", before, after)
		}
		// Each forged signal was sent to the watcher itself forgeRounds
		// times: it must have seen them, and believed none.
		if got := after.IgnoredSignals - before.IgnoredSignals; got < 4*forgeRounds {
			t.Errorf("%d signals ignored over the flood, want at least the %d sent to the watcher", got, 4*forgeRounds)
		}
		if reads := after.PropertyReads - before.PropertyReads; reads > uint64(len(unitProps)+1+len(serviceProps)) {
			t.Errorf("%d property reads after the flood, want at most one unit's", reads)
		}
		if peak > base+8<<20 {
			t.Errorf("heap in use grew from %d to %d KiB over the flood", base>>10, peak>>10)
		}
		if mostGoroutines > goroutines+16 {
			t.Errorf("goroutines grew from %d to %d over the flood", goroutines, mostGoroutines)
		}
	})
}
