package report

import (
	"fmt"
	"sort"
	"strings"
)

func (b *builder) firmware() {
	f := b.d.Firmware
	if f == nil {
		return
	}
	var mode string
	switch f.Mode {
	case "uefi":
		mode = "UEFI"
		if f.PlatformBits > 0 {
			mode += fmt.Sprintf(" %d-bit", f.PlatformBits)
		}
	case "bios":
		mode = "BIOS"
	case "none":
		mode = "no firmware interface (booted directly)"
	default:
		mode = "firmware unknown"
	}
	sb := ""
	switch f.SecureBoot {
	case "enabled", "disabled":
		sb = f.SecureBoot
		if f.SetupMode != nil && *f.SetupMode {
			sb += " (setup mode)"
		}
	}
	booted := ""
	if f.BootCurrent != nil {
		booted = "Boot" + *f.BootCurrent
		if d := f.entry(*f.BootCurrent); d != "" {
			booted += " " + d
		}
	}
	if dmi := b.d.DMI; dmi != nil {
		bios := dmi.BIOS
		date := ""
		if bios.ReleaseDate != "" {
			date = "(" + bios.ReleaseDate + ")"
		}
		b.fact("Firmware", join(" ", bios.Vendor, bios.Version, date))
	}
	b.fact("Secure Boot", sb)
	if sb != "" {
		sb = "Secure Boot " + sb
	}
	b.fact("Trust", f.trust())
	b.fact("Booted", booted)
	if f.BootNext != nil {
		next := "Boot" + *f.BootNext
		if d := f.entry(*f.BootNext); d != "" {
			next += " " + d
		}
		b.fact("Next boot", next+" (BootNext, once)")
	}
	var tpms []string
	for _, t := range f.TPMs {
		v := t.Name
		if t.VersionMajor == 2 {
			v += " (TPM 2.0)"
		} else if t.VersionMajor == 1 {
			v += " (TPM 1.2)"
		}
		tpms = append(tpms, v)
	}
	b.fact("TPM", strings.Join(tpms, ", "))
	post := ""
	if dmi := b.d.DMI; dmi != nil && dmi.BootStatus != "" {
		post = dmi.BootStatus
		if post != "No errors detected" {
			b.problem(Warn, "POST", post)
			post = ""
		} else {
			post = "POST: no errors"
		}
	}
	b.unread(f.Errors)
	b.verdict(OK, "%s", join(", ", mode, sb, post))
}

// entry returns the description of Boot#### id.
func (f *firmwareSection) entry(id string) string {
	for _, e := range f.BootEntries {
		if e.ID == id {
			return strings.TrimSpace(e.Description)
		}
	}
	return ""
}

// trust counts what the Secure Boot databases hold, store by store:
// "PK 1, KEK 2, db 3 certificates; dbx 371 hashes".
func (f *firmwareSection) trust() string {
	certs := map[string]int{}
	var order []string
	for _, c := range f.Certificates {
		if certs[c.Store] == 0 {
			order = append(order, c.Store)
		}
		certs[c.Store]++
	}
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%s %d", s, certs[s]))
	}
	out := ""
	if len(parts) > 0 {
		out = strings.Join(parts, ", ") + " certificates"
	}
	hashes := map[string]int{}
	order = nil
	for _, h := range f.Hashes {
		if hashes[h.Store] == 0 {
			order = append(order, h.Store)
		}
		hashes[h.Store] += h.Count
	}
	parts = nil
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%s %d", s, hashes[s]))
	}
	if len(parts) > 0 {
		out = join("; ", out, strings.Join(parts, ", ")+" hashes")
	}
	return out
}

func (b *builder) hardware() {
	d := b.d.DMI
	if d == nil {
		return
	}
	if d.Source == "none" {
		b.verdict(None, "no SMBIOS tables")
		return
	}
	sys := join(" ", d.System.Manufacturer, d.System.ProductName)
	b.fact("System", join(" ", sys, paren(d.System.Version)))
	b.fact("Board", join(" ", d.Baseboard.Manufacturer, d.Baseboard.ProductName))
	// Sockets with a CPU, grouped by model.
	models := map[string]int{}
	var order []string
	cores, threads, sockets := 0, 0, 0
	for _, p := range d.Processors {
		if strings.Contains(strings.ToLower(p.Status), "unpopulated") {
			continue
		}
		sockets++
		cores += p.Cores
		threads += p.Threads
		if models[p.Version] == 0 {
			order = append(order, p.Version)
		}
		models[p.Version]++
	}
	var cpus []string
	for _, m := range order {
		cpus = append(cpus, fmt.Sprintf("%d × %s", models[m], strings.TrimSpace(m)))
	}
	if len(cpus) > 0 {
		b.fact("CPUs", join(", ", strings.Join(cpus, ", "), counts(plural(cores, "core"), cores, plural(threads, "thread"), threads)))
	}
	populated := 0
	kinds := map[string]bool{}
	var kind []string
	for _, m := range d.Memory.Devices {
		if m.SizeBytes == 0 {
			continue
		}
		populated++
		k := m.Type
		if m.SpeedMTs > 0 {
			k += fmt.Sprintf(" %d MT/s", m.SpeedMTs)
		}
		if k != "" && !kinds[k] {
			kinds[k] = true
			kind = append(kind, k)
		}
	}
	slots := d.Memory.Slots
	if slots < len(d.Memory.Devices) {
		slots = len(d.Memory.Devices)
	}
	mem := ""
	if d.Memory.TotalBytes > 0 {
		mem = bytesIEC(d.Memory.TotalBytes)
		if slots > 0 {
			mem += fmt.Sprintf(" in %d of %d slots", populated, slots)
			if empty := slots - populated; empty > 0 {
				mem += fmt.Sprintf(" (%d empty)", empty)
			}
		}
		if len(kind) > 0 {
			mem += ", " + strings.Join(kind, ", ")
		}
	}
	b.fact("Memory", mem)
	if d.Source == "sysfs-dmi-id" {
		b.fact("Source", "/sys/class/dmi/id (the tables need root)")
	}
	b.unread(d.Errors)
	vm := ""
	if d.BIOS.VirtualMachine {
		vm = "virtual machine"
	}
	size := ""
	if d.Memory.TotalBytes > 0 {
		size = bytesIEC(d.Memory.TotalBytes)
	}
	cpu := ""
	if sockets > 0 {
		cpu = plural(sockets, "CPU")
	}
	b.verdict(OK, "%s", join(", ", sys, vm, cpu, size))
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// counts joins the strings whose number is not zero.
func counts(a string, an int, c string, cn int) string {
	if an == 0 {
		a = ""
	}
	if cn == 0 {
		c = ""
	}
	return join(", ", a, c)
}

func (b *builder) loader() {
	l := b.d.Bootloader
	if l == nil {
		return
	}
	name := map[string]string{"grub": "GRUB", "systemd-boot": "systemd-boot", "unknown": ""}[l.Loader]
	if name == "" && l.Loader != "unknown" {
		name = l.Loader
	}
	booted := ""
	if f := b.d.Firmware; f != nil && f.LoaderEntrySelected != "" {
		booted = f.LoaderEntrySelected
	} else if l.Cmdline.BootImage != "" {
		booted = l.Cmdline.BootImage
	}
	b.fact("Booted", booted)
	level, next := None, ""
	if nb := l.NextBoot; nb != nil {
		if nb.Entry != nil {
			next = nb.Entry.Title
		}
		switch {
		case nb.OK != nil && *nb.OK:
			level, next = OK, join(" ", next, "(would boot)")
		case nb.OK != nil:
			level = Fail
			for _, p := range nb.Problems {
				b.problem(Fail, "Next boot", join(": ", p.Reason, p.Detail))
			}
		}
	}
	if level != Fail {
		b.fact("Next boot", next)
	}
	if l.RebootRequired {
		why := strings.Join(l.RebootReasons, ", ")
		if len(l.RebootPackages) > 0 {
			why = join("; ", why, "packages "+strings.Join(l.RebootPackages, " "))
		}
		b.problem(Warn, "Reboot", "required: "+why)
	}
	if s := l.ScheduledShutdown; s != nil {
		b.problem(Warn, "Scheduled", s.Kind+" at "+s.At.UTC().Format("2006-01-02 15:04 MST"))
	}
	if n := len(l.InstalledKernels); n > 0 {
		b.fact("Kernels", join(", ", fmt.Sprintf("%d installed", n), nonEmpty("newest ", l.NewestKernel)))
	}
	if d := l.BootDisk; d != nil && d.Disk != "" {
		disk := d.Disk
		if d.Table != "" && d.Table != "none" {
			disk += " (" + d.Table + ")"
		}
		where := ""
		if d.ESPMount != "" {
			where = "ESP at " + d.ESPMount
		}
		b.fact("Boot disk", join(", ", disk, where))
	}
	for _, w := range l.Warnings {
		b.warn(Warn, w)
	}
	b.unread(l.Errors)
	switch {
	case level == Fail:
		b.verdict(Fail, "%s", join(", ", name, "the next boot would fail"))
	case name == "":
		b.verdict(None, "%s", join(", ", "boot loader unknown", booted))
	default:
		b.verdict(level, "%s", join(", ", name, nonEmpty("next: ", next)))
	}
	if l.RebootRequired {
		b.cur.Verdict += ", reboot required"
	}
}

func nonEmpty(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

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
