package systemd

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Scope says which kind of manager a connection talks to.
type Scope int

const (
	// ScopeSystem is the system manager (PID 1).
	ScopeSystem Scope = iota
	// ScopeUser is a per-user manager (systemd --user).
	ScopeUser
)

// String returns "system" or "user".
func (s Scope) String() string {
	if s == ScopeUser {
		return "user"
	}
	return "system"
}

// BootTimes are the manager's boot timestamps, CLOCK_MONOTONIC microseconds
// as its *TimestampMonotonic properties report them; zero means "did not
// happen" or "unknown". FirmwareUSec and LoaderUSec count backwards from
// the kernel's start.
type BootTimes struct {
	FirmwareUSec      uint64 `json:"firmware_usec"`       // FirmwareTimestampMonotonic
	LoaderUSec        uint64 `json:"loader_usec"`         // LoaderTimestampMonotonic
	InitRDUSec        uint64 `json:"initrd_usec"`         // InitRDTimestampMonotonic
	UserspaceUSec     uint64 `json:"userspace_usec"`      // UserspaceTimestampMonotonic
	FinishUSec        uint64 `json:"finish_usec"`         // FinishTimestampMonotonic
	SecurityStartUSec uint64 `json:"security_start_usec"` // SecurityStartTimestampMonotonic
}

// Timeline is the boot timeline as `systemd-analyze time` computes it. All
// spans are microseconds; a zero span is a phase this boot did not have (no
// firmware or loader timestamps, no initrd, a user manager).
type Timeline struct {
	// Finished is false while the manager is still starting up
	// (FinishTimestampMonotonic is 0); the spans are then meaningless.
	Finished      bool   `json:"finished"`
	FirmwareUSec  uint64 `json:"firmware_usec"`
	LoaderUSec    uint64 `json:"loader_usec"`
	KernelUSec    uint64 `json:"kernel_usec"`
	InitRDUSec    uint64 `json:"initrd_usec"`
	UserspaceUSec uint64 `json:"userspace_usec"`
	// TotalUSec is firmware start to startup finished; zero when the
	// kernel's part is unknown (user managers, containers), as
	// systemd-analyze then prints no total.
	TotalUSec uint64 `json:"total_usec"`
	// DefaultTarget is the unit default.target resolves to; empty when the
	// manager has none.
	DefaultTarget string `json:"default_target,omitempty"`
	// DefaultTargetReached is false when the default target was never
	// reached; DefaultTargetUSec is then zero.
	DefaultTargetReached bool   `json:"default_target_reached"`
	DefaultTargetUSec    uint64 `json:"default_target_usec"`
	// Text is the summary systemd-analyze time prints.
	Text string `json:"text"`

	// offset is subtracted from unit timestamps (reverse_offset: the
	// manager's start for user managers and containers), userspace is
	// the userspace start after that adjustment and finish the adjusted
	// finish timestamp.
	offset, userspace, finish uint64
}

// sub subtracts b from a unless a is unset, never going below zero (the C
// code asserts a >= b).
func sub(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	if a < b {
		return 0
	}
	return a - b
}

// NewTimeline computes the boot timeline from the manager's timestamps.
// defaultTarget is the Id of the unit default.target resolves to ("" when
// it does not exist) and defaultTargetEnter its ActiveEnterTimestampMonotonic.
func NewTimeline(bt BootTimes, scope Scope, defaultTarget string, defaultTargetEnter uint64) Timeline {
	var kernelDone, offset uint64
	if scope == ScopeSystem && bt.SecurityStartUSec > 0 {
		// A host's system manager: timestamps are since kernel start.
		if bt.InitRDUSec > 0 {
			kernelDone = bt.InitRDUSec
		} else {
			kernelDone = bt.UserspaceUSec
		}
	} else {
		// A user manager or a system manager in a container knows only
		// its own start; everything is measured from there.
		offset = bt.UserspaceUSec
		bt.FirmwareUSec, bt.LoaderUSec, bt.InitRDUSec, bt.UserspaceUSec, bt.SecurityStartUSec = 0, 0, 0, 0, 0
		bt.FinishUSec = sub(bt.FinishUSec, offset)
	}
	tl := Timeline{
		Finished:      bt.FinishUSec > 0,
		DefaultTarget: defaultTarget,
		offset:        offset,
		userspace:     bt.UserspaceUSec,
		finish:        bt.FinishUSec,
	}
	if !tl.Finished {
		tl.Text = "Bootup is not yet finished (org.freedesktop.systemd1.Manager.FinishTimestampMonotonic=0)."
		return tl
	}
	if bt.FirmwareUSec > 0 {
		tl.FirmwareUSec = sub(bt.FirmwareUSec, bt.LoaderUSec)
	}
	tl.LoaderUSec = bt.LoaderUSec
	tl.KernelUSec = kernelDone
	if bt.InitRDUSec > 0 {
		tl.InitRDUSec = sub(bt.UserspaceUSec, bt.InitRDUSec)
	}
	tl.UserspaceUSec = sub(bt.FinishUSec, bt.UserspaceUSec)
	if kernelDone > 0 {
		// Saturating: timestamps near the clock's maximum (which no boot
		// has) must not wrap to a short boot.
		if total, carry := bits.Add64(bt.FirmwareUSec, bt.FinishUSec, 0); carry == 0 && total < USecInfinity {
			tl.TotalUSec = total
		} else {
			tl.TotalUSec = USecInfinity - 1
		}
	}

	var b strings.Builder
	b.WriteString("Startup finished in ")
	ms := func(v uint64) string { return FormatTimespan(v, usecPerMSec) }
	if bt.FirmwareUSec > 0 {
		fmt.Fprintf(&b, "%s (firmware) + ", ms(tl.FirmwareUSec))
	}
	if bt.LoaderUSec > 0 {
		fmt.Fprintf(&b, "%s (loader) + ", ms(tl.LoaderUSec))
	}
	if kernelDone > 0 {
		fmt.Fprintf(&b, "%s (kernel) + ", ms(kernelDone))
	}
	if bt.InitRDUSec > 0 {
		fmt.Fprintf(&b, "%s (initrd) + ", ms(tl.InitRDUSec))
	}
	fmt.Fprintf(&b, "%s (userspace) ", ms(tl.UserspaceUSec))
	if kernelDone > 0 {
		fmt.Fprintf(&b, "= %s ", ms(tl.TotalUSec))
	}
	switch {
	case defaultTarget == "":
		b.WriteString("\ncould not find default.target.")
	case defaultTargetEnter == 0:
		fmt.Fprintf(&b, "\n%s was never reached.", defaultTarget)
	default:
		base := bt.UserspaceUSec
		if base == 0 {
			base = offset
		}
		tl.DefaultTargetReached = true
		tl.DefaultTargetUSec = sub(defaultTargetEnter, base)
		fmt.Fprintf(&b, "\n%s reached after %s in userspace.", defaultTarget, ms(tl.DefaultTargetUSec))
	}
	tl.Text = b.String()
	return tl
}

// UnitTimes are a unit's state-transition timestamps, CLOCK_MONOTONIC
// microseconds (zero: never happened).
type UnitTimes struct {
	InactiveExitUSec  uint64 `json:"inactive_exit_usec"`  // InactiveExitTimestampMonotonic: started activating
	ActiveEnterUSec   uint64 `json:"active_enter_usec"`   // ActiveEnterTimestampMonotonic: became active
	ActiveExitUSec    uint64 `json:"active_exit_usec"`    // ActiveExitTimestampMonotonic: started deactivating
	InactiveEnterUSec uint64 `json:"inactive_enter_usec"` // InactiveEnterTimestampMonotonic: became inactive
}

// UnitTime is one unit's activation on the boot timeline, as systemd-analyze
// blame and critical-chain see it: timestamps relative to the timeline's
// origin and the time the unit took to start.
type UnitTime struct {
	Unit           string `json:"unit"`
	ActivatingUSec uint64 `json:"activating_usec"`
	ActivatedUSec  uint64 `json:"activated_usec"`
	TimeUSec       uint64 `json:"time_usec"`
}

// unitTime puts t on tl's timeline; ok is false for a unit that never
// started activating, which systemd-analyze leaves out.
func (tl Timeline) unitTime(name string, t UnitTimes) (ut UnitTime, ok bool) {
	activating := sub(t.InactiveExitUSec, tl.offset)
	activated := sub(t.ActiveEnterUSec, tl.offset)
	deactivated := sub(t.InactiveEnterUSec, tl.offset)
	ut = UnitTime{Unit: name, ActivatingUSec: activating, ActivatedUSec: activated}
	switch {
	case activated >= activating:
		ut.TimeUSec = activated - activating
	case deactivated >= activating:
		// Failed or stopped before becoming active: the time spent
		// trying.
		ut.TimeUSec = deactivated - activating
	}
	return ut, activating != 0
}

// UnitTimes returns the timeline entry of every unit that started
// activating, keyed by name.
func (tl Timeline) UnitTimes(units map[string]UnitTimes) map[string]UnitTime {
	out := make(map[string]UnitTime, len(units))
	for name, t := range units {
		if ut, ok := tl.unitTime(name, t); ok {
			out[name] = ut
		}
	}
	return out
}

// Blame lists the units that took time to start, slowest first (ties by
// name), as systemd-analyze blame does.
func Blame(times map[string]UnitTime) []UnitTime {
	out := make([]UnitTime, 0, len(times))
	for _, ut := range times {
		if ut.TimeUSec > 0 && ut.TimeUSec != USecInfinity {
			out = append(out, ut)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TimeUSec != out[j].TimeUSec {
			return out[i].TimeUSec > out[j].TimeUSec
		}
		return out[i].Unit < out[j].Unit
	})
	return out
}

// ChainLink is one line of the critical chain.
type ChainLink struct {
	Unit string `json:"unit"`
	// Depth is 0 for the target the chain leads to and grows towards the
	// start of the boot.
	Depth int `json:"depth"`
	// Timed is false for a link systemd-analyze prints without times.
	Timed bool `json:"timed"`
	// AtUSec is when the unit became active, or started activating when it
	// took time to start (TimeUSec > 0), since userspace started.
	AtUSec   uint64 `json:"at_usec"`
	TimeUSec uint64 `json:"time_usec"`
	// Cycle marks the "..." that stands for a unit already on the chain
	// (Unit then names that unit).
	Cycle bool `json:"cycle,omitempty"`
}

// CriticalChain walks the After= dependencies from target backwards the way
// systemd-analyze critical-chain does: at each unit it follows the
// dependencies that became active last (within fuzz microseconds of the
// latest one) before boot finished. times come from Timeline.UnitTimes;
// after returns a unit's After= list; alias maps names such as
// default.target to the unit's Id. The first link (Depth 0) is the target
// itself, left out, as systemd-analyze does, when it never started.
func (tl Timeline) CriticalChain(target string, times map[string]UnitTime, after func(string) []string, alias func(string) string, fuzz uint64) []ChainLink {
	id := target
	if alias != nil {
		if a := alias(target); a != "" {
			id = a
		}
	}
	var out []ChainLink
	if t, ok := times[id]; ok {
		l := ChainLink{Unit: id}
		if t.TimeUSec > 0 {
			l.Timed, l.TimeUSec = true, t.TimeUSec
		} else if t.ActivatedUSec > tl.userspace {
			l.Timed, l.AtUSec = true, t.ActivatedUSec-tl.userspace
		}
		out = append(out, l)
	}
	visited := map[string]bool{}
	tl.chainFrom(id, 1, times, after, fuzz, visited, &out)
	return out
}

func (tl Timeline) inRange(t UnitTime, ok bool) bool {
	return ok && t.ActivatedUSec > 0 && t.ActivatedUSec <= tl.finish
}

func (tl Timeline) chainFrom(name string, depth int, times map[string]UnitTime, after func(string) []string, fuzz uint64, visited map[string]bool, out *[]ChainLink) {
	if len(*out) >= MaxChainLinks {
		return
	}
	visited[name] = true
	deps := append([]string(nil), after(name)...)
	// Latest-activated first; systemd's qsort leaves ties unordered, the
	// name keeps them deterministic here.
	sort.SliceStable(deps, func(i, j int) bool {
		a, b := times[deps[i]].ActivatedUSec, times[deps[j]].ActivatedUSec
		if a != b {
			return a > b
		}
		return deps[i] < deps[j]
	})
	var longest uint64
	for _, d := range deps {
		t, ok := times[d]
		if tl.inRange(t, ok) && t.ActivatedUSec >= longest {
			longest = t.ActivatedUSec
		}
	}
	if longest == 0 {
		return
	}
	for _, d := range deps {
		t, ok := times[d]
		if !tl.inRange(t, ok) || longest-t.ActivatedUSec > fuzz {
			continue
		}
		l := ChainLink{Unit: d, Depth: depth}
		if t.ActivatingUSec >= tl.userspace {
			l.Timed = true
			if t.TimeUSec > 0 && t.TimeUSec != USecInfinity {
				l.AtUSec, l.TimeUSec = t.ActivatingUSec-tl.userspace, t.TimeUSec
			} else {
				l.AtUSec = sub(t.ActivatedUSec, tl.userspace)
			}
		}
		if len(*out) >= MaxChainLinks {
			return
		}
		*out = append(*out, l)
		if visited[d] {
			*out = append(*out, ChainLink{Unit: d, Depth: depth + 1, Cycle: true})
			continue
		}
		tl.chainFrom(d, depth+1, times, after, fuzz, visited, out)
	}
}

// MaxChainLinks bounds a critical chain. Units that became active at the
// same moment are all on it, each with its own branch, so its length can
// grow with the square of the units (a thousand units each After= all the
// others made a 172 MB chain); systemd-analyze prints it all, the chain
// here stops at this many links.
const MaxChainLinks = 4096

// Tree glyphs systemd uses in a UTF-8 locale.
const (
	glyphVertical = "│ "
	glyphBranch   = "├─"
	glyphRight    = "└─"
	glyphSpace    = "  "
)

// FormatCriticalChain renders a chain as systemd-analyze critical-chain
// prints it (without its two header lines), in UTF-8 tree glyphs.
func FormatCriticalChain(chain []ChainLink) string {
	var b strings.Builder
	ms := func(v uint64) string { return FormatTimespan(v, usecPerMSec) }
	// last[i]: link i is the last of its siblings.
	last := make([]bool, len(chain))
	for i, l := range chain {
		last[i] = true
		for _, m := range chain[i+1:] {
			if m.Depth < l.Depth {
				break
			}
			if m.Depth == l.Depth {
				last[i] = false
				break
			}
		}
	}
	var open []bool // open[d]: the ancestor at depth d+1 has siblings below
	for i, l := range chain {
		if l.Depth == 0 {
			if !l.Timed {
				fmt.Fprintf(&b, "%s\n", l.Unit)
			} else if l.TimeUSec > 0 {
				fmt.Fprintf(&b, "%s +%s\n", l.Unit, ms(l.TimeUSec))
			} else {
				fmt.Fprintf(&b, "%s @%s\n", l.Unit, ms(l.AtUSec))
			}
			continue
		}
		open = append(open[:min(len(open), l.Depth-1)], make([]bool, max(0, l.Depth-1-len(open)))...)
		for d := 0; d < l.Depth-1; d++ {
			if open[d] {
				b.WriteString(glyphVertical)
			} else {
				b.WriteString(glyphSpace)
			}
		}
		if last[i] {
			b.WriteString(glyphRight)
		} else {
			b.WriteString(glyphBranch)
		}
		switch {
		case l.Cycle:
			b.WriteString("...")
		case !l.Timed:
			b.WriteString(l.Unit)
		case l.TimeUSec > 0:
			fmt.Fprintf(&b, "%s @%s +%s", l.Unit, ms(l.AtUSec), ms(l.TimeUSec))
		default:
			fmt.Fprintf(&b, "%s @%s", l.Unit, ms(l.AtUSec))
		}
		b.WriteByte('\n')
		open = append(open, !last[i])
	}
	return b.String()
}
