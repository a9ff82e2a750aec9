package plot

// The picture of a real systemd user manager (internal/testing/systemdlab),
// with systemd-analyze time and blame and systemctl show, taken on the same
// manager, as the oracles.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/systemd"
)

// labSlowest is fewer than the lab's timed units, so that the choice of
// the slowest is tested too.
const labSlowest = 8

func TestLabMatchesSystemdAnalyze(t *testing.T) {
	files := map[string]string{}
	var wants []string
	// Units that take distinct times to start, and one that fails after
	// trying for a while.
	for i, d := range []string{"0.05", "0.12", "0.2", "0.3"} {
		n := fmt.Sprintf("lab-slow-%d.service", i)
		files[n] = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sleep " + d + "\n"
		wants = append(wants, n)
	}
	files["lab-fails.service"] = "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 0.15; exit 3'\n"
	wants = append(wants, "lab-fails.service")
	l := systemdlab.Start(t, systemdlab.Options{Units: 12, Files: files, Wants: wants})
	settle(t, l)

	w := systemd.New(systemd.Options{Scope: systemd.ScopeUser, Address: l.PrivateAddress(), Timeout: 5 * time.Second})
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
	s := waitSnapshot(t, w)

	svg, d := renderParse(t, NewInput(s, nil, labSlowest))
	xmllint(t, svg)
	if dir := os.Getenv("BOOTINFO_LAB_ARTIFACTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "plot-lab-user-manager.svg"), svg, 0o644); err != nil {
			t.Error(err)
		}
	}
	if d.Origin != OriginManager {
		t.Errorf("origin %q", d.Origin)
	}

	t.Run("time", func(t *testing.T) {
		out, err := l.SystemdAnalyze("time")
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(out, "\n")
		if got := startupLine(d.Phases); got != first {
			t.Errorf("phases say\n%q\nsystemd-analyze time says\n%q", got, first)
		}
		// And to the microsecond: a user manager's timeline is its
		// userspace phase, from its start to FinishTimestamp.
		start, finish := prop(t, l, "", "UserspaceTimestampMonotonic"), prop(t, l, "", "FinishTimestampMonotonic")
		if len(d.Phases) != 1 || d.Phases[0] != (Phase{Name: "userspace", StartUSec: 0, EndUSec: int64(finish - start)}) {
			t.Errorf("phases %+v, manager says userspace from %d to %d", d.Phases, start, finish)
		}
	})

	t.Run("blame", func(t *testing.T) {
		out, err := l.SystemdAnalyze("blame")
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		blame := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			order = append(order, f[len(f)-1])
			blame[f[len(f)-1]] = strings.Join(f[:len(f)-1], " ")
		}
		// Units that started activating after startup finished are in
		// blame but not part of the boot, and systemd-analyze plot
		// leaves them out too.
		start, finish := prop(t, l, "", "UserspaceTimestampMonotonic"), prop(t, l, "", "FinishTimestampMonotonic")
		var inBoot []string
		for _, n := range order {
			if prop(t, l, n, "InactiveExitTimestampMonotonic") <= finish {
				inBoot = append(inBoot, n)
			} else {
				t.Logf("%s started after startup", n)
			}
		}
		order = inBoot
		if len(d.Units) != labSlowest || d.LeftOut != len(order)-labSlowest {
			t.Errorf("%d units drawn, %d left out; blame lists %d in startup", len(d.Units), d.LeftOut, len(order))
		}
		drawnTime := map[string]string{}
		for _, u := range d.Units {
			got := ms(u.TimeUSec)
			drawnTime[u.Name] = got
			if blame[u.Name] != got {
				t.Errorf("%s: drawn %s, blame %q", u.Name, got, blame[u.Name])
			}
			if title := d.Titles["unit:"+u.Name]; !strings.HasPrefix(title, u.Name+" +"+got+" ") {
				t.Errorf("%s: title %q", u.Name, title)
			}
			// The span itself, to the microsecond, from the unit's own
			// timestamps on the manager's clock.
			exit, enter := prop(t, l, u.Name, "InactiveExitTimestampMonotonic"), prop(t, l, u.Name, "ActiveEnterTimestampMonotonic")
			if u.ActivatingUSec != exit-start {
				t.Errorf("%s: activating at %d, manager says %d", u.Name, u.ActivatingUSec, exit-start)
			}
			if enter >= exit {
				if u.ActivatedUSec != enter-start || u.TimeUSec != enter-exit {
					t.Errorf("%s: activated at %d after %d, manager says %d after %d", u.Name, u.ActivatedUSec, u.TimeUSec, enter-start, enter-exit)
				}
			} else if inactive := prop(t, l, u.Name, "InactiveEnterTimestampMonotonic"); u.TimeUSec != inactive-exit {
				t.Errorf("%s: tried for %d, manager says %d", u.Name, u.TimeUSec, inactive-exit)
			}
		}
		for _, n := range []string{"lab-slow-3.service", "lab-slow-2.service", "lab-fails.service"} {
			if _, ok := drawnTime[n]; !ok {
				t.Errorf("%s is not drawn", n)
			}
		}
		// The slowest: what blame lists first, but for a tie (at the
		// millisecond blame shows) with the fastest drawn.
		fastest := d.Units[0].TimeUSec
		for _, u := range d.Units {
			fastest = min(fastest, u.TimeUSec)
		}
		for i, n := range order {
			if _, ok := drawnTime[n]; !ok && i < labSlowest && blame[n] != ms(fastest) {
				t.Errorf("%s (%s, #%d in blame) is not drawn; the fastest drawn took %s", n, blame[n], i+1, ms(fastest))
			}
		}
	})
}

// prop is a manager (unit "") or unit property as systemctl show gives it.
func prop(t *testing.T, l *systemdlab.Lab, unit, name string) uint64 {
	t.Helper()
	args := []string{"show", "--property=" + name, "--value"}
	if unit != "" {
		args = append(args, unit)
	}
	out, err := l.Systemctl(args...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("%s %s: %v", unit, name, err)
	}
	return v
}

// safetyBound turns a hang into a failure; it is not a performance
// assertion.
const safetyBound = 60 * time.Second

// settle waits until the manager has no jobs queued, so that blame and
// the picture see the same units.
func settle(t *testing.T, l *systemdlab.Lab) {
	t.Helper()
	deadline := time.Now().Add(safetyBound)
	for time.Now().Before(deadline) {
		if out, err := l.Systemctl("show", "--property=NJobs", "--value"); err == nil && strings.TrimSpace(out) == "0" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("manager never settled")
}

// waitSnapshot waits for the watcher's first snapshot with every unit's
// times and a finished startup.
func waitSnapshot(t *testing.T, w *systemd.Watcher) *systemd.Snapshot {
	t.Helper()
	deadline := time.Now().Add(safetyBound)
	var last error
	for time.Now().Before(deadline) {
		s, err := w.Snapshot()
		if err == nil && s.DetailComplete && s.Timeline.Finished && len(s.Blame) > 0 {
			return s
		}
		last = err
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no complete snapshot (last error %v)", last)
	return nil
}
