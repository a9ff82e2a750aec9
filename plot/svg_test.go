package plot

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/bootinfo/bootinfo/systemd"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// startupLine is the first line of systemd-analyze time rebuilt from the
// phases a picture holds.
func startupLine(phases []Phase) string {
	var parts []string
	var total int64
	kernel := false
	for _, p := range phases {
		span := uint64(p.EndUSec - p.StartUSec)
		kernel = kernel || p.Name == "kernel"
		parts = append(parts, fmt.Sprintf("%s (%s)", ms(span), p.Name))
		// The total counts from the firmware's start, without the
		// loader when there is no firmware timestamp, as systemd does.
		if p.Name == "firmware" {
			total -= p.StartUSec
		}
		total += max(p.EndUSec, 0) - max(p.StartUSec, 0)
	}
	line := "Startup finished in " + strings.Join(parts, " + ") + " "
	if kernel {
		line += "= " + ms(uint64(total)) + " "
	}
	return line
}

// systemInput is a host's system manager that booted at bt, with one unit
// per entry of units (name to InactiveExit, ActiveEnter, ActiveExit,
// InactiveEnter).
func systemSnapshot(bt systemd.BootTimes, units map[string][4]uint64) *systemd.Snapshot {
	in := systemd.SnapshotInput{Scope: systemd.ScopeSystem, Manager: systemd.Manager{BootTimes: bt}}
	in.Units = append(in.Units, systemd.Unit{Name: "default.target", Times: systemd.UnitTimes{ActiveEnterUSec: bt.FinishUSec}})
	for n, t := range units {
		in.Units = append(in.Units, systemd.Unit{Name: n, Times: systemd.UnitTimes{InactiveExitUSec: t[0], ActiveEnterUSec: t[1], ActiveExitUSec: t[2], InactiveEnterUSec: t[3]}})
	}
	f, err := systemd.NewFilter(".+", "")
	if err != nil {
		panic(err)
	}
	return systemd.BuildSnapshot(in, f)
}

// TestSystemPhasesMatchTimeline checks the phases of a host's system
// manager against the Timeline's text, which the systemd package checks
// against systemd-analyze time: same phases, same spans, same total.
func TestSystemPhasesMatchTimeline(t *testing.T) {
	for name, bt := range map[string]systemd.BootTimes{
		"uefi with initrd": {FirmwareUSec: 5_432_100, LoaderUSec: 1_234_567, InitRDUSec: 812_345, UserspaceUSec: 2_345_678, FinishUSec: 9_876_543, SecurityStartUSec: 1},
		"bios no initrd":   {UserspaceUSec: 1_500_001, FinishUSec: 4_000_999, SecurityStartUSec: 1},
		"loader only":      {LoaderUSec: 700_000, InitRDUSec: 900_000, UserspaceUSec: 1_900_000, FinishUSec: 3_000_000, SecurityStartUSec: 1},
	} {
		t.Run(name, func(t *testing.T) {
			s := systemSnapshot(bt, map[string][4]uint64{"a.service": {bt.UserspaceUSec + 10, bt.UserspaceUSec + 5000, 0, 0}})
			svg, d := renderParse(t, NewInput(s, nil, DefaultSlowest))
			xmllint(t, svg)
			if d.Origin != OriginKernel {
				t.Errorf("origin %q", d.Origin)
			}
			first, _, _ := strings.Cut(s.Timeline.Text, "\n")
			if got := startupLine(d.Phases); got != first {
				t.Errorf("phases say\n%q\nsystemd-analyze time says\n%q", got, first)
			}
			// Exact bounds: the kernel starts at 0, userspace at its
			// timestamp, and startup finishes at FinishTimestamp.
			for _, p := range d.Phases {
				switch p.Name {
				case "loader", "firmware":
					if p.EndUSec > 0 || p.StartUSec >= p.EndUSec {
						t.Errorf("%s before the kernel: %+v", p.Name, p)
					}
				case "kernel":
					if p.StartUSec != 0 {
						t.Errorf("kernel starts at %d", p.StartUSec)
					}
				case "userspace":
					if p.StartUSec != int64(bt.UserspaceUSec) || p.EndUSec != int64(bt.FinishUSec) {
						t.Errorf("userspace %+v, manager says %d to %d", p, bt.UserspaceUSec, bt.FinishUSec)
					}
				}
			}
			for i := 1; i < len(d.Phases); i++ {
				if d.Phases[i].StartUSec != d.Phases[i-1].EndUSec {
					t.Errorf("gap between %+v and %+v", d.Phases[i-1], d.Phases[i])
				}
			}
			if len(d.Units) != 1 || d.Units[0].TimeUSec != 4990 || d.Units[0].ActivatingUSec != bt.UserspaceUSec+10 {
				t.Errorf("units %+v", d.Units)
			}
		})
	}
}

// TestSlowest checks which units are drawn: the slowest n of those that
// started before startup finished, in the order they started, each with
// its blame time.
func TestSlowest(t *testing.T) {
	bt := systemd.BootTimes{UserspaceUSec: 1_000_000, FinishUSec: 5_000_000, SecurityStartUSec: 1}
	units := map[string][4]uint64{
		"fast.service":   {1_100_000, 1_100_100, 0, 0},
		"slow.service":   {1_200_000, 3_200_000, 0, 0},
		"slower.service": {1_000_500, 4_000_500, 4_500_000, 4_600_000},
		"failed.service": {1_300_000, 0, 0, 2_800_000},                         // 1.5s trying
		"late.service":   {6_000_000, 60_000_000, 0, 0},                        // after startup: not boot
		"zero.service":   {1_400_000, 1_400_000, 0, 0},                         // took no time
		"tie-b.service":  {1_500_000, 1_600_000, 0, 0},                         // 100ms
		"tie-a.service":  {1_500_001, 1_600_001, 0, 0},                         // 100ms
		"early.service":  {100_000, 150_000, 0, 0},                             // in the kernel's time (an initrd unit)
		"never.service":  {0, 0, 0, 0},                                         // did not start
		"stopped.target": {1_000_000 + 1, 1_000_000 + 2, 7_000_000, 8_000_000}, // 1µs
	}
	s := systemSnapshot(bt, units)
	_, d := renderParse(t, NewInput(s, nil, 4))
	var names []string
	for _, u := range d.Units {
		names = append(names, u.Name)
		if want := units[u.Name]; u.ActivatingUSec != want[0] || u.ActivatedUSec != want[1] || u.DeactivatingUSec != want[2] || u.DeactivatedUSec != want[3] {
			t.Errorf("%s: %+v, manager says %v", u.Name, u, want)
		}
	}
	// By start: slower (1.0005s), slow, failed, tie-a (100ms, before
	// tie-b by name, as blame orders ties here).
	if diff := cmp.Diff([]string{"slower.service", "slow.service", "failed.service", "tie-a.service"}, names); diff != "" {
		t.Errorf("drawn (-want +got):\n%s", diff)
	}
	// Left out: tie-b, fast, early, stopped (late started after startup).
	if d.LeftOut != 4 {
		t.Errorf("left out %d, want 4", d.LeftOut)
	}
	blame := map[string]uint64{}
	for _, b := range s.Blame {
		blame[b.Unit] = b.TimeUSec
	}
	for _, u := range d.Units {
		if u.TimeUSec != blame[u.Name] {
			t.Errorf("%s: %d, blame %d", u.Name, u.TimeUSec, blame[u.Name])
		}
	}
	if _, d := renderParse(t, NewInput(s, nil, 0)); len(d.Units) != 0 || d.LeftOut != 8 {
		t.Errorf("slowest 0: %d drawn, %d left out", len(d.Units), d.LeftOut)
	}
}

func TestMilestones(t *testing.T) {
	ms := &kmsg.Milestones{
		KernelBanner:  &kmsg.Event{TimestampUsec: 0, Message: "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)"},
		KernelVersion: "6.1.0-18-amd64",
		EFI:           &kmsg.Event{TimestampUsec: 12, Message: "efi: EFI v2.70 by EDK II"},
		EFIVersion:    "v2.70",
		InitHandoff:   &kmsg.Event{TimestampUsec: 1_234_567, Message: "Run /init as init process"},
		InitPath:      "/init",
	}
	bt := systemd.BootTimes{InitRDUSec: 1_200_000, UserspaceUSec: 2_000_000, FinishUSec: 3_000_000, SecurityStartUSec: 1}
	svg, d := renderParse(t, NewInput(systemSnapshot(bt, nil), ms, DefaultSlowest))
	want := []Milestone{{Name: "Linux 6.1.0-18-amd64"}, {Name: "EFI v2.70", AtUSec: 12}, {Name: "init /init", AtUSec: 1_234_567}}
	if diff := cmp.Diff(want, d.Milestones); diff != "" {
		t.Errorf("milestones (-want +got):\n%s", diff)
	}
	if got := d.Titles["milestone:init /init"]; got != "[1.234567] init /init: Run /init as init process" {
		t.Errorf("title %q", got)
	}
	if d.Title != "Boot timeline: Linux 6.1.0-18-amd64" {
		t.Errorf("title %q", d.Title)
	}
	xmllint(t, svg)

	// A user manager's clock starts at its own start: the kernel's times
	// are not on it.
	user := buildUser(t, 10_000_000, 10_500_000)
	if _, d := renderParse(t, NewInput(user, ms, DefaultSlowest)); len(d.Milestones) != 0 || d.Origin != OriginManager {
		t.Errorf("user manager: origin %s, milestones %+v", d.Origin, d.Milestones)
	}
	// No manager at all: the kernel's clock, milestones alone.
	if _, d := renderParse(t, NewInput(nil, ms, DefaultSlowest)); len(d.Milestones) != 3 || len(d.Phases) != 0 || d.Origin != OriginKernel {
		t.Errorf("kmsg alone: %+v", d)
	}
}

// buildUser is a user manager started at start that finished at finish.
func buildUser(t testing.TB, start, finish uint64) *systemd.Snapshot {
	f, _ := systemd.NewFilter(".+", "")
	return systemd.BuildSnapshot(systemd.SnapshotInput{Scope: systemd.ScopeUser, Manager: systemd.Manager{BootTimes: systemd.BootTimes{UserspaceUSec: start, FinishUSec: finish}}}, f)
}

func TestNotFinished(t *testing.T) {
	bt := systemd.BootTimes{UserspaceUSec: 2_000_000, SecurityStartUSec: 1}
	_, d := renderParse(t, NewInput(systemSnapshot(bt, map[string][4]uint64{"a.service": {2_000_100, 0, 0, 0}}), nil, DefaultSlowest))
	if len(d.Phases) != 0 || len(d.Units) != 0 {
		t.Errorf("unfinished boot drew %+v", d)
	}
}

// TestGoldenLabUserManager draws the systemd lab's user manager, captured
// by the systemd package's golden test, and compares the picture with its
// golden file (-update rewrites it).
func TestGoldenLabUserManager(t *testing.T) {
	raw, err := os.ReadFile("../systemd/testdata/lab-user-manager.input.json")
	if err != nil {
		t.Fatal(err)
	}
	var in systemd.SnapshotInput
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	f, _ := systemd.NewFilter(".+", "")
	s := systemd.BuildSnapshot(in, f)
	svg, d := renderParse(t, NewInput(s, nil, 10))
	xmllint(t, svg)
	if len(d.Phases) != 1 || d.Phases[0].Name != "userspace" || d.Phases[0].StartUSec != 0 ||
		d.Phases[0].EndUSec != int64(in.Manager.BootTimes.FinishUSec-in.Manager.BootTimes.UserspaceUSec) {
		t.Errorf("phases %+v", d.Phases)
	}
	time, err := os.ReadFile("../systemd/testdata/lab-user-manager.analyze-time.txt")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(time), "\n")
	if got := startupLine(d.Phases); got != first {
		t.Errorf("phases say %q, systemd-analyze time said %q", got, first)
	}
	path := filepath.Join("testdata", "lab-user-manager.svg")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(svg)); diff != "" {
		t.Errorf("differs from %s (-want +got):\n%s", path, diff)
	}
}
