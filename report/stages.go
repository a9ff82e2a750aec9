package report

import (
	"fmt"
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
