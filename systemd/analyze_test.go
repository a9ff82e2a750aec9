package systemd

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const sec = usecPerSec

func TestFormatTimespan(t *testing.T) {
	for _, tc := range []struct {
		usec, accuracy uint64
		want           string
	}{
		{0, usecPerMSec, "0"},
		{USecInfinity, usecPerMSec, "infinity"},
		{146_000, usecPerMSec, "146ms"},
		{146_999, usecPerMSec, "146ms"}, // truncated, not rounded
		{2_554_928, usecPerMSec, "2.554s"},
		{65_947_000, usecPerMSec, "1min 5.947s"},
		{3_600 * sec, usecPerMSec, "1h"},
		{90_061 * sec, usecPerMSec, "1d 1h 1min 1s"},
		{1_500, usecPerMSec, "1ms"},
		{1_500, 1, "1.500ms"},
		{999, usecPerMSec, "999us"},
		{7, 1, "7us"},
		{usecPerYear + usecPerMonth + usecPerWeek, usecPerMSec, "1y 1month 1w"},
		{2 * sec, usecPerMSec, "2s"},
		{60*sec + 500_000, usecPerMSec, "1min 500ms"},
	} {
		if got := FormatTimespan(tc.usec, tc.accuracy); got != tc.want {
			t.Errorf("FormatTimespan(%d, %d) = %q, want %q", tc.usec, tc.accuracy, got, tc.want)
		}
	}
}

// TestFormatTimespanMatchesSystemdAnalyze compares with format_timespan
// itself, as `systemd-analyze timespan` prints it (accuracy 1µs).
func TestFormatTimespanMatchesSystemdAnalyze(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("no systemd-analyze")
	}
	values := []uint64{1, 999, 1000, 1001, 1500, 146_000, 2_554_928, 59_999_999, 60_000_000, 65_947_123, 3_600_000_001, 90_061_000_000, 31_557_600_000_001}
	args := []string{"timespan"}
	for _, v := range values {
		args = append(args, strconv.FormatUint(v, 10)+"us")
	}
	out, err := exec.Command("systemd-analyze", args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	var human []string
	for _, line := range strings.Split(string(out), "\n") {
		if h, ok := strings.CutPrefix(strings.TrimSpace(line), "Human: "); ok {
			human = append(human, strings.ReplaceAll(h, "μs", "us"))
		}
	}
	if len(human) != len(values) {
		t.Fatalf("parsed %d Human: lines from %q", len(human), out)
	}
	for i, v := range values {
		if got := FormatTimespan(v, 1); got != human[i] {
			t.Errorf("FormatTimespan(%d) = %q, systemd-analyze says %q", v, got, human[i])
		}
	}
}

func TestNewTimeline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bt      BootTimes
		scope   Scope
		target  string
		enter   uint64
		want    Timeline
		wantTxt string
	}{
		{
			name:   "user manager",
			bt:     BootTimes{UserspaceUSec: 960_250_420, FinishUSec: 962_805_348},
			scope:  ScopeUser,
			target: "default.target", enter: 962_805_323,
			want: Timeline{Finished: true, UserspaceUSec: 2_554_928, DefaultTarget: "default.target",
				DefaultTargetReached: true, DefaultTargetUSec: 2_554_903},
			wantTxt: "Startup finished in 2.554s (userspace) \ndefault.target reached after 2.554s in userspace.",
		},
		{
			name: "host with firmware, loader and initrd",
			bt: BootTimes{FirmwareUSec: 5 * sec, LoaderUSec: 2 * sec, InitRDUSec: 1_500_000,
				UserspaceUSec: 3 * sec, FinishUSec: 10 * sec, SecurityStartUSec: 3_100_000},
			target: "graphical.target", enter: 9_800_000,
			want: Timeline{Finished: true, FirmwareUSec: 3 * sec, LoaderUSec: 2 * sec, KernelUSec: 1_500_000,
				InitRDUSec: 1_500_000, UserspaceUSec: 7 * sec, TotalUSec: 15 * sec, DefaultTarget: "graphical.target",
				DefaultTargetReached: true, DefaultTargetUSec: 6_800_000},
			wantTxt: "Startup finished in 3s (firmware) + 2s (loader) + 1.500s (kernel) + 1.500s (initrd) + 7s (userspace) = 15s \ngraphical.target reached after 6.800s in userspace.",
		},
		{
			name:   "host without initrd or EFI timestamps",
			bt:     BootTimes{UserspaceUSec: 1_200_000, FinishUSec: 4 * sec, SecurityStartUSec: 1_300_000},
			target: "multi-user.target", enter: 3_900_000,
			want: Timeline{Finished: true, KernelUSec: 1_200_000, UserspaceUSec: 2_800_000, TotalUSec: 4 * sec,
				DefaultTarget: "multi-user.target", DefaultTargetReached: true, DefaultTargetUSec: 2_700_000},
			wantTxt: "Startup finished in 1.200s (kernel) + 2.800s (userspace) = 4s \nmulti-user.target reached after 2.700s in userspace.",
		},
		{
			name:   "system manager in a container (no security timestamps)",
			bt:     BootTimes{UserspaceUSec: 50 * sec, FinishUSec: 51 * sec},
			target: "multi-user.target", enter: 0,
			want:    Timeline{Finished: true, UserspaceUSec: sec, DefaultTarget: "multi-user.target"},
			wantTxt: "Startup finished in 1s (userspace) \nmulti-user.target was never reached.",
		},
		{
			name:    "no default target",
			bt:      BootTimes{UserspaceUSec: 50 * sec, FinishUSec: 51 * sec},
			scope:   ScopeUser,
			want:    Timeline{Finished: true, UserspaceUSec: sec},
			wantTxt: "Startup finished in 1s (userspace) \ncould not find default.target.",
		},
		{
			name:    "not finished",
			bt:      BootTimes{UserspaceUSec: 50 * sec},
			target:  "default.target",
			want:    Timeline{DefaultTarget: "default.target"},
			wantTxt: "Bootup is not yet finished (org.freedesktop.systemd1.Manager.FinishTimestampMonotonic=0).",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewTimeline(tc.bt, tc.scope, tc.target, tc.enter)
			if got.Text != tc.wantTxt {
				t.Errorf("text\n got %q\nwant %q", got.Text, tc.wantTxt)
			}
			got.Text = ""
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Timeline{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// userTimeline is a user manager that started at 100s and finished at 105s.
var userTimeline = NewTimeline(BootTimes{UserspaceUSec: 100 * sec, FinishUSec: 105 * sec}, ScopeUser, "default.target", 105*sec)

func TestBlame(t *testing.T) {
	times := userTimeline.UnitTimes(map[string]UnitTimes{
		"slow.service":    {InactiveExitUSec: 101 * sec, ActiveEnterUSec: 103 * sec},
		"fast.service":    {InactiveExitUSec: 101 * sec, ActiveEnterUSec: 101*sec + 5_000},
		"tie-b.service":   {InactiveExitUSec: 102 * sec, ActiveEnterUSec: 102*sec + 5_000},
		"failed.service":  {InactiveExitUSec: 102 * sec, InactiveEnterUSec: 104 * sec}, // never active: time spent trying
		"instant.target":  {InactiveExitUSec: 102 * sec, ActiveEnterUSec: 102 * sec},
		"never.service":   {},
		"pre-boot.device": {ActiveEnterUSec: 50 * sec},
	})
	var got []string
	for _, b := range Blame(times) {
		got = append(got, b.Unit+" "+FormatTimespan(b.TimeUSec, usecPerMSec))
	}
	want := []string{"failed.service 2s", "slow.service 2s", "fast.service 5ms", "tie-b.service 5ms"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, ok := times["never.service"]; ok {
		t.Error("a unit that never activated has a time entry")
	}
}

func TestCriticalChain(t *testing.T) {
	unitTimes := map[string]UnitTimes{
		"graphical.target":  {InactiveExitUSec: 104*sec + 900_000, ActiveEnterUSec: 104*sec + 900_000},
		"multi-user.target": {InactiveExitUSec: 104*sec + 800_000, ActiveEnterUSec: 104*sec + 800_000},
		"app.service":       {InactiveExitUSec: 103 * sec, ActiveEnterUSec: 104*sec + 500_000},
		"other.service":     {InactiveExitUSec: 101 * sec, ActiveEnterUSec: 101*sec + 100_000},
		"basic.target":      {InactiveExitUSec: 102 * sec, ActiveEnterUSec: 102 * sec},
		"late.service":      {InactiveExitUSec: 106 * sec, ActiveEnterUSec: 107 * sec}, // after finish: ignored
		"sockets.target":    {InactiveExitUSec: 101 * sec, ActiveEnterUSec: 101 * sec},
		"tie-a.socket":      {InactiveExitUSec: 100*sec + 500_000, ActiveEnterUSec: 100*sec + 600_000},
		"tie-b.socket":      {InactiveExitUSec: 100*sec + 500_000, ActiveEnterUSec: 100*sec + 600_000},
	}
	after := map[string][]string{
		"graphical.target":  {"multi-user.target", "late.service"},
		"multi-user.target": {"other.service", "app.service", "unknown.service"},
		"app.service":       {"basic.target"},
		"basic.target":      {"sockets.target"},
		"sockets.target":    {"tie-a.socket", "tie-b.socket"},
		"tie-a.socket":      {"basic.target"}, // a cycle through After=
	}
	tl := NewTimeline(BootTimes{UserspaceUSec: 100 * sec, FinishUSec: 105 * sec}, ScopeUser, "graphical.target", 104*sec+900_000)
	chain := tl.CriticalChain("default.target", tl.UnitTimes(unitTimes), func(n string) []string { return after[n] },
		func(n string) string { return map[string]string{"default.target": "graphical.target"}[n] }, 0)
	want := `graphical.target @4.900s
└─multi-user.target @4.800s
  └─app.service @3s +1.500s
    └─basic.target @2s
      └─sockets.target @1s
        ├─tie-a.socket @500ms +100ms
        │ └─basic.target @2s
        │   └─...
        └─tie-b.socket @500ms +100ms
`
	if got := FormatCriticalChain(chain); got != want {
		t.Errorf("chain\n got:\n%s\nwant:\n%s", got, want)
	}
	if chain[0].Depth != 0 || chain[len(chain)-1].Depth != 5 {
		t.Errorf("depths: %+v", chain)
	}
	// A target that never started has no first line.
	if c := tl.CriticalChain("rescue.target", nil, func(string) []string { return nil }, nil, 0); len(c) != 0 {
		t.Errorf("chain of an unstarted target: %+v", c)
	}
}

func TestFilter(t *testing.T) {
	units := []Unit{{Name: "a.service"}, {Name: "dev-sda.device"}, {Name: "foo.service"}, {Name: "foo.service.d"}, {Name: "user@0.service"}}
	for _, tc := range []struct {
		include, exclude string
		want             []string
	}{
		{"", "", []string{"a.service", "dev-sda.device", "foo.service", "foo.service.d", "user@0.service"}},
		// node_exporter's defaults.
		{".+", `.+\.(automount|device|mount|scope|slice)`, []string{"a.service", "foo.service", "foo.service.d", "user@0.service"}},
		// Anchored: "foo" does not match foo.service, ".+\.service" not foo.service.d.
		{"foo", "", nil},
		{`.+\.service`, "", []string{"a.service", "foo.service", "user@0.service"}},
		{"", `user@\d+\.service|a\.service`, []string{"dev-sda.device", "foo.service", "foo.service.d"}},
	} {
		f, err := NewFilter(tc.include, tc.exclude)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range FilterUnits(units, f) {
			got = append(got, u.Name)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("include %q exclude %q (-want +got):\n%s", tc.include, tc.exclude, diff)
		}
	}
	if _, err := NewFilter("(", ""); err == nil {
		t.Error("bad pattern accepted")
	}
}

func TestUnitFileStateOf(t *testing.T) {
	files := map[string]string{"getty@.service": "enabled", "sshd.service": "disabled", "sshd@.service": "static"}
	for name, want := range map[string]string{
		"getty@tty1.service": "enabled",
		"sshd.service":       "disabled",
		"sshd@1-2.service":   "static",
		"dev-sda.device":     "",
		"foo@.service":       "",
		"@.service":          "",
	} {
		if got := UnitFileStateOf(name, files); got != want {
			t.Errorf("UnitFileStateOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestIsSysV(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/init.d/ssh":         true,
		"/etc/init.d/../init.d/x": true,
		"/etc/init.d":             false,
		"/etc/init.d/sub/x":       false,
		"/lib/systemd/system/x":   false,
		"":                        false,
	} {
		if got := IsSysV(p); got != want {
			t.Errorf("IsSysV(%q) = %v", p, got)
		}
	}
}

func TestUnitPath(t *testing.T) {
	for name, want := range map[string]string{
		"dbus.service":          "/org/freedesktop/systemd1/unit/dbus_2eservice",
		"-.mount":               "/org/freedesktop/systemd1/unit/_2d_2emount",
		`dev-disk-by\x2duuid.x`: "/org/freedesktop/systemd1/unit/dev_2ddisk_2dby_5cx2duuid_2ex",
		"0.slice":               "/org/freedesktop/systemd1/unit/_30_2eslice",
	} {
		p := unitPath(name)
		if string(p) != want {
			t.Errorf("unitPath(%q) = %s, want %s", name, p, want)
		}
		if back, ok := unitNameFromPath(p); !ok || back != name {
			t.Errorf("unitNameFromPath(%s) = %q, %v", p, back, ok)
		}
	}
	for _, p := range []string{"/org/freedesktop/systemd1", "/org/freedesktop/systemd1/job/12", "/org/freedesktop/systemd1/unit/", "/org/freedesktop/systemd1/unit/a/b"} {
		if n, ok := unitNameFromPath(dbus.ObjectPath(p)); ok {
			t.Errorf("unitNameFromPath(%s) = %q, want not a unit", p, n)
		}
	}
}

func TestGlobEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a.service":             "a.service",
		`dev-disk-by\x2dx.swap`: `dev-disk-by\x2dx.swap`,
		"weird[1]*?.service":    `weird[[]1][*][?].service`,
	} {
		if got := globEscape(in); got != want {
			t.Errorf("globEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]Unit{
		{Name: "a.service", LoadState: "loaded", ActiveState: "active"},
		{Name: "b.service", LoadState: "loaded", ActiveState: "failed"},
		{Name: "c.timer", LoadState: "loaded", ActiveState: "active"},
		{Name: "d.service", LoadState: "not-found", ActiveState: "inactive"},
	})
	want := Summary{
		Units:         4,
		ByActiveState: map[string]int{"active": 2, "failed": 1, "inactive": 1},
		ByLoadState:   map[string]int{"loaded": 3, "not-found": 1},
		ByType:        map[string]int{"service": 3, "timer": 1},
		Failed:        []string{"b.service"},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := ActiveTargets([]Unit{{Name: "multi-user.target", ActiveState: "active"}, {Name: "graphical.target", ActiveState: "inactive"}}); got != (Targets{MultiUser: true}) {
		t.Errorf("ActiveTargets = %+v", got)
	}
}

// TestSnapshotListsNeverNull: while boot is unfinished, or the units'
// detail still loading, blame and the critical chain are empty lists in
// JSON, not null.
func TestSnapshotListsNeverNull(t *testing.T) {
	for name, in := range map[string]SnapshotInput{
		"unfinished":     {Scope: ScopeUser, Units: []Unit{{Name: "a.service"}}},
		"detail loading": {Scope: ScopeUser, DetailLoading: true, Manager: Manager{BootTimes: BootTimes{UserspaceUSec: 1, FinishUSec: 2}}},
	} {
		b, err := json.Marshal(BuildSnapshot(in, Filter{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{`"blame":[]`, `"critical_chain":[]`} {
			if !strings.Contains(string(b), k) {
				t.Errorf("%s: no %s in %s", name, k, b)
			}
		}
	}
}

// TestCriticalChainBounded: a thousand units that became active at the
// same moment, each After= all the others, make a chain of at most
// MaxChainLinks links, and the snapshot says it was cut.
func TestCriticalChainBounded(t *testing.T) {
	const n = 1000
	in := SnapshotInput{Scope: ScopeUser, After: map[string][]string{}, Aliases: map[string]string{},
		Manager: Manager{BootTimes: BootTimes{UserspaceUSec: 1_000, FinishUSec: 9_000_000}}}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("u%04d.service", i)
	}
	for _, name := range append(names, "default.target") {
		in.Units = append(in.Units, Unit{Name: name, LoadState: "loaded", ActiveState: "active",
			Times: UnitTimes{InactiveExitUSec: 2_000, ActiveEnterUSec: 3_000}})
		in.After[name] = names
	}
	in.Units[n].Times = UnitTimes{InactiveExitUSec: 4_000, ActiveEnterUSec: 5_000}
	s := BuildSnapshot(in, Filter{})
	if len(s.CriticalChain) == 0 || len(s.CriticalChain) > MaxChainLinks || !s.CriticalChainTruncated {
		t.Errorf("chain of %d links, truncated %v; want at most %d and truncated", len(s.CriticalChain), s.CriticalChainTruncated, MaxChainLinks)
	}
}

// TestTimelineTotalSaturates: timestamps near the clock's maximum give the
// longest total, never a wrapped short one.
func TestTimelineTotalSaturates(t *testing.T) {
	bt := BootTimes{FirmwareUSec: USecInfinity - 10, LoaderUSec: 5, SecurityStartUSec: 1, UserspaceUSec: 20, FinishUSec: USecInfinity - 3}
	tl := NewTimeline(bt, ScopeSystem, "default.target", 0)
	if tl.TotalUSec < tl.UserspaceUSec || tl.TotalUSec != USecInfinity-1 {
		t.Errorf("total %d, userspace %d: want the saturated total", tl.TotalUSec, tl.UserspaceUSec)
	}
}
