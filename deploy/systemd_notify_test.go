package deploy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"golang.org/x/sys/unix"
)

// agentLog sends the agent's output to a file in the lab's runtime
// directory (the lab runs no journal), for the failure messages.
const agentLog = "StandardOutput=append:" + labRuntime + "/agent.log\nStandardError=append:" + labRuntime + "/agent.log\n"

// notifyUnits are the shipped unit running on addr with extra flags, and
// a drop-in with the test's own settings.
func notifyUnits(t *testing.T, addr, flags, dropIn string) map[string][]byte {
	return map[string][]byte{
		"bootinfo.service":            unitRunning(t, unitExecStart+" --web.listen-address="+addr+flags),
		"bootinfo.service.d/lab.conf": []byte("[Service]\n" + agentLog + dropIn),
	}
}

func (l *unitLab) agentLog() string {
	out, _ := l.inside("cat", labRuntime+"/agent.log")
	return out
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, the clock of systemd's
// ...TimestampMonotonic properties.
func monotonicUsec(t *testing.T) uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return uint64(ts.Nano() / 1000)
}

func usec(t *testing.T, props map[string]string, key string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(props[key], 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", key, props[key], err)
	}
	return v
}

// TestUnitActiveAfterFirstCollection: the Type=notify unit becomes active
// only after the agent's first collection. The lab holds that collection
// back: the manager's private socket is not at /run/systemd/private until
// the test links it, so the systemd collector cannot sync (and
// --collector.timeout=10m keeps the agent from giving up on it). The agent
// serves, yet the unit stays activating; once the test links the socket
// the unit becomes active, after that moment by the manager's own clock,
// and the systemd collector's first scrape succeeds.
func TestUnitActiveAfterFirstCollection(t *testing.T) {
	addr := testutil.FreeAddr(t)
	lab := startUnitLab(t, notifyUnits(t, addr, " --collector.timeout=10m", "TimeoutStartSec=infinity\n"), "")
	if _, err := lab.systemctl("start", "--no-block", "bootinfo.service"); err != nil {
		t.Fatalf("%v\n%s", err, lab.logs())
	}
	testutil.WaitFor(t, "the agent to serve", func() error {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}, lab.script)
	before := lab.show("bootinfo.service", "ActiveState", "SubState", "StatusText")
	t.Logf("serving, systemd collector not synced: %v", before)
	if before["ActiveState"] != "activating" || before["SubState"] != "start" {
		t.Fatalf("the unit is %s/%s before the first collection; want activating/start\n%s", before["ActiveState"], before["SubState"], lab.agentLog())
	}
	if before["StatusText"] != "collecting for the first time" {
		t.Errorf("StatusText=%q before the first collection", before["StatusText"])
	}

	linked := monotonicUsec(t)
	if _, err := lab.inside("sh", "-c", linkPrivate); err != nil {
		t.Fatal(err)
	}
	var after map[string]string
	testutil.WaitFor(t, "the unit to become active", func() error {
		after = lab.show("bootinfo.service", "ActiveState", "SubState", "Result", "StatusText",
			"ExecMainStartTimestampMonotonic", "ActiveEnterTimestampMonotonic")
		if after["ActiveState"] != "active" {
			return fmt.Errorf("%v", after)
		}
		return nil
	}, lab.script)
	t.Logf("active: %v", after)
	started, active := usec(t, after, "ExecMainStartTimestampMonotonic"), usec(t, after, "ActiveEnterTimestampMonotonic")
	if active <= linked {
		t.Errorf("active at %d µs, before the socket was linked at %d µs", active, linked)
	}
	t.Logf("started %d µs, socket linked %.3fs later, active %.3fs after the link", started, float64(linked-started)/1e6, float64(active-linked)/1e6)
	if !strings.HasPrefix(after["StatusText"], "serving; first collection: ") || strings.Contains(after["StatusText"], "systemd") {
		t.Errorf("StatusText=%q, want the first collection's count, with systemd answered", after["StatusText"])
	}

	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	m, err := agent.ParseMetrics(b)
	if err != nil {
		t.Fatal(err)
	}
	if v := m.Value("bootinfo_scrape_collector_success", "collector", "systemd"); v != 1 {
		t.Errorf("first scrape after active: systemd collector success %v\n%s", v, lab.agentLog())
	}

	if _, err := lab.systemctl("stop", "bootinfo.service"); err != nil {
		t.Fatal(err)
	}
	if r := lab.show("bootinfo.service", "Result", "ExecMainStatus"); r["Result"] != "success" || r["ExecMainStatus"] != "0" {
		t.Errorf("after stop: %v\n%s", r, lab.agentLog())
	}
}

// watchdogDropIn makes the watchdog short, yet long enough that a starved
// agent is not killed for it: the agent pings every half interval after a
// probe of at most a quarter, so a running agent has a quarter interval
// (2.5 s) of slack. It also holds the unit in stop-post
// after any end but a clean stop until /var/lib/bootinfo/release exists,
// so that the test reads Result= before the restart resets it. Each end's
// SERVICE_RESULT, EXIT_CODE and EXIT_STATUS (systemd.exec(5)) go to
// /var/lib/bootinfo/ends.
const watchdogDropIn = `WatchdogSec=10s
RestartSec=100ms
TimeoutStopSec=infinity
ExecStopPost=/bin/sh -c 'echo "$$SERVICE_RESULT $$EXIT_CODE $$EXIT_STATUS" >> /var/lib/bootinfo/ends; [ "$$SERVICE_RESULT" = success ] || until [ -e /var/lib/bootinfo/release ]; do sleep 0.1; done'
`

// TestWatchdogRestartsStoppedAgent: a running agent pings the watchdog
// (the manager's WatchdogTimestamp moves on); SIGSTOPped, it stops pinging,
// and the manager kills it for the watchdog (Result=watchdog) and restarts
// it (NRestarts=1, another MainPID), which then becomes active again.
func TestWatchdogRestartsStoppedAgent(t *testing.T) {
	addr := testutil.FreeAddr(t)
	lab := startUnitLab(t, notifyUnits(t, addr, "", watchdogDropIn), "")
	// Let an end the test did not wait for through stop-post.
	t.Cleanup(func() { _, _ = lab.inside("touch", "/var/lib/bootinfo/release") })
	if _, err := lab.inside("sh", "-c", linkPrivate); err != nil {
		t.Fatal(err)
	}
	// Not waited for by systemctl, which has no deadline, but by the test.
	if _, err := lab.systemctl("start", "--no-block", "bootinfo.service"); err != nil {
		t.Fatalf("%v\n%s\n%s", err, lab.logs(), lab.agentLog())
	}
	props := []string{"ActiveState", "SubState", "Result", "MainPID", "NRestarts", "WatchdogUSec", "WatchdogTimestampMonotonic"}
	var first map[string]string
	testutil.WaitFor(t, "the agent to be active", func() error {
		first = lab.show("bootinfo.service", props...)
		switch first["ActiveState"] {
		case "active":
			return nil
		case "failed":
			t.Fatalf("starting: %v\n%s\n%s", first, lab.logs(), lab.agentLog())
		}
		return fmt.Errorf("%v", first)
	}, lab.script)
	t.Logf("started: %v", first)
	if first["NRestarts"] != "0" || first["WatchdogUSec"] != "10s" {
		t.Fatalf("after start: %v, want NRestarts=0, WatchdogUSec=10s", first)
	}
	testutil.WaitFor(t, "two watchdog pings", func() error {
		now := lab.show("bootinfo.service", props...)
		if now["MainPID"] != first["MainPID"] || now["NRestarts"] != "0" || now["Result"] != "success" {
			t.Fatalf("a running agent was ended: %v\n%s", now, lab.agentLog())
		}
		if usec(t, now, "WatchdogTimestampMonotonic") < usec(t, first, "WatchdogTimestampMonotonic")+1_000_000 {
			return fmt.Errorf("%v", now)
		}
		return nil
	}, lab.script)

	pid, err := strconv.Atoi(first["MainPID"])
	if err != nil || pid <= 1 {
		t.Fatalf("MainPID=%q", first["MainPID"])
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var ended map[string]string
	testutil.WaitFor(t, "the watchdog to end the stopped agent", func() error {
		ended = lab.show("bootinfo.service", props...)
		if ended["SubState"] != "stop-post" {
			return fmt.Errorf("%v", ended)
		}
		return nil
	}, lab.script)
	t.Logf("ended: %v", ended)
	if ended["Result"] != "watchdog" {
		t.Errorf("Result=%s, want watchdog", ended["Result"])
	}
	// stop-post shows as soon as ExecStopPost starts, which can be before
	// its echo has written the line; the command holds in stop-post until
	// released, so the line comes.
	var ends string
	testutil.WaitFor(t, "ExecStopPost to write its line", func() error {
		out, err := lab.inside("cat", "/var/lib/bootinfo/ends")
		if err != nil || !strings.HasSuffix(out, "\n") {
			return fmt.Errorf("%q: %v", out, err)
		}
		ends = out
		return nil
	}, lab.script)
	t.Logf("SERVICE_RESULT EXIT_CODE EXIT_STATUS: %s", strings.TrimSpace(ends))
	if !strings.HasPrefix(ends, "watchdog ") {
		t.Errorf("ExecStopPost saw SERVICE_RESULT %q, want watchdog", ends)
	}
	if _, err := lab.inside("touch", "/var/lib/bootinfo/release"); err != nil {
		t.Fatal(err)
	}

	var again map[string]string
	testutil.WaitFor(t, "the restarted agent to be active", func() error {
		again = lab.show("bootinfo.service", props...)
		if again["ActiveState"] != "active" || again["NRestarts"] != "1" {
			return fmt.Errorf("%v", again)
		}
		return nil
	}, lab.script)
	t.Logf("restarted: %v", again)
	if again["MainPID"] == first["MainPID"] {
		t.Errorf("MainPID %s still after the restart", again["MainPID"])
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the stopped agent %d is still there: %v", pid, err)
	}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("the restarted agent: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the restarted agent's /healthz: %s", resp.Status)
	}
	if _, err := lab.systemctl("stop", "bootinfo.service"); err != nil {
		t.Fatal(err)
	}
}
