package systemdlab

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

const sleeper = "[Unit]\nDescription=Lab sleeper\n\n[Service]\nExecStart=/bin/sleep infinity\nRestart=on-failure\n"

func mainPID(t *testing.T, l *Lab, unit string) int {
	t.Helper()
	out, err := l.Systemctl("show", "--property=MainPID", "--value", unit)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("MainPID of %s: %v", unit, err)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestLabLifecycle(t *testing.T) {
	var leftovers []int
	t.Run("run", func(t *testing.T) {
		l := Start(t, Options{
			Units: 3,
			Files: map[string]string{"sleeper.service": sleeper},
			Wants: []string{"sleeper.service"},
		})
		out, err := l.Systemctl("list-units", "--all", "--no-legend", GeneratedPrefix+"*")
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(out, "active exited"); n != 3 {
			t.Errorf("want 3 generated units active/exited, got %d in:\n%s", n, out)
		}
		if _, err := l.SystemdAnalyze("time"); err != nil {
			t.Errorf("systemd-analyze time: %v", err)
		}
		sleeperPID := mainPID(t, l, "sleeper.service")
		if sleeperPID == 0 {
			t.Fatal("sleeper.service has no main PID")
		}

		l.StopManager()
		l.ContinueManager()

		first := l.ManagerPID()
		l.KillManager()
		if alive(first) {
			t.Errorf("manager %d still alive after KillManager", first)
		}
		if !alive(sleeperPID) {
			t.Errorf("a killed manager's service %d died with it; the lab cannot model a crash", sleeperPID)
		}
		l.RestartManager()
		if l.ManagerPID() == first || l.ManagerPID() == 0 {
			t.Errorf("RestartManager: PID %d, was %d", l.ManagerPID(), first)
		}
		// The restarted manager must be reachable over the bus as well.
		state, err := l.run("busctl", "--user", "get-property", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			"org.freedesktop.systemd1.Manager", "SystemState")
		if err != nil || strings.TrimSpace(state) == "" {
			t.Errorf("restarted manager: state %q, %v", state, err)
		}
		leftovers = append([]int{first, sleeperPID}, l.PIDs()...)
		if len(leftovers) < 4 {
			t.Errorf("PIDs() = %v: want the manager and its services", l.PIDs())
		}
	})
	for _, pid := range leftovers {
		// A zombie still answers kill(0); only a live process is a leak.
		if pid != 0 && running(pid) {
			t.Errorf("process %d outlived the lab", pid)
		}
	}
}

// TestCrashLoops: the crash-looping services start with the manager and are
// restarted again and again, without a start limit stopping them.
func TestCrashLoops(t *testing.T) {
	l := Start(t, Options{CrashLoops: 2})
	testutil.WaitFor(t, "both services to restart 25 times", func() error {
		for i := range 2 {
			out, err := l.Systemctl("show", "--property=NRestarts", "--value", CrashLoopUnit(i))
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(strings.TrimSpace(out))
			if err != nil {
				return fmt.Errorf("NRestarts of %s: %q", CrashLoopUnit(i), out)
			}
			if n < 25 {
				return fmt.Errorf("%s restarted %d times", CrashLoopUnit(i), n)
			}
		}
		return nil
	})
}
