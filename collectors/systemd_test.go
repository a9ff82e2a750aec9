package collectors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/prometheus/common/promslog"
)

func newSystemd(t *testing.T, lab *systemdlab.Lab, timeout time.Duration) *systemdCollector {
	t.Helper()
	c, err := NewSystemdCollector(Config{Logger: promslog.New(&promslog.Config{Writer: newTestLogWriter(t)}), Systemd: SystemdConfig{
		User: true, Address: lab.PrivateAddress(), Timeout: timeout, Include: ".+", Exclude: ".+\\.(device|mount|scope|slice)",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*systemdCollector)
}

// waitMetric collects until the sample name{labels} has value want; it
// fails after a generous safety net (not a timing assertion).
func waitMetric(t *testing.T, c Collector, name, labels string, want float64) *Snapshot {
	t.Helper()
	// Until the test's own deadline, not a count of tries: on a loaded
	// machine ten seconds of tries were not enough for a reload to show.
	deadline, limited := testutil.Deadline(t)
	var (
		last    float64
		lastErr error
		fails   int
	)
	for !limited || time.Now().Before(deadline) {
		snap, err := c.Collect(context.Background())
		if err == nil {
			if last = metricValue(t, snap, name, labels); last == want {
				return snap
			}
		} else {
			lastErr = err
			fails++
		}
		time.Sleep(10 * time.Millisecond)
	}
	if sc, ok := c.(*systemdCollector); ok && sc.watcher != nil {
		t.Logf("watcher: %+v", sc.watcher.Stats())
	}
	t.Fatalf("%s{%s} stayed %v, want %v (%d collections failed, the last with %v)", name, labels, last, want, fails, lastErr)
	return nil
}

// testLogWriter sends the collector's log to the test's, so a watcher that
// stops or reconnects says so in a failing test's output. Lines written
// after the test ended (the watcher winding down) are dropped: the testing
// package panics on a late Log.
type testLogWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func newTestLogWriter(t *testing.T) *testLogWriter {
	w := &testLogWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// TestSystemdCollectorAgainstLab drives a real systemd user manager: a
// service killed with SIGKILL is restarted and counted, a failing unit makes
// the manager degraded, and a unit's detail is served, all through the
// collector as serve runs it.
func TestSystemdCollectorAgainstLab(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{
		Units: 20,
		Files: map[string]string{
			"crashy.service": "[Service]\nExecStart=/bin/sleep infinity\nRestart=on-failure\nRestartSec=50ms\n",
			"broken.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
		},
		Wants: []string{"crashy.service"},
	})
	c := newSystemd(t, lab, 2*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Run(ctx)

	// States come first, then every unit's detail.
	waitMetric(t, c, "bootinfo_systemd_detail_complete", "", 1)
	snap := waitMetric(t, c, "bootinfo_systemd_unit_state", "name=crashy.service,state=active", 1)
	sec := snap.Section.(*SystemdSection)
	if got := metricValue(t, snap, "bootinfo_systemd_system_state", "state=running"); got != 1 {
		t.Errorf("system state running = %v (%s)", got, sec.Manager.SystemState)
	}
	u, ok := sec.Unit("crashy.service")
	if !ok || u.Service == nil || u.Service.MainPID == 0 {
		t.Fatalf("crashy.service: %+v", u)
	}
	if n := strings.Count(metricsText(t, snap, "bootinfo_systemd_unit_state"), "name=lab-gen-0"); n != 20*len(unitActiveStates) {
		t.Errorf("%d state samples for generated units, want %d", n, 20*len(unitActiveStates))
	}

	// kill -9 the main process: one more restart, a new main PID.
	if err := syscall.Kill(int(u.Service.MainPID), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	snap = waitMetric(t, c, "bootinfo_systemd_unit_restarts_total", "name=crashy.service", 1)
	if u2, _ := snap.Section.(*SystemdSection).Unit("crashy.service"); u2.Service == nil || u2.Service.MainPID == u.Service.MainPID {
		t.Errorf("main PID did not change: %+v", u2.Service)
	}
	// The restart reset systemd's Result; the kill is kept, as a series
	// and in the JSON unit and the host's recent failures.
	snap = waitMetric(t, c, "bootinfo_systemd_unit_failures_total", "name=crashy.service,result=signal", 1)
	sec = snap.Section.(*SystemdSection)
	if u2, _ := sec.Unit("crashy.service"); u2.LastFailure == nil || u2.LastFailure.Signal != "SIGKILL" || u2.LastFailure.Result != "signal" {
		t.Errorf("crashy.service after its restart: last failure %+v, service %+v", u2.LastFailure, u2.Service)
	} else if at := metricValue(t, snap, "bootinfo_systemd_unit_last_failure_timestamp_seconds", "name=crashy.service"); at != float64(u2.LastFailure.At.UnixNano())/1e9 {
		t.Errorf("last failure timestamp %v, JSON %v", at, u2.LastFailure.At)
	}
	if len(sec.RecentFailures) == 0 || sec.RecentFailures[0].Unit != "crashy.service" {
		t.Errorf("recent failures %+v", sec.RecentFailures)
	}

	// A failing unit makes the manager degraded.
	_, _ = lab.Systemctl("start", "broken.service")
	waitMetric(t, c, "bootinfo_systemd_unit_state", "name=broken.service,state=failed", 1)
	snap = waitMetric(t, c, "bootinfo_systemd_system_state", "state=degraded", 1)
	if got := snap.Section.(*SystemdSection).FailedUnits; len(got) != 1 || got[0] != "broken.service" {
		t.Errorf("failed_units = %v", got)
	}
	if got := metricValue(t, snap, "bootinfo_systemd_failed_units", ""); got != 1 {
		t.Errorf("failed units metric %v", got)
	}

	// One unit in detail; 404 for one that does not exist.
	d, err := c.Query(context.Background(), "units/crashy.service", nil)
	if err != nil {
		t.Fatal(err)
	}
	if det := d.(*systemd.UnitDetail); det.Service == nil || det.Service.Restart != "on-failure" || det.Service.NRestarts != 1 {
		t.Errorf("detail: %+v", det)
	} else if det.LastFailure == nil || det.LastFailure.Result != "signal" {
		t.Errorf("detail's last failure: %+v", det.LastFailure)
	}
	if _, err := c.Query(context.Background(), "units/nosuch.service", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing unit: %v", err)
	}

	// A unit file replaced on disk (written aside, renamed over, as
	// editors and package managers do) needs a daemon-reload.
	p := filepath.Join(lab.UnitDir(), "crashy.service")
	later := time.Now().Add(time.Hour)
	if err := os.WriteFile(p+".new", []byte("[Service]\nExecStart=/bin/sleep 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p+".new", later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, c, "bootinfo_systemd_unit_needs_daemon_reload", "name=crashy.service", 1)
}

// TestSystemdCollectorStoppedManager: a SIGSTOPped manager never holds a
// scrape: the collector itself reports it failed (not the Set, abandoning
// a collection at its deadline), and recovers once the manager runs again.
func TestSystemdCollectorStoppedManager(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{Units: 5})
	c := newSystemd(t, lab, 300*time.Millisecond)
	// The watcher notices a manager that stopped answering at its next
	// ping: every second here rather than every five, to spend less of
	// the test waiting.
	c.opts.PingInterval = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Run(ctx)
	// Once synced: during the first sync's unit file listing, which may
	// rightly take UnitFilesTimeout, a stopped manager looks like a busy
	// one.
	waitMetric(t, c, "bootinfo_systemd_detail_complete", "", 1)
	waitMetric(t, c, "bootinfo_systemd_system_state", "state=running", 1)
	set := NewSet(map[string]Collector{"systemd": c}, time.Second, promslog.NewNopLogger())

	lab.StopManager()
	abandoned := 0
	testutil.WaitFor(t, "the collector to report the stopped manager", func() error {
		o := set.Gather(context.Background())[0]
		switch {
		case o.Err == nil:
			return errors.New("the collector still succeeds")
		case errors.Is(o.Err, ErrTimeout):
			// The Set answered for a collection it abandoned (on a
			// starved machine); the collector has not reported yet.
			abandoned++
			return fmt.Errorf("abandoned at the deadline: %w", o.Err)
		}
		t.Logf("with the manager stopped: %v (%d collections abandoned before)", o.Err, abandoned)
		return nil
	})
	lab.ContinueManager()
	waitMetric(t, c, "bootinfo_systemd_system_state", "state=running", 1)
}

// TestSystemdOneShotNoManager: without a manager, show fails at once with
// the reason rather than waiting for the deadline.
func TestSystemdOneShotNoManager(t *testing.T) {
	c, _ := NewSystemdCollector(Config{Logger: promslog.NewNopLogger(), Systemd: SystemdConfig{Address: "unix:path=" + t.TempDir() + "/nosuch", Timeout: time.Second}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Collect(ctx)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("err = %v (ctx %v)", err, ctx.Err())
	}
}

// TestSystemdReloadingState: a unit reloading is in the state set's
// "reloading" series, as systemctl shows it, not in none.
func TestSystemdReloadingState(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{
		// The reload never ends by itself, so however late the watcher
		// looks, the unit is still reloading: only a lost change fails.
		Files: map[string]string{"rl.service": "[Service]\nExecStart=/bin/sleep infinity\nExecReload=/bin/sleep infinity\nTimeoutStartSec=infinity\n"},
		Wants: []string{"rl.service"},
	})
	c := newSystemd(t, lab, 2*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Run(ctx)
	waitMetric(t, c, "bootinfo_systemd_unit_state", "name=rl.service,state=active", 1)
	if _, err := lab.Systemctl("reload", "--no-block", "rl.service"); err != nil {
		t.Fatal(err)
	}
	snap := waitMetric(t, c, "bootinfo_systemd_unit_state", "name=rl.service,state=reloading", 1)
	if out, _ := lab.Systemctl("show", "-p", "ActiveState", "--value", "rl.service"); strings.TrimSpace(out) != "reloading" {
		t.Errorf("systemctl says %q", out)
	}
	if got := metricValue(t, snap, "bootinfo_systemd_unit_state", "name=rl.service,state=active"); got != 0 {
		t.Errorf("active = %v while reloading", got)
	}
}

// TestSystemdCallRateReachesTheWatcher: the configured budget of property
// reads (--collector.systemd.max-calls-per-second) is the watcher's.
func TestSystemdCallRateReachesTheWatcher(t *testing.T) {
	c, err := NewSystemdCollector(Config{Logger: promslog.NewNopLogger(), Systemd: SystemdConfig{CallRate: 123}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.(*systemdCollector).opts.CallRate; got != 123 {
		t.Errorf("the watcher's CallRate is %d, want the configured 123", got)
	}
}
