package systemd

import (
	"fmt"
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
func TestLabLastFailure(t *testing.T) {
	cores := t.TempDir()
	restart := "Restart=on-failure\nRestartSec=3s\n"
	l := startLab(t, systemdlab.Options{
		Files: map[string]string{
			"kill9.service":   "[Service]\nExecStart=/bin/sleep infinity\n" + restart,
			"segv.service":    "[Service]\nExecStart=/bin/sleep infinity\nLimitCORE=infinity\nWorkingDirectory=" + cores + "\n" + restart,
			"exit3.service":   "[Service]\nExecStart=/bin/sh -c 'sleep 1; exit 3'\n" + restart,
			"timeout.service": "[Service]\nType=notify\nExecStart=/bin/sleep infinity\nTimeoutStartSec=1s\n" + restart,
			// Runs that succeed and are restarted at once: the fourth
			// start in the hour hits the limit. (A service that failed
			// keeps its first failure's Result, exit-code, when its
			// restart then hits the limit: systemd only replaces a
			// success.)
			"limit.service": "[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=1h\n[Service]\nExecStart=/bin/true\nRestart=always\nRestartSec=100ms\n",
		},
		Wants: []string{"kill9.service", "segv.service", "exit3.service", "timeout.service"},
	})
	w := startWatcher(t, Options{Address: l.PrivateAddress()})

	for _, tc := range []struct {
		unit   string
		signal syscall.Signal // sent to the main process; 0: it fails alone
		want   Failure        // what must match besides systemctl's view
	}{
		{"kill9.service", syscall.SIGKILL, Failure{Result: "signal", Code: "killed", Signal: "SIGKILL"}},
		{"segv.service", syscall.SIGSEGV, Failure{Result: "core-dump", Code: "dumped", Signal: "SIGSEGV"}},
		{"exit3.service", 0, Failure{Result: "exit-code", Code: "exited", Status: 3}},
		{"timeout.service", 0, Failure{Result: "timeout", Code: "killed", Signal: "SIGTERM"}},
	} {
		t.Run(tc.unit, func(t *testing.T) {
			if tc.signal != 0 {
				pid, _ := strconv.Atoi(showProps(t, l, tc.unit, "MainPID")["MainPID"])
				if pid == 0 {
					t.Fatalf("%s has no main process", tc.unit)
				}
				if err := syscall.Kill(pid, tc.signal); err != nil {
					t.Fatal(err)
				}
			}
			// The oracle: systemctl, while the unit waits RestartSec
			// to be restarted.
			var oracle Failure
			testutil.WaitFor(t, tc.unit+" to wait to restart", func() error {
				p := showProps(t, l, tc.unit, "SubState", "Result", "ExecMainCode", "ExecMainStatus", "NRestarts")
				if p["SubState"] != "auto-restart" {
					return fmt.Errorf("%v", p)
				}
				oracle = failureFromShow(p)
				return nil
			})
			// After the restart systemd's own Result says success.
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
				t.Errorf("%s: failure at %v, observed %v", tc.unit, got.At, got.Observed)
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
