package report

import (
	"fmt"
	"sort"
	"strings"
)

// kernelFlags are the command-line parameters that change how the boot
// goes, in the order they are printed.
var kernelFlags = []string{"root", "rootfstype", "ro", "rw", "init", "rdinit", "single", "S", "1", "rescue", "emergency",
	"systemd.unit", "debug", "quiet", "nomodeset", "systemd.log_level", "loglevel", "panic", "fsck.mode"}

func (b *builder) kernel() {
	h, k := b.d.Host, b.d.Kmsg
	if h == nil && k == nil {
		return
	}
	release := ""
	if h != nil {
		release = h.KernelRelease
		var flags []string
		for _, f := range kernelFlags {
			v, ok := h.CmdlineParams[f]
			switch {
			case !ok:
			case v == "":
				flags = append(flags, f)
			default:
				flags = append(flags, f+"="+v)
			}
		}
		if rest := len(h.CmdlineParams) - len(flags); rest > 0 {
			flags = append(flags, fmt.Sprintf("(+%d more)", rest))
		}
		b.fact("Command line", strings.Join(flags, " "))
		if mode := b.bootMode(); mode != "" {
			b.problem(Warn, "Boot mode", mode)
		}
		b.unread(h.Errors)
	}
	toInit := ""
	if sd := b.d.Systemd; sd != nil && sd.Scope == "system" && sd.Timeline.KernelUSec > 0 {
		toInit = usec(sd.Timeline.KernelUSec)
	}
	kinds := 0
	if k != nil {
		if toInit == "" && k.Milestones.InitHandoff != nil {
			toInit = usec(uint64(k.Milestones.InitHandoff.Seconds * 1e6))
		}
		b.fact("Init after", join(" ", toInit, nonEmpty("→ ", k.Milestones.InitPath)))
		errs := k.Levels["emerg"] + k.Levels["alert"] + k.Levels["crit"] + k.Levels["err"]
		if errs > 0 || k.Levels["warning"] > 0 {
			b.fact("Log", join(", ", counted(errs, "error"), counted(k.Levels["warning"], "warning")))
		}
		if t := k.Milestones.Taint; t.Tainted {
			b.problem(Warn, "Tainted", join(" ", t.Flags, paren(strings.Join(t.Reasons, ", "))))
		}
		for _, name := range sortedKeys(k.Problems) {
			p := k.Problems[name]
			if p.Count == 0 {
				continue
			}
			kinds++
			v := fmt.Sprintf("%d×", p.Count)
			if p.Last != nil {
				v += fmt.Sprintf(", last at %.1fs: %s", p.Last.Seconds, p.Last.Message)
			}
			b.problem(Warn, name, v)
		}
		if k.RecordsLost > 0 {
			b.fact("Lost", counted(k.RecordsLost, "record")+" overwritten before they were read")
		}
		if k.ReaderError != "" {
			b.fact("Not read", k.ReaderError)
		}
	} else if toInit != "" {
		b.fact("Init after", toInit)
	}
	problems := "no problems in the kernel log"
	switch {
	case k == nil:
		problems = ""
	case kinds > 0:
		problems = plural(kinds, "kind") + " of problem in the kernel log"
	}
	b.verdict(OK, "%s", join(", ", release, nonEmpty("init after ", toInit), problems))
}

// bootMode is the mode the command line asked for, when not a normal boot.
func (b *builder) bootMode() string {
	if l := b.d.Bootloader; l != nil && l.Cmdline.BootMode != "" {
		if l.Cmdline.BootMode == "normal" {
			return ""
		}
		return l.Cmdline.BootMode
	}
	p := b.d.Host.CmdlineParams
	for _, f := range []string{"single", "S", "1", "rescue", "emergency"} {
		if _, ok := p[f]; ok {
			return f
		}
	}
	if u, ok := p["systemd.unit"]; ok {
		return "unit:" + u
	}
	return ""
}

func counted(n uint64, noun string) string {
	if n == 0 {
		return ""
	}
	return plural(int(min(n, 1<<31)), noun)
}

func (b *builder) init() {
	sd, h := b.d.Systemd, b.d.Host
	pid1 := ""
	if h != nil && h.Init != nil {
		pid1 = join(" ", h.Init.Name, h.Init.Version, paren(h.Init.Path))
		if h.Init.Deleted {
			pid1 += ", its executable replaced since it started"
		}
	}
	b.fact("PID 1", pid1)
	if sd == nil {
		if pid1 != "" {
			b.verdict(None, "%s", pid1)
		}
		return
	}
	if sd.Source == "files" {
		b.fact("Manager", nonEmpty("none: ", sd.FilesReason))
		b.fact("Default", sd.DefaultTarget)
		for _, p := range sd.Problems {
			b.warn(Warn, p)
		}
		b.verdict(None, "%s", join(", ", pid1, "no service manager to ask", nonEmpty("default ", sd.DefaultTarget)))
		return
	}
	m := sd.Manager
	scope := ""
	if sd.Scope == "user" {
		scope = "user manager"
	}
	if pid1 == "" || scope != "" {
		b.fact("Manager", join(", ", join(" ", "systemd", m.Version), scope))
	}
	var active []string
	for _, t := range []string{"emergency", "rescue", "multi_user", "graphical"} {
		if m.ActiveTargets[t] {
			active = append(active, strings.ReplaceAll(t, "_", "-")+".target")
		}
	}
	tl := sd.Timeline
	def := m.DefaultTarget
	if def != "" && tl.DefaultTargetReached && tl.DefaultTargetUSec > 0 {
		def += fmt.Sprintf(" (reached after %s in userspace)", usec(tl.DefaultTargetUSec))
	}
	b.fact("Targets", join(", ", nonEmpty("default ", def), nonEmpty("active ", strings.Join(active, " "))))
	if m.ActiveTargets["rescue"] || m.ActiveTargets["emergency"] {
		b.warn(Warn, "active target: "+strings.Join(active, " "))
	}
	var phases []string
	for _, p := range []struct {
		name string
		u    uint64
	}{{"firmware", tl.FirmwareUSec}, {"loader", tl.LoaderUSec}, {"kernel", tl.KernelUSec}, {"initrd", tl.InitRDUSec}, {"userspace", tl.UserspaceUSec}} {
		if p.u > 0 {
			phases = append(phases, usec(p.u)+" "+p.name)
		}
	}
	total := tl.TotalUSec
	if total == 0 {
		total = tl.FirmwareUSec + tl.LoaderUSec + tl.KernelUSec + tl.InitRDUSec + tl.UserspaceUSec
	}
	took := ""
	if tl.Finished && len(phases) > 0 {
		took = strings.Join(phases, " + ")
		if len(phases) > 1 {
			took += " = " + usec(total)
		}
	} else if !tl.Finished {
		took = "not finished yet"
	}
	b.fact("Boot took", took)
	var slow []string
	for _, u := range sd.Blame {
		if len(slow) == 3 {
			break
		}
		slow = append(slow, u.Unit+" "+usec(u.TimeUSec))
	}
	b.fact("Slowest", strings.Join(slow, ", "))
	why := map[string]string{}
	for _, u := range sd.Units {
		if u.LastFailure != nil {
			why[u.Name] = u.LastFailure.text()
		}
	}
	for i, name := range sd.FailedUnits {
		if i == 5 {
			b.problem(Fail, "Failed", fmt.Sprintf("and %d more", len(sd.FailedUnits)-5))
			break
		}
		b.problem(Fail, "Failed", join(": ", name, why[name]))
	}
	// Failures of services that were restarted since: gone from the
	// failed list, kept by the watcher.
	seen := map[string]int{}
	var order []string
	for _, f := range sd.RecentFailures {
		if seen[f.Unit] == 0 {
			order = append(order, f.Unit)
		}
		seen[f.Unit]++
	}
	sort.SliceStable(order, func(i, j int) bool { return seen[order[i]] > seen[order[j]] })
	for i, u := range order {
		if i == 3 {
			break
		}
		b.problem(Warn, "Restarted", fmt.Sprintf("%s failed %s recently", u, plural(seen[u], "time")))
	}
	level := OK
	state := m.SystemState
	if len(sd.FailedUnits) > 0 {
		state = join(": ", state, plural(len(sd.FailedUnits), "failed unit"))
		level = Fail
	}
	b.verdict(level, "%s", join(", ", join(" ", "systemd", m.Version), scope, state, nonEmpty("up in ", usecIf(tl.Finished, total))))
}

func usecIf(ok bool, u uint64) string {
	if !ok || u == 0 {
		return ""
	}
	return usec(u)
}

// text says how a run failed: "exit-code, status 1", "signal SIGKILL".
func (f *failure) text() string {
	switch f.Code {
	case "exited":
		return fmt.Sprintf("%s, status %d", f.Result, f.Status)
	case "killed", "dumped":
		return join(", ", f.Result, f.Signal)
	}
	return f.Result
}

func (b *builder) history() {
	h := b.d.History
	if h == nil {
		return
	}
	end := h.PreviousBootEnd
	level := OK
	switch end.State {
	case "crashed":
		level = Fail
		b.problem(Fail, "Previous boot", join(": ", "crashed", end.Reason, end.Detail))
	case "clean":
		b.fact("Previous boot", "ended cleanly")
	default:
		level = None
		if end.Detail != "no record of the previous boot" {
			b.fact("Previous boot", join(": ", end.State, end.Detail))
		}
	}
	for _, c := range h.Changes {
		v := c.Detail
		if v == "" {
			v = join(" → ", c.Before, c.After)
		}
		b.fact("Changed", join(": ", c.Component, v))
	}
	if n := len(h.Boots); n > 1 {
		b.fact("Recorded", plural(n, "boot"))
	}
	if h.StateError != "" {
		b.fact("Not kept", h.StateError)
	}
	for _, p := range h.Problems {
		b.warn(Warn, p)
	}
	changes := "nothing changed since"
	switch {
	case level == None:
		changes = ""
	case len(h.Changes) > 0:
		changes = plural(len(h.Changes), "change") + " since"
	}
	prev := map[string]string{"clean": "the previous boot ended cleanly", "crashed": "the previous boot crashed"}[end.State]
	if prev == "" {
		prev = "no record of the previous boot"
	}
	b.verdict(level, "%s", join(", ", prev, changes))
}
