package systemd

// Integration tests against a real systemd user manager (internal/testing/systemdlab),
// with systemctl and systemd-analyze as the oracles.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

const (
	sleeperUnit = "[Unit]\nDescription=Lab sleeper\nWants=ghost.service\nStartLimitIntervalSec=0\n\n[Service]\nExecStart=/bin/sleep infinity\nRestart=on-failure\nRestartSec=10ms\n"
	failingUnit = "[Unit]\nDescription=Lab failing\n\n[Service]\nExecStart=/bin/false\n"
	brokenUnit  = "[Unit]\nDescription=Lab broken\n\n[Service]\nType=simple\n"
	tickTimer   = "[Unit]\nDescription=Lab tick timer\n\n[Timer]\nOnActiveSec=1h\n\n[Install]\nWantedBy=timers.target\n"
	tickService = "[Unit]\nDescription=Lab tick\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n"
)

func startLab(t testing.TB, opts systemdlab.Options) *systemdlab.Lab {
	t.Helper()
	if opts.Files == nil {
		opts.Files = map[string]string{}
	}
	for n, b := range map[string]string{
		"needs-odd.target": "[Unit]\nDescription=Wants odd units\nWants=loopy.service huge.service einst@b.service sinst@x.service\n",
		// Instances: their unit file state is their own, not the
		// template's ("indirect" in list-unit-files).
		"einst@.service": "[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=default.target\n",
		"sinst@.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		// A line longer than systemd's 4 MiB limit: load state "error".
		"huge.service":    "[Service]\nExecStart=/bin/" + strings.Repeat("x", 5<<20) + "\n",
		"sleeper.service": sleeperUnit,
		"failing.service": failingUnit,
		"broken.service":  brokenUnit,
		"tick.timer":      tickTimer,
		"tick.service":    tickService,
	} {
		opts.Files[n] = b
	}
	opts.Wants = append(opts.Wants, "sleeper.service", "failing.service", "broken.service", "tick.timer", "needs-odd.target")
	if opts.Links == nil {
		opts.Links = map[string]string{}
	}
	opts.Links["hidden.service"] = "/dev/null"    // masked
	opts.Links["loopy.service"] = "loopy.service" // ELOOP: not-found, unit file "bad"
	opts.Links["default.target.wants/einst@a.service"] = "../einst@.service"
	return systemdlab.Start(t, opts)
}

func startWatcher(t testing.TB, opts Options) *Watcher {
	t.Helper()
	opts.Scope = ScopeUser
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 500 * time.Millisecond
	}
	w := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	waitSnapshot(t, w, "first sync", func(s *Snapshot) bool { return s.DetailComplete })
	return w
}

// waitSnapshot polls the watcher until cond holds for a snapshot. Like
// testutil.WaitFor it sets no time limit of its own (a snapshot that never
// comes runs into the test binary's -timeout, and shortly before that the
// test fails naming what it waited for), but it polls at a steady 5 ms: a
// benchmark times how soon a change shows with it.
func waitSnapshot(t testing.TB, w *Watcher, what string, cond func(*Snapshot) bool) *Snapshot {
	t.Helper()
	deadline, limited := testutil.Deadline(t)
	var lastErr error
	for {
		s, err := w.Snapshot()
		if err == nil && cond(s) {
			return s
		}
		if err != nil {
			lastErr = err
		}
		if limited && time.Now().After(deadline) {
			t.Fatalf("waiting for %s: the test binary's -timeout is near (last Snapshot error: %v)", what, lastErr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// snapshotNow returns the watcher's snapshot, waiting through the errors
// Snapshot returns while the watcher reconnects: on a loaded machine a
// call of its may take longer than the labs' one-second timeout.
func snapshotNow(t testing.TB, w *Watcher) *Snapshot {
	t.Helper()
	return waitSnapshot(t, w, "a snapshot", func(*Snapshot) bool { return true })
}

func systemctl(t testing.TB, l *systemdlab.Lab, args ...string) string {
	t.Helper()
	out, err := l.Systemctl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// settle waits until the manager has no jobs queued, so that its state
// stays put while the test compares it with the oracle.
func settle(t testing.TB, l *systemdlab.Lab) {
	t.Helper()
	testutil.WaitFor(t, "the manager to settle", func() error {
		if n := strings.TrimSpace(systemctl(t, l, "show", "--property=NJobs", "--value")); n != "0" {
			return fmt.Errorf("%s jobs queued", n)
		}
		return nil
	})
}

type unitLine struct{ Load, Active, Sub, Description string }

func oracleUnits(t testing.TB, l *systemdlab.Lab) map[string]unitLine {
	var rows []struct{ Unit, Load, Active, Sub, Description string }
	if err := json.Unmarshal([]byte(systemctl(t, l, "list-units", "--all", "--output=json")), &rows); err != nil {
		t.Fatal(err)
	}
	m := map[string]unitLine{}
	for _, r := range rows {
		m[r.Unit] = unitLine{r.Load, r.Active, r.Sub, r.Description}
	}
	return m
}

func snapshotUnits(s *Snapshot) map[string]unitLine {
	m := map[string]unitLine{}
	for _, u := range s.Units {
		m[u.Name] = unitLine{u.LoadState, u.ActiveState, u.SubState, u.Description}
	}
	return m
}

func oracleUnitFiles(t testing.TB, l *systemdlab.Lab) map[string]string {
	var rows []struct {
		UnitFile string `json:"unit_file"`
		State    string
	}
	if err := json.Unmarshal([]byte(systemctl(t, l, "list-unit-files", "--output=json")), &rows); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range rows {
		m[r.UnitFile] = r.State
	}
	return m
}

// agree polls until the snapshot and the oracle agree. Both are re-read on
// each try: units such as the bus change state of their own accord. A
// Snapshot error passes too (on a loaded machine a call of the watcher's
// may time out, and it reconnects). The test fails with the last
// difference or error once the test binary's -timeout is near.
func agree[T any](t *testing.T, w *Watcher, what string, oracle func() T, mine func(*Snapshot) T) {
	t.Helper()
	testutil.WaitFor(t, what+" to agree with the oracle", func() error {
		want := oracle()
		s, err := w.Snapshot()
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, mine(s)); diff != "" {
			return fmt.Errorf("%s differ from the oracle (-systemctl +snapshot):\n%s", what, diff)
		}
		return nil
	})
}

func TestLabMatchesSystemctl(t *testing.T) {
	l := startLab(t, systemdlab.Options{Units: 3, Targets: 3})
	settle(t, l)
	w := startWatcher(t, Options{Address: l.PrivateAddress()})

	t.Run("units", func(t *testing.T) {
		agree(t, w, "units", func() map[string]unitLine { return oracleUnits(t, l) }, snapshotUnits)
		s := snapshotNow(t, w)
		want := map[string]string{
			"ghost.service":   "not-found",
			"broken.service":  "bad-setting",
			"loopy.service":   "not-found",
			"huge.service":    "error",
			"einst@a.service": "loaded",
			"failing.service": "loaded",
		}
		for n, ls := range want {
			if u, ok := s.Unit(n); !ok || u.LoadState != ls {
				t.Errorf("%s: got %+v, want load state %s", n, u, ls)
			}
		}
		for n, fs := range map[string]string{"einst@a.service": "enabled", "einst@b.service": "disabled", "sinst@x.service": "static", "sleeper.service": "enabled"} {
			if u, _ := s.Unit(n); u.UnitFileState != fs {
				t.Errorf("%s: unit file state %q, want %q", n, u.UnitFileState, fs)
			}
		}
	})
	t.Run("unit files", func(t *testing.T) {
		agree(t, w, "unit files", func() map[string]string { return oracleUnitFiles(t, l) }, func(s *Snapshot) map[string]string {
			m := map[string]string{}
			for _, f := range s.UnitFiles {
				m[f.Name] = f.State
			}
			return m
		})
	})
	t.Run("unit file state of units", func(t *testing.T) {
		s := snapshotNow(t, w)
		var names []string
		for _, u := range s.Units {
			names = append(names, u.Name)
		}
		out := systemctl(t, l, append([]string{"show", "--property=Id,UnitFileState", "--"}, names...)...)
		want, got := map[string]string{}, map[string]string{}
		for _, block := range strings.Split(strings.TrimSpace(out), "\n\n") {
			kv := map[string]string{}
			for _, line := range strings.Split(block, "\n") {
				k, v, _ := strings.Cut(line, "=")
				kv[k] = v
			}
			want[kv["Id"]] = kv["UnitFileState"]
		}
		for _, u := range s.Units {
			got[u.Name] = u.UnitFileState
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UnitFileState (-systemctl show +snapshot):\n%s", diff)
		}
	})
	t.Run("system state", func(t *testing.T) {
		agree(t, w, "system state", func() string {
			return strings.TrimSpace(systemctl(t, l, "show", "--property=SystemState", "--value"))
		}, func(s *Snapshot) string { return s.Manager.SystemState })
		s := snapshotNow(t, w)
		if s.Manager.SystemState != "degraded" {
			t.Errorf("with failing.service failed, SystemState = %q, want degraded", s.Manager.SystemState)
		}
		if u, _ := s.Unit("failing.service"); u.ActiveState != "failed" || u.Service == nil || u.Service.Result != "exit-code" || u.Service.ExecMainStatus != 1 {
			t.Errorf("failing.service: %+v %+v", u, u.Service)
		}
	})
	t.Run("manager", func(t *testing.T) {
		s := snapshotNow(t, w)
		for prop, got := range map[string]string{
			"Version":        s.Manager.Version,
			"Features":       s.Manager.Features,
			"Virtualization": s.Manager.Virtualization,
			"Architecture":   s.Manager.Architecture,
		} {
			if want := strings.TrimSpace(systemctl(t, l, "show", "--property="+prop, "--value")); got != want {
				t.Errorf("%s = %q, systemctl says %q", prop, got, want)
			}
		}
	})
	t.Run("timer", func(t *testing.T) {
		s := snapshotNow(t, w)
		u, ok := s.Unit("tick.timer")
		if !ok || u.Timer == nil {
			t.Fatalf("tick.timer: %+v", u)
		}
		want := strings.TrimSpace(systemctl(t, l, "show", "--property=NextElapseUSecMonotonic", "--value", "tick.timer"))
		if got := FormatTimespan(u.Timer.NextElapseMonotonicUSec, 1); got != strings.ReplaceAll(want, "μs", "us") {
			t.Errorf("NextElapseUSecMonotonic = %s, systemctl says %s", got, want)
		}
		// list-timers' NEXT: the monotonic trigger as a time of day.
		out := strings.Fields(systemctl(t, l, "list-timers", "--all", "--no-legend", "tick.timer"))
		if len(out) < 4 {
			t.Fatalf("list-timers: %q", out)
		}
		next, err := time.Parse("Mon 2006-01-02 15:04:05 MST", strings.Join(out[:4], " "))
		if err != nil {
			t.Fatal(err)
		}
		got := time.UnixMicro(int64(u.Timer.NextElapseUSec)).Truncate(time.Second)
		if d := got.Sub(next); d < -time.Second || d > time.Second {
			t.Errorf("next elapse %v, list-timers says %v", got, next)
		}
	})
	for _, verb := range []string{"time", "blame", "critical-chain"} {
		t.Run(verb, func(t *testing.T) {
			out, err := l.SystemdAnalyze(verb)
			if err != nil {
				t.Fatal(err)
			}
			s := snapshotNow(t, w)
			checkAnalyze[verb](t, s, out)
		})
	}
}

// checkAnalyze compares a snapshot with systemd-analyze's output, by verb.
var checkAnalyze = map[string]func(t *testing.T, s *Snapshot, out string){
	"time": func(t *testing.T, s *Snapshot, out string) {
		if got, want := s.Timeline.Text, strings.TrimRight(out, "\n"); got != want {
			t.Errorf("timeline text\n got: %q\nwant: %q", got, want)
		}
	},
	"blame": func(t *testing.T, s *Snapshot, out string) {
		want := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			want[f[len(f)-1]] = strings.Join(f[:len(f)-1], " ")
		}
		got := map[string]string{}
		for _, b := range s.Blame {
			got[b.Unit] = FormatTimespan(b.TimeUSec, usecPerMSec)
			if u, ok := s.Unit(b.Unit); ok && u.ActivationUSec != b.TimeUSec {
				t.Errorf("%s: ActivationUSec %d, blame %d", b.Unit, u.ActivationUSec, b.TimeUSec)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("blame (-systemd-analyze +snapshot):\n%s", diff)
		}
	},
	"critical-chain": func(t *testing.T, s *Snapshot, out string) {
		lines := strings.SplitN(out, "\n", 4)
		if len(lines) < 4 {
			t.Fatalf("short output %q", out)
		}
		want := strings.NewReplacer("|-", glyphBranch, "`-", glyphRight, "| ", glyphVertical).Replace(lines[3])
		if got := FormatCriticalChain(s.CriticalChain); got != want {
			t.Errorf("critical chain\n got:\n%s\nwant:\n%s", got, want)
		}
	},
}

// forEachConnection runs f in a subtest for each way a watcher reaches a
// lab's manager: its private socket and the session bus.
func forEachConnection(t *testing.T, f func(t *testing.T, l *systemdlab.Lab, w *Watcher)) {
	for _, bus := range []bool{false, true} {
		t.Run("bus="+strconv.FormatBool(bus), func(t *testing.T) {
			l := startLab(t, systemdlab.Options{})
			addr := l.PrivateAddress()
			if bus {
				addr = l.BusAddress()
			}
			f(t, l, startWatcher(t, Options{Address: addr, Bus: bus}))
		})
	}
}

func TestLabRestartIsSeen(t *testing.T) {
	forEachConnection(t, func(t *testing.T, l *systemdlab.Lab, w *Watcher) {
		s := waitSnapshot(t, w, "sleeper running", func(s *Snapshot) bool {
			u, ok := s.Unit("sleeper.service")
			return ok && u.Service != nil && u.Service.MainPID != 0 && u.SubState == "running"
		})
		u, _ := s.Unit("sleeper.service")
		before := *u.Service
		killed := time.Now()
		if err := syscall.Kill(int(before.MainPID), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		s = waitSnapshot(t, w, "restart counted", func(s *Snapshot) bool {
			u, _ := s.Unit("sleeper.service")
			return u.Service != nil && u.Service.NRestarts == before.NRestarts+1 &&
				u.Service.MainPID != 0 && u.Service.MainPID != before.MainPID
		})
		t.Logf("restart visible %v after kill -9 (RestartSec=10ms)", time.Since(killed))
		if st := w.Stats(); st.Signals == 0 || st.Refreshes == 0 {
			t.Errorf("the restart was not seen through signals: %+v", st)
		}
		u, _ = s.Unit("sleeper.service")
		want := strings.TrimSpace(systemctl(t, l, "show", "--property=MainPID", "--value", "sleeper.service"))
		if strconv.Itoa(int(u.Service.MainPID)) != want {
			t.Errorf("MainPID %d, systemctl says %s", u.Service.MainPID, want)
		}
	})
}

// TestLabGenerationOnlyMovesOnChange: the periodic ping republishes the
// snapshot as fresh (a newer UpdatedAt) under the same Generation; a real
// change (a restart) makes a new one.
func TestLabGenerationOnlyMovesOnChange(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	w := startWatcher(t, Options{Address: l.PrivateAddress(), PingInterval: 20 * time.Millisecond})
	s := waitSnapshot(t, w, "sleeper running", func(s *Snapshot) bool {
		u, ok := s.Unit("sleeper.service")
		return ok && u.Service != nil && u.Service.MainPID != 0 && u.SubState == "running"
	})
	// Pings of an idle manager: fresher snapshots, same generation. (The
	// manager may change between two pings now and then: units of the lab
	// still starting; count pings, not changes.)
	settle(t, l)
	same := 0
	for same < 3 {
		prev := s
		s = waitSnapshot(t, w, "a ping", func(n *Snapshot) bool { return n != prev && n.UpdatedAt.After(prev.UpdatedAt) })
		if s.Generation == prev.Generation {
			same++
		}
	}
	fresh := s
	u, _ := fresh.Unit("sleeper.service")
	if err := syscall.Kill(int(u.Service.MainPID), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, w, "the restart", func(n *Snapshot) bool {
		v, _ := n.Unit("sleeper.service")
		return v.Service != nil && v.Service.NRestarts > u.Service.NRestarts && n.Generation > fresh.Generation
	})
}

// TestLabUnitFilesFailureKeepsUnits: a ListUnitFiles that times out (on a
// host with thousands of unit files it can take longer than any sane
// deadline) does not fail the sync: the units are published, the snapshot
// says why the unit files are missing, the connection stays up, and the
// resyncs that list them again fail the same way without tearing it down.
func TestLabUnitFilesFailureKeepsUnits(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	// Every resync lists the unit files again; an empty root holds none
	// of them, so each time the manager is asked.
	w := startWatcher(t, Options{Address: l.PrivateAddress(), Root: t.TempDir(), UnitFilesTimeout: time.Nanosecond, ResyncInterval: 200 * time.Millisecond, UnitFilesInterval: time.Nanosecond})
	s := waitSnapshot(t, w, "sleeper running", func(s *Snapshot) bool {
		u, ok := s.Unit("sleeper.service")
		return ok && u.SubState == "running"
	})
	if len(s.UnitFiles) != 0 || !strings.Contains(s.UnitFilesError, "listing unit files") || !strings.Contains(s.UnitFilesError, "deadline") {
		t.Errorf("unit files %d, error %q; want none and a deadline error", len(s.UnitFiles), s.UnitFilesError)
	}
	if !strings.Contains(s.UnitFilesDiskError, "no unit files below") {
		t.Errorf("unit files from disk: error %q, want none found", s.UnitFilesDiskError)
	}
	st := w.Stats()
	if st.UnitFilesFailures == 0 || st.Sessions != 1 || !st.Connected {
		t.Errorf("stats %+v: want a counted failure on one live session", st)
	}
	waitSnapshot(t, w, "more failed listings", func(*Snapshot) bool { return w.Stats().UnitFilesFailures > st.UnitFilesFailures+2 })
	if st := w.Stats(); st.Sessions != 1 || !st.Connected {
		t.Errorf("a failed listing tore the connection down: %+v", st)
	}
}

// TestLabUnitFilesFromDisk: the unit file list read from disk along the
// manager's search path is the one the manager's ListUnitFiles gives, on
// the lab's odd files (masked, a link loop, templates and their
// instances, a huge file) and after a unit file is added and enabled. A
// root that does not hold the manager's files falls back to the manager,
// and says why.
func TestLabUnitFilesFromDisk(t *testing.T) {
	l := startLab(t, systemdlab.Options{Units: 20, Targets: 20})
	disk := startWatcher(t, Options{Address: l.PrivateAddress()})
	manager := startWatcher(t, Options{Address: l.PrivateAddress(), UnitFilesFromManager: true})
	elsewhere := startWatcher(t, Options{Address: l.PrivateAddress(), Root: t.TempDir()})
	compare := func(when string) {
		t.Helper()
		want := snapshotNow(t, manager)
		for _, c := range []struct {
			w    *Watcher
			from string
		}{{disk, FilesFromDisk}, {manager, FilesFromManager}, {elsewhere, FilesFromManager}} {
			got := snapshotNow(t, c.w)
			if got.UnitFilesFrom != c.from {
				t.Errorf("%s: unit files from %q (disk error %q), want %q", when, got.UnitFilesFrom, got.UnitFilesDiskError, c.from)
			}
			if diff := cmp.Diff(want.UnitFiles, got.UnitFiles); diff != "" {
				t.Errorf("%s: unit files from %s differ from the manager's (-manager +got):\n%s", when, got.UnitFilesFrom, diff)
			}
		}
		if got := snapshotNow(t, elsewhere); !strings.Contains(got.UnitFilesDiskError, "no unit files below") {
			t.Errorf("%s: a root without the manager's files: disk error %q", when, got.UnitFilesDiskError)
		}
	}
	if s := snapshotNow(t, disk); len(s.UnitFiles) < 40 {
		t.Fatalf("only %d unit files listed", len(s.UnitFiles))
	}
	compare("at start")

	// A new enabled unit: UnitFilesChanged makes every watcher list again.
	if err := l.WriteUnit("late.service", "[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=default.target\n"); err != nil {
		t.Fatal(err)
	}
	systemctl(t, l, "daemon-reload")
	systemctl(t, l, "enable", "late.service")
	for _, w := range []*Watcher{disk, manager, elsewhere} {
		waitSnapshot(t, w, "late.service enabled", func(s *Snapshot) bool {
			i, ok := slices.BinarySearchFunc(s.UnitFiles, "late.service", func(f UnitFile, n string) int { return strings.Compare(f.Name, n) })
			return ok && s.UnitFiles[i].State == "enabled"
		})
	}
	compare("after enabling a new unit")
}

func TestLabDaemonReloadAddsUnits(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	w := startWatcher(t, Options{Address: l.PrivateAddress()})
	for _, n := range []string{"late-a.service", "late-b.service"} {
		if err := l.WriteUnit(n, "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"); err != nil {
			t.Fatal(err)
		}
	}
	systemctl(t, l, "daemon-reload")
	waitSnapshot(t, w, "new unit files", func(s *Snapshot) bool {
		n := 0
		for _, f := range s.UnitFiles {
			if f.Name == "late-a.service" || f.Name == "late-b.service" {
				n++
			}
		}
		return n == 2
	})
	systemctl(t, l, "start", "late-a.service")
	waitSnapshot(t, w, "late-a active", func(s *Snapshot) bool {
		u, ok := s.Unit("late-a.service")
		return ok && u.ActiveState == "active" && u.UnitFileState == "static"
	})
}

// TestLabEscapedUnitName follows a unit whose name holds a backslash (as
// systemd-escape makes them) through signal-driven refreshes, which look
// units up by fnmatch pattern.
func TestLabEscapedUnitName(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	const name = `lab-esc\x2dape.service`
	if err := l.WriteUnit(name, "[Service]\nExecStart=/bin/sleep infinity\n"); err != nil {
		t.Fatal(err)
	}
	systemctl(t, l, "daemon-reload")
	w := startWatcher(t, Options{Address: l.PrivateAddress()})
	systemctl(t, l, "start", name)
	waitSnapshot(t, w, name+" running", func(s *Snapshot) bool {
		u, ok := s.Unit(name)
		return ok && u.SubState == "running"
	})
	systemctl(t, l, "stop", name)
	waitSnapshot(t, w, name+" stopped", func(s *Snapshot) bool {
		u, ok := s.Unit(name)
		return !ok || u.ActiveState == "inactive"
	})
}

// TestLabBulkChange stops more units at once than refresh looks up by
// pattern, so the refresh takes the ListUnits path.
func TestLabBulkChange(t *testing.T) {
	l := startLab(t, systemdlab.Options{Targets: maxPatterns + 50})
	settle(t, l)
	// A long debounce gathers the whole stop into one refresh.
	w := startWatcher(t, Options{Address: l.PrivateAddress(), Debounce: 3 * time.Second})
	refreshes := w.Stats().Refreshes
	systemctl(t, l, "stop", systemdlab.GeneratedPrefix+"0*.target")
	settle(t, l)
	agree(t, w, "units", func() map[string]unitLine { return oracleUnits(t, l) }, snapshotUnits)
	s := snapshotNow(t, w)
	inactive := 0
	for _, u := range s.Units {
		if strings.HasPrefix(u.Name, systemdlab.GeneratedPrefix+"0") && u.ActiveState == "inactive" {
			inactive++
		}
	}
	if inactive != maxPatterns+50 {
		t.Errorf("%d generated targets inactive, want %d", inactive, maxPatterns+50)
	}
	if w.Stats().Refreshes == refreshes {
		t.Error("the change was not seen through a signal-driven refresh")
	}
}

// snapshotReturns returns what Snapshot returns, and fails the test if
// Snapshot is still blocked when the test binary's -timeout is near.
func snapshotReturns(t *testing.T, w *Watcher) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := w.Snapshot()
		done <- err
	}()
	var near <-chan time.Time
	if deadline, ok := testutil.Deadline(t); ok {
		near = time.After(time.Until(deadline))
	}
	select {
	case err := <-done:
		return err
	case <-near:
		t.Fatal("Snapshot blocked until the test binary's -timeout was near")
		return nil
	}
}

func TestLabManagerKilledAndRestarted(t *testing.T) {
	forEachConnection(t, func(t *testing.T, l *systemdlab.Lab, w *Watcher) {
		s := snapshotNow(t, w)
		oldStart := s.Manager.BootTimes.UserspaceUSec
		l.KillManager()
		testutil.WaitFor(t, "Snapshot to fail with the manager dead", func() error {
			if snapshotReturns(t, w) == nil {
				return errors.New("Snapshot still succeeds")
			}
			return nil
		})
		_, err := w.Snapshot()
		if !errors.Is(err, ErrDisconnected) {
			t.Errorf("Snapshot error %v, want ErrDisconnected", err)
		}
		if w.LastGood() == nil {
			t.Error("no last good snapshot while disconnected")
		}
		if _, err := w.Detail(context.Background(), "sleeper.service"); err == nil {
			t.Error("Detail succeeded with the manager dead")
		}
		l.RestartManager()
		s = waitSnapshot(t, w, "recovery", func(s *Snapshot) bool {
			return s.Manager.BootTimes.UserspaceUSec != oldStart && s.DetailComplete
		})
		if _, ok := s.Unit("sleeper.service"); !ok {
			t.Error("sleeper.service missing after recovery")
		}
		if st := w.Stats(); !st.Connected || st.Sessions < 2 || st.FullSyncs < 2 {
			t.Errorf("stats after a reconnect: %+v", st)
		}

		// daemon-reexec drops every connection to the manager; the
		// watcher must come back and keep following changes.
		systemctl(t, l, "daemon-reexec")
		if err := l.WriteUnit("after-reexec.service", "[Service]\nExecStart=/bin/sleep infinity\n"); err != nil {
			t.Fatal(err)
		}
		systemctl(t, l, "daemon-reload")
		systemctl(t, l, "start", "after-reexec.service")
		waitSnapshot(t, w, "a unit started after daemon-reexec", func(s *Snapshot) bool {
			u, ok := s.Unit("after-reexec.service")
			return ok && u.SubState == "running"
		})
	})
}

func TestLabStoppedManagerNeverBlocks(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	const timeout = 300 * time.Millisecond
	w := startWatcher(t, Options{Address: l.PrivateAddress(), Timeout: timeout, PingInterval: 100 * time.Millisecond})
	l.StopManager()
	stopped := true
	defer func() {
		if stopped {
			l.ContinueManager()
		}
	}()
	// Each call returns, ended by its own deadline (a call that blocked
	// would run into the test binary's -timeout); how long it took is no
	// measure on a loaded machine.
	for i := 0; i < 3; i++ {
		_, err := w.Detail(context.Background(), "sleeper.service")
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrDisconnected) {
			t.Errorf("Detail on a stopped manager: %v, want a deadline or disconnected error", err)
		}
	}
	testutil.WaitFor(t, "the stopped manager to be noticed", func() error {
		if snapshotReturns(t, w) == nil {
			return errors.New("Snapshot still succeeds")
		}
		return nil
	})
	l.ContinueManager()
	stopped = false
	waitSnapshot(t, w, "recovery", func(*Snapshot) bool { return true })
	// With a 300 ms deadline per call, one may still time out on a loaded
	// machine: Detail must come back, not succeed at the first try.
	testutil.WaitFor(t, "Detail after recovery", func() error {
		d, err := w.Detail(context.Background(), "sleeper.service")
		if err == nil && d.ActiveState != "active" {
			err = fmt.Errorf("sleeper.service %s", d.ActiveState)
		}
		return err
	})
}

func TestLabDetail(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	settle(t, l)
	w := startWatcher(t, Options{Address: l.PrivateAddress()})
	d, err := w.Detail(context.Background(), "sleeper.service")
	if err != nil {
		t.Fatal(err)
	}
	props := []string{"Id", "Description", "LoadState", "ActiveState", "SubState", "FragmentPath", "SourcePath",
		"Names", "Requires", "Wants", "After", "WantedBy", "Restart", "MainPID", "NRestarts", "UnitFileState",
		"ActiveEnterTimestamp", "ExecStart"}
	out := systemctl(t, l, "show", "--property="+strings.Join(props, ","), "sleeper.service")
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		want[k] = v
	}
	got := map[string]string{
		"Id":                   d.Name,
		"Description":          d.Description,
		"LoadState":            d.LoadState,
		"ActiveState":          d.ActiveState,
		"SubState":             d.SubState,
		"FragmentPath":         d.FragmentPath,
		"SourcePath":           d.SourcePath,
		"Names":                strings.Join(d.Names, " "),
		"Requires":             strings.Join(d.Requires, " "),
		"Wants":                strings.Join(d.Wants, " "),
		"After":                strings.Join(d.After, " "),
		"WantedBy":             strings.Join(d.WantedBy, " "),
		"Restart":              d.Service.Restart,
		"MainPID":              strconv.Itoa(int(d.Service.MainPID)),
		"NRestarts":            strconv.Itoa(int(d.Service.NRestarts)),
		"UnitFileState":        d.UnitFileState,
		"ActiveEnterTimestamp": time.UnixMicro(int64(d.ActiveEnterUSec)).UTC().Format("Mon 2006-01-02 15:04:05 MST"),
		"ExecStart":            want["ExecStart"],
	}
	if len(d.ExecStart) != 1 || strings.Join(d.ExecStart[0], " ") != "/bin/sleep infinity" ||
		!strings.Contains(want["ExecStart"], "argv[]=/bin/sleep infinity ;") {
		t.Errorf("ExecStart %q, systemctl says %q", d.ExecStart, want["ExecStart"])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("detail (-systemctl show +Detail):\n%s", diff)
	}
	for _, name := range []string{"no-such-unit.service", "not a unit name"} {
		if _, err := w.Detail(context.Background(), name); !errors.Is(err, ErrUnitNotFound) {
			t.Errorf("Detail(%q) = %v, want ErrUnitNotFound", name, err)
		}
	}
	// A unit that is loaded though it has no file (another wants it) is
	// shown, as systemctl shows it.
	if d, err := w.Detail(context.Background(), "ghost.service"); err != nil || d.LoadState != "not-found" {
		t.Errorf("Detail(ghost.service) = %+v, %v; want its not-found detail", d, err)
	}
}

// BenchmarkLabSnapshot measures Snapshot (and, for comparison, building
// one, which the watcher does once per batch of changes) against a manager
// with a thousand generated units. The lab is started once; Snapshot makes
// no D-Bus call, so it costs the same at 10 or 10,000 units.
func BenchmarkLabSnapshot(b *testing.B) {
	l := startLab(b, systemdlab.Options{Targets: 1000})
	start := time.Now()
	w := startWatcher(b, Options{Address: l.PrivateAddress(), Timeout: 30 * time.Second})
	firstSync := time.Since(start)
	s := snapshotNow(b, w)
	b.Run("Snapshot", func(b *testing.B) {
		b.ReportMetric(float64(len(s.Units)), "units")
		b.ReportMetric(float64(firstSync.Milliseconds()), "first-sync-ms")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := w.Snapshot(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// ChangeVisible: kill -9 a Restart=on-failure service and wait for the
	// snapshot to show the restart (RestartSec=10ms, debounce 100ms).
	b.Run("ChangeVisible", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s := snapshotNow(b, w)
			u, _ := s.Unit("sleeper.service")
			if u.Service == nil || u.Service.MainPID == 0 {
				b.Fatalf("sleeper: %+v", u)
			}
			n := u.Service.NRestarts
			if err := syscall.Kill(int(u.Service.MainPID), syscall.SIGKILL); err != nil {
				b.Fatal(err)
			}
			waitSnapshot(b, w, "restart", func(s *Snapshot) bool {
				u, _ := s.Unit("sleeper.service")
				return u.Service != nil && u.Service.NRestarts == n+1 && u.Service.MainPID != 0
			})
		}
	})
	b.Run("BuildSnapshot", func(b *testing.B) {
		in := SnapshotInput{Scope: ScopeUser, Manager: s.Manager, DefaultTarget: s.Manager.DefaultTarget,
			Units: s.Units, After: map[string][]string{}, Aliases: map[string]string{}, UnitFiles: map[string]UnitFile{}}
		for _, f := range s.UnitFiles {
			in.UnitFiles[f.Name] = f
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			BuildSnapshot(in, Filter{})
		}
	})
}

// TestLabCrashLoopCoalesced: services that crash-loop send the watcher a
// stream of signals; their values are taken from the signals, refreshes
// come at most once per Coalesce, and once the loop stops every restart
// count equals systemd's.
func TestLabCrashLoopCoalesced(t *testing.T) {
	const loops = 10
	var names []string
	for i := range loops {
		names = append(names, systemdlab.CrashLoopUnit(i))
	}
	l := startLab(t, systemdlab.Options{CrashLoops: loops})
	const coalesce = 500 * time.Millisecond
	w := startWatcher(t, Options{Address: l.PrivateAddress(), Timeout: 5 * time.Second, Coalesce: coalesce})
	before, start := w.Stats(), time.Now()
	s0 := snapshotNow(t, w)
	waitSnapshot(t, w, "restarts", func(s *Snapshot) bool {
		u, _ := s.Unit(names[0])
		return u.Service != nil && u.Service.NRestarts >= 10
	})
	systemctl(t, l, append([]string{"stop"}, names...)...)
	settle(t, l)
	elapsed, after := time.Since(start), w.Stats()
	agree(t, w, "restarts", func() map[string]string {
		out := systemctl(t, l, append([]string{"show", "-p", "Id,NRestarts"}, names...)...)
		m := map[string]string{}
		for _, block := range strings.Split(strings.TrimSpace(out), "\n\n") {
			var id, n string
			for _, line := range strings.Split(block, "\n") {
				if v, ok := strings.CutPrefix(line, "Id="); ok {
					id = v
				} else if v, ok := strings.CutPrefix(line, "NRestarts="); ok {
					n = v
				}
			}
			m[id] = n
		}
		return m
	}, func(s *Snapshot) map[string]string {
		m := map[string]string{}
		for _, n := range names {
			if u, ok := s.Unit(n); ok && u.Service != nil {
				m[n] = strconv.Itoa(int(u.Service.NRestarts))
			}
		}
		return m
	})
	signals, refreshes := after.Signals-before.Signals, after.Refreshes-before.Refreshes
	s1 := snapshotNow(t, w)
	snapshots := s1.Generation - s0.Generation
	t.Logf("%d signals, %d refreshes, %d snapshots, %d property reads in %v", signals, refreshes, snapshots, after.PropertyReads-before.PropertyReads, elapsed)
	// One snapshot a refresh: the manager's own changes (NJobs moves with
	// every restart) wait for the next refresh while signals keep coming,
	// rather than making a second snapshot each time; a ping (every 5s)
	// may make one more.
	if most := refreshes + uint64(elapsed/(5*time.Second)) + 2; snapshots > most {
		t.Errorf("%d snapshots for %d refreshes in %v, want at most %d", snapshots, refreshes, elapsed, most)
	}
	if signals < 100 {
		t.Errorf("only %d signals from ten crash-looping services", signals)
	}
	// The values come with the signals: a unit is read again only when
	// its signals straddled its read, and then its next ones do not.
	if reads, most := after.PropertyReads-before.PropertyReads, uint64(2*len(names)*(len(unitProps)+1+len(serviceProps))); reads > most {
		t.Errorf("%d property reads during the loop, want at most %d (each unit read again twice)", reads, most)
	}
	// Not a time limit: the most refreshes the time that passed allows.
	if most := uint64(elapsed/coalesce) + 2; refreshes > most {
		t.Errorf("%d refreshes in %v, at most %d with Coalesce %v", refreshes, elapsed, most, coalesce)
	}
}

// TestLabManagerStartingUp: a watcher that connects while the manager is
// still starting (jobs queued, units activating) follows it to the end of
// startup: the states, the system state and the boot timeline end up as
// systemctl and systemd-analyze see them.
//
// The slow services' start jobs last until the test creates a file, once
// the watcher has synced: startup goes on however long the sync takes.
func TestLabManagerStartingUp(t *testing.T) {
	opts := systemdlab.Options{Files: map[string]string{}, Starting: true}
	done := filepath.Join(t.TempDir(), "done")
	for i := range 5 {
		n := fmt.Sprintf("slow%d.service", i)
		opts.Files[n] = "[Service]\nType=oneshot\nRemainAfterExit=yes\nTimeoutStartSec=infinity\n" +
			"ExecStart=/bin/sh -c 'while [ ! -e " + done + " ]; do sleep 0.05; done'\n"
		opts.Wants = append(opts.Wants, n)
	}
	l := startLab(t, opts)
	w := startWatcher(t, Options{Address: l.PrivateAddress(), Timeout: 5 * time.Second})
	s := snapshotNow(t, w)
	if s.Timeline.Finished {
		t.Fatal("the manager finished starting before the watcher had synced, with its slow services held")
	}
	if s.Manager.SystemState != "starting" || s.Manager.NJobs == 0 {
		t.Errorf("while starting: system state %q, %d jobs", s.Manager.SystemState, s.Manager.NJobs)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	settle(t, l)
	agree(t, w, "units", func() map[string]unitLine { return oracleUnits(t, l) }, snapshotUnits)
	s = waitSnapshot(t, w, "startup finished", func(s *Snapshot) bool { return s.Timeline.Finished })
	want := strings.TrimSpace(systemctl(t, l, "show", "--property=SystemState", "--value"))
	s = waitSnapshot(t, w, "system state "+want, func(s *Snapshot) bool { return s.Manager.SystemState == want })
	if s.Manager.NJobs != 0 || len(s.Blame) == 0 {
		t.Errorf("after startup: %d jobs, %d blame entries", s.Manager.NJobs, len(s.Blame))
	}
}

// TestLabExecMainCode: how a main process ended (exit status or signal) is
// told apart as systemctl shows it: a SIGKILL is "killed" and 9, not an
// exit status 9.
func TestLabExecMainCode(t *testing.T) {
	l := startLab(t, systemdlab.Options{
		Files: map[string]string{"killme.service": "[Service]\nExecStart=/bin/sleep infinity\n"},
		Wants: []string{"killme.service"},
	})
	w := startWatcher(t, Options{Address: l.PrivateAddress()})
	s := snapshotNow(t, w)
	u, _ := s.Unit("killme.service")
	if u.Service == nil || u.Service.MainPID == 0 {
		t.Fatalf("killme.service: %+v", u)
	}
	if err := syscall.Kill(int(u.Service.MainPID), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, w, "killme.service failed", func(s *Snapshot) bool {
		u, _ := s.Unit("killme.service")
		return u.ActiveState == "failed"
	})
	names := []string{"killme.service", "failing.service", "sleeper.service"}
	agree(t, w, "how main processes ended", func() map[string]string {
		m := map[string]string{}
		for _, n := range names {
			out := systemctl(t, l, "show", "-p", "ExecMainCode,ExecMainStatus", n)
			var code int
			var status string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if v, ok := strings.CutPrefix(line, "ExecMainCode="); ok {
					code, _ = strconv.Atoi(v)
				} else if v, ok := strings.CutPrefix(line, "ExecMainStatus="); ok {
					status = v
				}
			}
			m[n] = sigchldCode(int32(code)) + "/" + status
		}
		return m
	}, func(s *Snapshot) map[string]string {
		m := map[string]string{}
		for _, n := range names {
			if u, ok := s.Unit(n); ok && u.Service != nil {
				m[n] = u.Service.ExecMainCode + "/" + strconv.Itoa(int(u.Service.ExecMainStatus))
			}
		}
		return m
	})
	if u, _ := snapshotNow(t, w).Unit("killme.service"); u.Service == nil || u.Service.ExecMainCode != "killed" || u.Service.ExecMainStatus != 9 {
		t.Errorf("killme.service after SIGKILL: %+v", u.Service)
	}
}

// TestLabTransientUnit: a transient unit (systemd-run), whose file no
// UnitFilesChanged announces, has its unit file state as systemctl shows
// it.
func TestLabTransientUnit(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	w := startWatcher(t, Options{Address: l.PrivateAddress()})
	cmd := exec.Command("systemd-run", "--user", "--unit=lab-transient", "/bin/sleep", "infinity")
	cmd.Env = l.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-run: %v: %s", err, out)
	}
	want := strings.TrimSpace(systemctl(t, l, "show", "-p", "UnitFileState", "--value", "lab-transient.service"))
	if want == "" {
		t.Fatal("systemctl shows no unit file state for the transient unit")
	}
	waitSnapshot(t, w, "lab-transient.service "+want, func(s *Snapshot) bool {
		u, ok := s.Unit("lab-transient.service")
		return ok && u.UnitFileState == want
	})
}

// TestLabBusReplyLimit: on a bus that lets a connection await fewer
// replies than the watcher's pipeline (here 16; the system bus's default
// is 128), the watcher still syncs every unit.
func TestLabBusReplyLimit(t *testing.T) {
	opts := systemdlab.Instances(300)
	opts.BusLimits = map[string]int{"max_replies_per_connection": 16}
	l := startLab(t, opts)
	w := startWatcher(t, Options{Address: l.BusAddress(), Bus: true, Timeout: 5 * time.Second})
	agree(t, w, "units", func() map[string]unitLine { return oracleUnits(t, l) }, snapshotUnits)
	s := snapshotNow(t, w)
	faults := 0
	for _, u := range s.Units {
		if u.DetailError != "" {
			faults++
		}
	}
	if faults > 0 || w.Stats().UnitFaults > 0 {
		t.Errorf("%d units with a detail error on a bus with a reply limit", faults)
	}
}
