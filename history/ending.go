package history

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// JudgeKind fills e's Kind and the previous boot's last words: e is what
// JudgeEnd (or PreviousBootEndOnHost) said, last the previous boot's last
// checkpoint (nil when there is none), and watchdogs this boot's watchdog
// devices (ReadWatchdogs).
//
// The evidence ranks: a crash in pstore first (KindCrash); then a
// watchdog whose bootstatus has WDIOF_CARDRESET, because it reset the
// machine whatever was under way, an orderly shutdown that hung included
// (KindWatchdog); then the shutdown target the manager had queued when
// the agent was stopped (KindReboot, KindPoweroff, KindHalt, KindKexec);
// then the kernel's own orderly dump in pstore from kernels that name it
// (Restart, Halt, Poweroff). Everything else is KindUnknown: no stop mark
// and no crash (a power loss, a hang, a reset), with LastAlive saying when
// the agent last saw the boot alive, or a stop with no shutdown named.
func JudgeKind(e *End, last *Checkpoint, watchdogs []WatchdogStatus) {
	if last != nil {
		t := last.LastAlive
		e.LastAlive = &t
		if len(last.KernelProblems) > 0 {
			e.KernelProblems = maps.Clone(last.KernelProblems)
		}
		e.LastKernelMessages = slices.Clone(last.KernelMessages)
		if last.Stop != nil {
			at := last.Stop.At
			e.StoppedAt = &at
		}
	}
	var fired []string
	for _, w := range watchdogs {
		if w.CardReset() {
			e.Watchdogs = append(e.Watchdogs, w)
			name := w.Device
			if w.Identity != "" {
				name += " (" + w.Identity + ")"
			}
			fired = append(fired, fmt.Sprintf("%s bootstatus %#x", name, w.BootStatus))
		}
	}
	alive := "no checkpoint of the previous boot"
	if last != nil {
		alive = "last alive at " + last.LastAlive.UTC().Format(time.RFC3339)
	}
	switch {
	case e.State == EndCrashed:
		e.Kind, e.KindDetail = KindCrash, "pstore holds the crash ("+e.Reason+")"
	case len(fired) > 0:
		e.Kind, e.KindDetail = KindWatchdog, "the watchdog reset the machine: "+strings.Join(fired, ", ")
		if last != nil && last.Stop != nil && last.Stop.Kind != "" {
			e.KindDetail += fmt.Sprintf("; the agent had been stopped at %s with %s queued",
				last.Stop.At.UTC().Format(time.RFC3339), last.Stop.Kind)
		}
	case last != nil && last.Stop != nil && isStopKind(last.Stop.Kind):
		e.Kind = last.Stop.Kind
		e.KindDetail = fmt.Sprintf("the agent was stopped at %s with %s queued", last.Stop.At.UTC().Format(time.RFC3339), last.Stop.Kind)
		if last.Stop.Detail != "" {
			e.KindDetail += " (" + last.Stop.Detail + ")"
		}
	case orderlyKind(e) != "":
		e.Kind = orderlyKind(e)
		e.KindDetail = "the kernel's own orderly dump in pstore: " + e.Detail
	case last != nil && last.Stop != nil:
		e.Kind = KindUnknown
		e.KindDetail = fmt.Sprintf("the agent was stopped at %s, but no shutdown was named", last.Stop.At.UTC().Format(time.RFC3339))
		if last.Stop.Detail != "" {
			e.KindDetail += ": " + last.Stop.Detail
		}
	case e.State == EndClean:
		e.Kind, e.KindDetail = KindUnknown, "stopped in order ("+e.Detail+"), but no shutdown was named; "+alive
	default:
		e.Kind, e.KindDetail = KindUnknown, "no stop mark, no crash and no watchdog reset: power loss, a hang or a reset; "+alive
	}
}

func isStopKind(k string) bool {
	switch k {
	case KindReboot, KindPoweroff, KindHalt, KindKexec:
		return true
	}
	return false
}

// orderlyKind maps the reason of the kernel's orderly dump that JudgeEnd
// cited to a kind: kernels before 5.10 wrote Restart, Halt and Poweroff;
// later ones write only Shutdown, which names none.
func orderlyKind(e *End) string {
	if e.State != EndClean || e.CrashTime != nil {
		return ""
	}
	return map[string]string{"Restart": KindReboot, "Halt": KindHalt, "Poweroff": KindPoweroff}[e.Reason]
}
