package fault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// effect is what a fault must do to one agent's systemd collector while it
// lasts.
type effect int

const (
	// mustFail: success goes 0 and /bootinfo names the failure.
	mustFail effect = iota
	// mustStay: success stays 1 throughout (the fault does not concern
	// this agent's connection).
	mustStay
)

// systemdAgent is one agent watching the lab, and how it reaches it.
type systemdAgent struct {
	name string
	a    *agent.Agent
	loop *loop
	base resources
}

// fixtureStable are the collectors a fixture root serves without fail; the
// systemd faults must never touch them.
var fixtureStable = []string{"bootloader", "dmi", "firmware", "history", "host"}

// startSystemdAgent starts an agent whose systemd collector watches the
// lab. Its D-Bus calls have the default deadline, 5s: a call that misses
// it makes the watcher reconnect, which under "private socket removed" it
// cannot, so a shorter one turned a slow call on a loaded machine into a
// failure of an agent the fault must not concern.
func startSystemdAgent(t *testing.T, root string, extra ...string) *agent.Agent {
	t.Helper()
	return start(t, root, append([]string{
		"--collector.systemd", "--collector.systemd.user", "--collector.systemd.timeout=5s",
		// A state directory per agent: history is not under test.
		"--state.dir=" + filepath.Join(t.TempDir(), "state")}, extra...)...)
}

// unitProbe fetches a unit's detail every round: a live D-Bus call, not
// the cache, so under a fault it must answer too, by its deadline (503 or
// 504).
var unitProbe = map[string][]int{"/bootinfo/systemd/units/web.service": {200, 503, 504}}

// systemdHealthy returns nil once the loop's last round saw the systemd
// collector succeed and /bootinfo without its error.
func systemdHealthy(l *loop) error {
	s, _ := l.latest()
	if e, failed := s.errors["systemd"]; failed || s.success["systemd"] != 1 {
		return fmt.Errorf("success %v, errors.systemd %q", s.success["systemd"], e)
	}
	return nil
}

// waitSystemdFailure waits until the loop has seen the systemd collector
// fail in /metrics and /bootinfo, and returns the error it gave.
func waitSystemdFailure(t *testing.T, l *loop) string {
	t.Helper()
	testutil.WaitFor(t, l.name+": systemd failure in /metrics and /bootinfo", func() error {
		if l.failure("systemd") == "" {
			return errors.New("not seen yet")
		}
		return nil
	})
	return l.failure("systemd")
}

// TestSystemdFaults runs two agents against one systemd lab, one on the
// manager's private socket and one on the session bus, each under a scrape
// loop, and puts the manager and the bus through the faults a host sees.
// For each: every scrape answers (200, within clientTimeout; a unit's
// detail, which is a D-Bus call, with 200, 503 or 504), the systemd
// collector of an agent the fault concerns reports failure in /metrics and
// /bootinfo and recovers by itself once the fault is undone, the other
// collectors are served throughout, and goroutines, descriptors and unix
// socket connections return to where they were.
func TestSystemdFaults(t *testing.T) {
	needRoot(t)
	lab := systemdlab.Start(t, systemdlab.Options{
		Units: 5,
		Files: map[string]string{"web.service": "[Unit]\nDescription=lab web\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=default.target\n"},
		Wants: []string{"web.service"},
	})
	root := agent.FixtureRoot(t)
	agents := []*systemdAgent{
		{name: "private", a: startSystemdAgent(t, root, "--collector.systemd.address="+lab.PrivateAddress())},
		{name: "bus", a: startSystemdAgent(t, root, "--collector.systemd.address="+lab.BusAddress(), "--collector.systemd.address-is-bus")},
	}
	for _, ag := range agents {
		ag.loop = startLoop(t, ag.name, ag.a, unitProbe, fixtureStable...)
	}
	for _, ag := range agents {
		testutil.WaitFor(t, ag.name+": first systemd sync", func() error { return systemdHealthy(ag.loop) })
		ag.loop.waitRounds(t, 3)
		ag.base = settled(t, ag.a)
		t.Logf("%s: baseline %v", ag.name, ag.base)
	}
	privateSocket := filepath.Join(lab.RuntimeDir(), "systemd", "private")
	var (
		fresh     *agent.Agent
		freshLoop *loop
	)

	faults := []systemdFault{{
		name:    "manager SIGKILL then restarted",
		effects: map[string]effect{"private": mustFail, "bus": mustFail},
		inject:  func(*testing.T) { lab.KillManager() },
		undo:    func(*testing.T) { lab.RestartManager() },
	}, {
		name:    "manager SIGSTOP then SIGCONT",
		effects: map[string]effect{"private": mustFail, "bus": mustFail},
		inject:  func(*testing.T) { lab.StopManager() },
		undo:    func(*testing.T) { lab.ContinueManager() },
	}, {
		// An established connection outlives the socket's name: the
		// running agents must not notice. A new agent cannot connect
		// and must say so, and recover by itself once the manager
		// binds the socket again (daemon-reexec does, dropping its
		// private connections on the way).
		name:    "private socket removed",
		effects: map[string]effect{"private": mustStay, "bus": mustStay},
		inject: func(t *testing.T) {
			if err := os.Remove(privateSocket); err != nil {
				t.Fatal(err)
			}
		},
		during: func(t *testing.T) {
			fresh = startSystemdAgent(t, root, "--collector.systemd.address="+lab.PrivateAddress())
			freshLoop = startLoop(t, "fresh", fresh, unitProbe, fixtureStable...)
			msg := waitSystemdFailure(t, freshLoop)
			if !strings.Contains(msg, privateSocket) || !strings.Contains(msg, "no such file") {
				t.Errorf("fresh agent: errors.systemd = %q, want it to name %s and say it does not exist", msg, privateSocket)
			}
			t.Logf("fresh agent: errors.systemd = %q", msg)
		},
		undo: func(t *testing.T) {
			if _, err := lab.Systemctl("daemon-reexec"); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(t, "fresh agent: recovery after the socket is back", func() error { return systemdHealthy(freshLoop) })
			freshLoop.check(t)
			noPanic(t, "fresh", fresh)
		},
	}, {
		// The bus is the bus agent's way to the manager; the private
		// socket agent must not notice. The manager's dbus.socket
		// activates a new daemon when the bus agent reconnects.
		//
		// The manager kills the daemon (SIGKILL to every process of
		// dbus.service): a kill of the main PID alone can leave a
		// forked dbus-daemon in the unit's cgroup, and the manager
		// then waits out its stop timeout before it activates a new
		// bus.
		name:    "session bus daemon SIGKILL, three times",
		effects: map[string]effect{"private": mustStay, "bus": mustFail},
		repeat:  3,
		inject: func(t *testing.T) {
			if _, err := lab.Systemctl("kill", "--signal=SIGKILL", "dbus.service"); err != nil {
				t.Fatal(err)
			}
		},
		undo: func(*testing.T) {},
	}}

	t.Cleanup(func() {
		if t.Failed() {
			out, _ := lab.Systemctl("status", "dbus.service", "dbus.socket")
			t.Logf("the lab's bus units:\n%s", out)
		}
		for _, ag := range agents {
			ag.loop.mu.Lock()
			t.Logf("%s: %d rounds; unit detail answers (status: count) %v", ag.name, ag.loop.rounds, ag.loop.answers)
			ag.loop.mu.Unlock()
		}
	})
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			for range max(f.repeat, 1) {
				runFault(t, agents, f)
			}
			for _, ag := range agents {
				ag.loop.check(t)
				noPanic(t, ag.name, ag.a)
				now := checkNoLeak(t, ag.name, ag.a, ag.base)
				t.Logf("%s: after recovery %v (baseline %v)", ag.name, now, ag.base)
			}
		})
	}
}

// systemdFault is one row of TestSystemdFaults.
type systemdFault struct {
	name    string
	effects map[string]effect
	inject  func(t *testing.T)
	// during runs while the fault lasts, after the effects showed.
	during func(t *testing.T)
	undo   func(t *testing.T)
	// repeat runs the fault this many times before the leak check,
	// so that a small leak per reconnection adds up past the margins.
	repeat int
}

// runFault injects f, waits until each agent it concerns reports the
// failure while the others do not, undoes it and waits for recovery.
func runFault(t *testing.T, agents []*systemdAgent, f systemdFault) {
	t.Helper()
	for _, ag := range agents {
		ag.loop.reset()
	}
	f.inject(t)
	for _, ag := range agents {
		if f.effects[ag.name] != mustFail {
			continue
		}
		t.Logf("%s: errors.systemd = %q", ag.name, waitSystemdFailure(t, ag.loop))
	}
	// Let the agents that must not notice scrape a while
	// under the fault.
	for _, ag := range agents {
		ag.loop.waitRounds(t, 5)
	}
	if f.during != nil {
		f.during(t)
	}
	for _, ag := range agents {
		ag.loop.mu.Lock()
		zero := ag.loop.zero["systemd"]
		ag.loop.mu.Unlock()
		if msg := ag.loop.failure("systemd"); f.effects[ag.name] == mustStay && (zero || msg != "") {
			t.Errorf("%s: systemd failed (%q) under a fault that does not concern it", ag.name, msg)
		}
	}
	f.undo(t)
	for _, ag := range agents {
		testutil.WaitFor(t, ag.name+": systemd recovery", func() error { return systemdHealthy(ag.loop) })
		ag.loop.waitRounds(t, 3)
		if err := systemdHealthy(ag.loop); err != nil {
			t.Errorf("%s: systemd failed again after recovering: %v", ag.name, err)
		}
	}
}
