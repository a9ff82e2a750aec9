package plot

import (
	"math"
	"sort"

	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/bootinfo/bootinfo/systemd"
)

// DefaultSlowest is how many units a timeline draws unless told otherwise.
const DefaultSlowest = 30

// MaxUnits bounds the units one picture draws, whatever Input holds; the
// rest count as left out.
const MaxUnits = 1000

// Clocks the picture's time 0 can be (Input.Origin).
const (
	// OriginKernel: 0 is the kernel's start, the clock of a host's system
	// manager and of the kernel log; firmware and loader lie before it.
	OriginKernel = "kernel"
	// OriginManager: 0 is the service manager's start (a user manager, or
	// a system manager in a container), as systemd-analyze counts there.
	OriginManager = "manager"
)

// Input is what a timeline shows. Every time is in microseconds on one
// clock, whose 0 Origin names.
type Input struct {
	// Title heads the picture.
	Title string
	// Origin is OriginKernel or OriginManager.
	Origin string
	// Phases are the boot phases in order; each ends where the next
	// starts.
	Phases []Phase
	// Units are the units drawn, in the order they started activating.
	Units []Unit
	// UnitsLeftOut counts the units that took time to start and are not
	// drawn.
	UnitsLeftOut int
	// Milestones are the kernel log's boot facts, in time order.
	Milestones []Milestone
	// Notes say what the picture cannot show and why (boot not finished,
	// no service manager, ...).
	Notes []string
}

// Phase is one stage of the boot, from StartUSec to EndUSec.
type Phase struct {
	// Name is firmware, loader, kernel, initrd or userspace.
	Name      string
	StartUSec int64
	EndUSec   int64
}

// Unit is one unit's activation, as systemd-analyze plot draws it: it was
// activating from ActivatingUSec to ActivatedUSec, active until
// DeactivatingUSec, deactivating until DeactivatedUSec. A zero time
// did not happen (or lies before the clock's 0). TimeUSec is how long it
// took to start, as systemd-analyze blame prints it.
type Unit struct {
	Name             string
	ActivatingUSec   uint64
	ActivatedUSec    uint64
	DeactivatingUSec uint64
	DeactivatedUSec  uint64
	TimeUSec         uint64
}

// Milestone is one fact the kernel logged once during boot.
type Milestone struct {
	// Name says what happened ("init: /init").
	Name string
	// AtUSec is when: the record's timestamp.
	AtUSec int64
	// Message is the record's text ("" when withheld).
	Message string
}

// NewInput builds a timeline from the systemd section's snapshot and the
// kmsg section's milestones; either may be nil when its collector is
// disabled or failed. slowest is how many units to draw: the ones that
// took longest to start (as blame orders them) among those that started
// activating before startup finished, as systemd-analyze plot keeps only
// those.
func NewInput(s *systemd.Snapshot, ms *kmsg.Milestones, slowest int) Input {
	in := Input{Title: "Boot timeline", Origin: OriginKernel}
	if ms != nil && ms.KernelVersion != "" {
		in.Title += ": Linux " + ms.KernelVersion
	}
	if s == nil {
		in.Notes = append(in.Notes, "no service manager data: boot phases and units not drawn")
	} else {
		addSystemd(&in, s, slowest)
	}
	if ms != nil {
		if in.Origin == OriginKernel {
			in.Milestones = milestones(ms)
		} else {
			in.Notes = append(in.Notes, "kernel milestones not drawn: this timeline counts from the manager's start, not the kernel's")
		}
	}
	return in
}

func addSystemd(in *Input, s *systemd.Snapshot, slowest int) {
	tl := s.Timeline
	origin := tl.OriginUSec()
	if origin != 0 || (tl.Finished && tl.KernelUSec == 0) {
		in.Origin = OriginManager
	}
	if !tl.Finished {
		in.Notes = append(in.Notes, "startup has not finished: no boot phases or unit times yet")
		return
	}
	if !s.DetailComplete {
		in.Notes = append(in.Notes, "units' times still loading")
	}
	// The phases follow one another: each span of the Timeline starts where
	// the previous one ended; firmware and loader end at the kernel's start.
	fw, ld := clampInt(tl.FirmwareUSec), clampInt(tl.LoaderUSec)
	if tl.FirmwareUSec > 0 {
		in.Phases = append(in.Phases, Phase{Name: "firmware", StartUSec: -satAdd(fw, ld), EndUSec: -ld})
	}
	if tl.LoaderUSec > 0 {
		in.Phases = append(in.Phases, Phase{Name: "loader", StartUSec: -ld, EndUSec: 0})
	}
	at := int64(0)
	for _, p := range []struct {
		name string
		span uint64
	}{{"kernel", tl.KernelUSec}, {"initrd", tl.InitRDUSec}, {"userspace", tl.UserspaceUSec}} {
		if p.span == 0 && p.name != "userspace" {
			continue
		}
		end := satAdd(at, clampInt(p.span))
		in.Phases = append(in.Phases, Phase{Name: p.name, StartUSec: at, EndUSec: end})
		at = end
	}
	finish := uint64(at)

	sub := func(v uint64) uint64 {
		if v == 0 || v < origin {
			return 0
		}
		return v - origin
	}
	for _, b := range s.Blame {
		// Units started after startup are not part of the boot.
		if b.ActivatingUSec > finish {
			continue
		}
		if len(in.Units) >= min(max(slowest, 0), MaxUnits) {
			in.UnitsLeftOut++
			continue
		}
		u := Unit{Name: b.Unit, ActivatingUSec: b.ActivatingUSec, ActivatedUSec: b.ActivatedUSec, TimeUSec: b.TimeUSec}
		if full, ok := s.Unit(b.Unit); ok {
			u.DeactivatingUSec, u.DeactivatedUSec = sub(full.Times.ActiveExitUSec), sub(full.Times.InactiveEnterUSec)
		}
		in.Units = append(in.Units, u)
	}
	sort.SliceStable(in.Units, func(i, j int) bool {
		a, b := in.Units[i], in.Units[j]
		if a.ActivatingUSec != b.ActivatingUSec {
			return a.ActivatingUSec < b.ActivatingUSec
		}
		return a.Name < b.Name
	})
}

// milestones lists the kernel log's boot facts that have a time.
func milestones(ms *kmsg.Milestones) []Milestone {
	var out []Milestone
	add := func(name string, e *kmsg.Event) {
		if e != nil {
			out = append(out, Milestone{Name: name, AtUSec: clampInt(e.TimestampUsec), Message: e.Message})
		}
	}
	with := func(prefix, detail string) string {
		if detail == "" {
			return prefix
		}
		return prefix + " " + detail
	}
	add(with("Linux", ms.KernelVersion), ms.KernelBanner)
	add("command line", ms.CommandLine)
	add(with("EFI", ms.EFIVersion), ms.EFI)
	add(with("SMBIOS", ms.SMBIOSVersion), ms.SMBIOS)
	add("DMI", ms.DMI)
	add(with("Secure Boot", ms.SecureBootState), ms.SecureBoot)
	add("kernel init memory freed", ms.FreeingInitMem)
	add(with("init", ms.InitPath), ms.InitHandoff)
	add("kernel tainted", ms.Taint.First)
	sort.SliceStable(out, func(i, j int) bool { return out[i].AtUSec < out[j].AtUSec })
	return out
}

// clampInt converts a timestamp to int64, holding values past its range
// (which no boot has) at the largest.
func clampInt(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// satAdd adds two non-negative times without wrapping.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
