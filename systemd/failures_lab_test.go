package systemd

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// showProps reads properties of a unit with systemctl show, as a map.
func showProps(t *testing.T, l *systemdlab.Lab, unit string, props ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(systemctl(t, l, "show", "-p", strings.Join(props, ","), unit)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// failureFromShow is the Failure that systemctl show's properties, taken
// while the unit waits to be restarted, describe.
func failureFromShow(p map[string]string) Failure {
	code, _ := strconv.Atoi(p["ExecMainCode"])
	status, _ := strconv.Atoi(p["ExecMainStatus"])
	n, _ := strconv.Atoi(p["NRestarts"])
	f, _ := failureOf(p["Result"], sigchldCode(int32(code)), int32(status), uint32(n), time.Time{})
	return f
}

// TestLabLastFailure kills, crashes, fails and times out services that
// systemd restarts automatically, which resets their Result: each must
// keep the failure as systemctl showed it at the moment it happened, and
// a service that hits its start limit must say so.
//
// Nothing here races the clock. Each service fails once, when the test
// makes it, and runs on for good once restarted, so the snapshot that
// shows the restart shows the failure systemctl saw, not a later one.
// systemctl reads the failure while an ExecStopPost= holds the service
// stopped, until the test lets it go on to its restart.
func TestLabLastFailure(t *testing.T) {
	cores, marks := t.TempDir(), t.TempDir()
	mark := func(unit, what string) string { return filepath.Join(marks, unit+"."+what) }
	// restart restarts a service that failed, once ExecStopPost= finds
	// the mark the test makes when it has read the failure.
	restart := func(unit string) string {
		return "Restart=on-failure\nRestartSec=100ms\nTimeoutStopSec=infinity\n" +
			"ExecStopPost=/bin/sh -c 'while [ ! -e " + mark(unit, "read") + " ]; do sleep 0.05; done'\n"
	}
	l := startLab(t, systemdlab.Options{
		Files: map[string]string{
			"kill9.service": "[Service]\nExecStart=/bin/sleep infinity\n" + restart("kill9.service"),
			"segv.service":  "[Service]\nExecStart=/bin/sleep infinity\nLimitCORE=infinity\nWorkingDirectory=" + cores + "\n" + restart("segv.service"),
			// Exits 3 when the test says go, the first time only.
			"exit3.service": "[Service]\nExecStart=/bin/sh -c 'if [ -e " + mark("exit3.service", "failed") + " ]; then exec sleep infinity; fi; " +
				"while [ ! -e " + mark("exit3.service", "go") + " ]; do sleep 0.05; done; touch " + mark("exit3.service", "failed") + "; exit 3'\n" +
				restart("exit3.service"),
			// Never ready: its start times out. Started by the test, its
			// restart with no start timeout (a drop-in the test adds).
			"timeout.service": "[Service]\nType=notify\nExecStart=/bin/sleep infinity\nTimeoutStartSec=1s\n" + restart("timeout.service"),
			// Runs that succeed and are restarted at once: the fourth
			// start in the hour hits the limit. (A service that failed
			// keeps its first failure's Result, exit-code, when its
			// restart then hits the limit: systemd only replaces a
			// success.)
			"limit.service": "[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=1h\n[Service]\nExecStart=/bin/true\nRestart=always\nRestartSec=100ms\n",
		},
		Wants: []string{"kill9.service", "segv.service", "exit3.service"},
	})
	// A call timeout no stall of a loaded machine reaches: a watcher that
	// reconnected while a service failed would find the failure in its
	// properties afterwards (not Observed), and this test wants it seen.
	w := startWatcher(t, Options{Address: l.PrivateAddress(), Timeout: time.Minute})
	touch := func(t *testing.T, path string) {
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kill := func(sig syscall.Signal) func(t *testing.T, unit string) {
		return func(t *testing.T, unit string) {
			pid, _ := strconv.Atoi(showProps(t, l, unit, "MainPID")["MainPID"])
			if pid == 0 {
				t.Fatalf("%s has no main process", unit)
			}
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, tc := range []struct {
		unit string
		fail func(t *testing.T, unit string) // makes it fail
		held func(t *testing.T, unit string) // while it is held after its failure; may be nil
		want Failure                         // what must match besides systemctl's view
	}{
		{unit: "kill9.service", fail: kill(syscall.SIGKILL), want: Failure{Result: "signal", Code: "killed", Signal: "SIGKILL"}},
		{unit: "segv.service", fail: kill(syscall.SIGSEGV), want: Failure{Result: "core-dump", Code: "dumped", Signal: "SIGSEGV"}},
		{
			unit: "exit3.service",
			fail: func(t *testing.T, unit string) { touch(t, mark(unit, "go")) },
			want: Failure{Result: "exit-code", Code: "exited", Status: 3},
		},
		{
			unit: "timeout.service",
			fail: func(t *testing.T, unit string) { systemctl(t, l, "start", "--no-block", unit) },
			held: func(t *testing.T, unit string) {
				// A reload while it is held keeps its state, failure and
				// restart count; its restart then waits for readiness
				// for ever, in success.
				d := filepath.Join(l.UnitDir(), unit+".d")
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, "patient.conf"), []byte("[Service]\nTimeoutStartSec=infinity\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				systemctl(t, l, "daemon-reload")
			},
			want: Failure{Result: "timeout", Code: "killed", Signal: "SIGTERM"},
		},
	} {
		t.Run(tc.unit, func(t *testing.T) {
			tc.fail(t, tc.unit)
			// The oracle: systemctl, while ExecStopPost= holds the
			// service after its failure.
			var oracle Failure
			testutil.WaitFor(t, tc.unit+" to stop after its failure", func() error {
				p := showProps(t, l, tc.unit, "SubState", "Result", "ExecMainCode", "ExecMainStatus", "NRestarts")
				if p["SubState"] != "stop-post" {
					return fmt.Errorf("%v", p)
				}
				oracle = failureFromShow(p)
				return nil
			})
			if tc.held != nil {
				tc.held(t, tc.unit)
				if p := showProps(t, l, tc.unit, "SubState"); p["SubState"] != "stop-post" {
					t.Fatalf("%s went on before the test let it: %v", tc.unit, p)
				}
			}
			touch(t, mark(tc.unit, "read"))
			// After the restart systemd's own Result says success, and
			// stays so.
			s := waitSnapshot(t, w, tc.unit+" restarted", func(s *Snapshot) bool {
				u, _ := s.Unit(tc.unit)
				return u.Service != nil && u.Service.NRestarts > oracle.NRestarts && u.Service.Result == "success"
			})
			u, _ := s.Unit(tc.unit)
			if u.LastFailure == nil {
				t.Fatalf("%s: no last failure after the restart; systemctl showed %+v", tc.unit, oracle)
			}
			got := *u.LastFailure
			if got.At.IsZero() || time.Since(got.At) > time.Hour || !got.Observed {
				t.Errorf("%s: failure at %v, observed %v (watcher %+v)", tc.unit, got.At, got.Observed, w.Stats())
			}
			got.At, got.Observed = time.Time{}, false
			if got != oracle {
				t.Errorf("%s: last failure %+v, systemctl showed %+v", tc.unit, got, oracle)
			}
			want := tc.want
			want.NRestarts = oracle.NRestarts
			if got != want {
				t.Errorf("%s: last failure %+v, want %+v", tc.unit, got, want)
			}
			if u.FailureCounts == nil || (*u.FailureCounts)[want.Result] < 1 {
				t.Errorf("%s: failure counts %v", tc.unit, u.FailureCounts)
			}
			found := false
			for _, f := range s.RecentFailures {
				found = found || f.Unit == tc.unit && f.Result == want.Result
			}
			if !found {
				t.Errorf("%s: not among the recent failures %+v", tc.unit, s.RecentFailures)
			}
		})
	}

	t.Run("limit.service", func(t *testing.T) {
		systemctl(t, l, "start", "--no-block", "limit.service")
		testutil.WaitFor(t, "limit.service to fail", func() error {
			if p := showProps(t, l, "limit.service", "Result", "NRestarts", "ActiveState", "SubState"); p["ActiveState"] != "failed" {
				return fmt.Errorf("%v", p)
			}
			return nil
		})
		s := waitSnapshot(t, w, "limit.service hit its start limit", func(s *Snapshot) bool {
			u, _ := s.Unit("limit.service")
			return u.LastFailure != nil && u.LastFailure.Result == "start-limit-hit"
		})
		u, _ := s.Unit("limit.service")
		p := showProps(t, l, "limit.service", "Result", "NRestarts", "ActiveState")
		if p["Result"] != "start-limit-hit" || p["ActiveState"] != "failed" {
			t.Errorf("systemctl shows %v", p)
		}
		// Three successful runs within the burst, then the limit.
		if c := *u.FailureCounts; len(c) != 1 || c["start-limit-hit"] != 1 {
			t.Errorf("failure counts %v, want 1 start-limit-hit; systemctl shows %v", c, p)
		}
	})
}
