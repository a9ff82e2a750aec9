package history

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Components that Diff compares, in the order it reports them.
const (
	ComponentKernel         = "kernel"
	ComponentCmdline        = "cmdline"
	ComponentBIOS           = "bios"
	ComponentSecureBoot     = "secure_boot"
	ComponentFirmwareMode   = "firmware_mode"
	ComponentMemory         = "memory"
	ComponentDIMMs          = "dimms"
	ComponentProcessors     = "processors"
	ComponentSystemIdentity = "system_identity"
	ComponentDefaultTarget  = "default_target"
)

// Components lists every component Diff can report, for callers that export
// one series per component.
var Components = []string{
	ComponentKernel, ComponentCmdline, ComponentBIOS, ComponentSecureBoot,
	ComponentFirmwareMode, ComponentMemory, ComponentDIMMs, ComponentProcessors,
	ComponentSystemIdentity, ComponentDefaultTarget,
}

// Change is one difference between two boots.
type Change struct {
	// Component is one of the Component constants.
	Component string `json:"component"`
	// Before and After render the component in the previous and the
	// current boot; empty for a DIMM that was added or removed.
	Before string `json:"before"`
	After  string `json:"after"`
	// Detail says what changed in words.
	Detail string `json:"detail"`
}

// memoryTolerance is the fraction of the larger total below which a memory
// difference is not reported: /proc/meminfo's MemTotal moves by a few MiB
// between kernel builds, while a DIMM or a VM resize moves it by far more.
const memoryTolerance = 0.01

// Diff compares the previous boot with the current one and returns the
// changes by component, in the order of Components (DIMMs by locator). A
// value unknown on either side (empty string, zero, "unknown") is not a
// change: losing root between two boots must not look like new hardware.
func Diff(prev, cur Record) []Change { return diff(prev, cur, false) }

// DiffWithheld is Diff for an agent that withholds serial numbers and UUIDs
// (--no-collector.dmi.serials). It compares them as Diff does, so a machine
// or DIMM replaced under the disk is still reported, but no Change carries
// them: the detail says "serial changed" or "uuid changed" without the
// values, and Before and After describe the machine or DIMM without them.
func DiffWithheld(prev, cur Record) []Change { return diff(prev, cur, true) }

func diff(prev, cur Record, withhold bool) []Change {
	var out []Change
	add := func(c Change) { out = append(out, c) }

	if known(prev.KernelRelease, cur.KernelRelease) && prev.KernelRelease != cur.KernelRelease {
		add(Change{ComponentKernel, prev.KernelRelease, cur.KernelRelease,
			fmt.Sprintf("kernel %s -> %s", prev.KernelRelease, cur.KernelRelease)})
	}
	if known(prev.Cmdline, cur.Cmdline) {
		if removed, added := cmdlineDelta(prev.Cmdline, cur.Cmdline); len(removed)+len(added) > 0 {
			add(Change{ComponentCmdline, prev.Cmdline, cur.Cmdline, deltaDetail(removed, added)})
		}
	}
	if b, a := biosString(prev.BIOS), biosString(cur.BIOS); known(b, a) && prev.BIOS != cur.BIOS {
		add(Change{ComponentBIOS, b, a, fieldsDetail(
			"vendor", prev.BIOS.Vendor, cur.BIOS.Vendor,
			"version", prev.BIOS.Version, cur.BIOS.Version,
			"release date", prev.BIOS.ReleaseDate, cur.BIOS.ReleaseDate)})
	}
	if known(prev.SecureBoot, cur.SecureBoot) && prev.SecureBoot != cur.SecureBoot {
		add(Change{ComponentSecureBoot, prev.SecureBoot, cur.SecureBoot,
			fmt.Sprintf("Secure Boot %s -> %s", prev.SecureBoot, cur.SecureBoot)})
	}
	if pm, cm := firmwareModes(prev, cur); known(pm, cm) && pm != cm {
		add(Change{ComponentFirmwareMode, prev.FirmwareMode, cur.FirmwareMode,
			fmt.Sprintf("firmware boot mode %s -> %s", prev.FirmwareMode, cur.FirmwareMode)})
	}
	if p, c := prev.MemoryTotalBytes, cur.MemoryTotalBytes; p != 0 && c != 0 && memoryDiffers(p, c) {
		add(Change{ComponentMemory, strconv.FormatUint(p, 10), strconv.FormatUint(c, 10),
			fmt.Sprintf("memory %s -> %s", formatBytes(p), formatBytes(c))})
	}
	out = append(out, diffDIMMs(prev.DIMMs, cur.DIMMs, withhold)...)
	if pp, cp := prev.Processors, cur.Processors; (pp.Model != "" || pp.Count != 0) && (cp.Model != "" || cp.Count != 0) {
		model := known(pp.Model, cp.Model) && pp.Model != cp.Model
		count := pp.Count != 0 && cp.Count != 0 && pp.Count != cp.Count
		if model || count {
			var d []string
			if model {
				d = append(d, fmt.Sprintf("model %q -> %q", pp.Model, cp.Model))
			}
			if count {
				d = append(d, fmt.Sprintf("count %d -> %d", pp.Count, cp.Count))
			}
			add(Change{ComponentProcessors, processorsString(pp), processorsString(cp), strings.Join(d, "; ")})
		}
	}
	if c, ok := diffIdentity(prev.System, cur.System, withhold); ok {
		add(c)
	}
	if known(prev.DefaultTarget, cur.DefaultTarget) && prev.DefaultTarget != cur.DefaultTarget {
		add(Change{ComponentDefaultTarget, prev.DefaultTarget, cur.DefaultTarget,
			fmt.Sprintf("default target %s -> %s", prev.DefaultTarget, cur.DefaultTarget)})
	}
	return out
}

// known reports whether both values are known.
// firmwareModes returns the firmware modes of two records as comparable
// values. A record without evidence predates the rule that says "bios" only
// on evidence of a BIOS: its "bios" meant "no EFI", which a later "none" or
// "unknown" does not contradict. Against such a record, any mode but "uefi"
// compares as that old "bios", so upgrading the agent reports no change.
func firmwareModes(prev, cur Record) (string, string) {
	pm, cm := prev.FirmwareMode, cur.FirmwareMode
	legacy := func(r Record) bool { return r.FirmwareMode == "bios" && len(r.FirmwareModeEvidence) == 0 }
	switch {
	case legacy(prev) && cm != "uefi" && cm != "":
		cm = pm
	case legacy(cur) && pm != "uefi" && pm != "":
		pm = cm
	}
	return pm, cm
}

func known(a, b string) bool {
	return a != "" && b != "" && a != "unknown" && b != "unknown"
}

func memoryDiffers(p, c uint64) bool {
	hi, lo := max(p, c), min(p, c)
	return float64(hi-lo) > memoryTolerance*float64(hi)
}

// cmdlineParam is a command-line word that changes with the kernel image the
// boot loader picked, so a kernel upgrade would otherwise also show as a
// command-line change; the kernel component covers it.
func bootLoaderParam(w string) bool {
	return strings.HasPrefix(w, "BOOT_IMAGE=") || strings.HasPrefix(w, "initrd=")
}

// cmdlineDelta returns the words removed from and added to the command line,
// as multisets (a repeated word counts each time), ignoring bootLoaderParam
// words. Words are split on white space; quoting is rare enough on real
// command lines that a quoted value with a space shows as two words.
func cmdlineDelta(prev, cur string) (removed, added []string) {
	count := map[string]int{}
	for _, w := range strings.Fields(prev) {
		if !bootLoaderParam(w) {
			count[w]++
		}
	}
	for _, w := range strings.Fields(cur) {
		if bootLoaderParam(w) {
			continue
		}
		if count[w] > 0 {
			count[w]--
			continue
		}
		added = append(added, w)
	}
	for _, w := range strings.Fields(prev) {
		if !bootLoaderParam(w) && count[w] > 0 {
			count[w]--
			removed = append(removed, w)
		}
	}
	return removed, added
}

func deltaDetail(removed, added []string) string {
	var d []string
	if len(removed) > 0 {
		d = append(d, "removed: "+strings.Join(removed, " "))
	}
	if len(added) > 0 {
		d = append(d, "added: "+strings.Join(added, " "))
	}
	return strings.Join(d, "; ")
}

func biosString(b BIOS) string {
	if b == (BIOS{}) {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s (%s)", b.Vendor, b.Version, b.ReleaseDate))
}

// fieldsDetail words the fields that differ, given as name, before, after
// triples.
func fieldsDetail(triples ...string) string {
	var d []string
	for i := 0; i+2 < len(triples); i += 3 {
		if triples[i+1] != triples[i+2] {
			d = append(d, fmt.Sprintf("%s %q -> %q", triples[i], triples[i+1], triples[i+2]))
		}
	}
	return strings.Join(d, "; ")
}

func processorsString(p Processors) string {
	return fmt.Sprintf("%d x %s", p.Count, p.Model)
}

func dimmString(d DIMM, withhold bool) string {
	if withhold {
		return fmt.Sprintf("%s %s part %q", d.Locator, formatBytes(d.SizeBytes), d.PartNumber)
	}
	return fmt.Sprintf("%s %s part %q serial %q", d.Locator, formatBytes(d.SizeBytes), d.PartNumber, d.SerialNumber)
}

// withheldChange words a change of a withheld value without the values.
func withheldChange(name string) string { return name + " changed (withheld)" }

// dimmKeys keys DIMMs by locator. Firmware sometimes gives several devices
// the same locator (or none), so the n-th repeat is keyed "LOCATOR#n" and
// the comparison stays positional among equal locators. Devices of size 0
// are empty slots: absent.
func dimmKeys(ds []DIMM) (keys []string, byKey map[string]DIMM) {
	byKey = make(map[string]DIMM, len(ds))
	seen := map[string]int{}
	for _, d := range ds {
		if d.SizeBytes == 0 {
			continue
		}
		k := d.Locator
		if n := seen[d.Locator]; n > 0 {
			k = fmt.Sprintf("%s#%d", d.Locator, n+1)
		}
		seen[d.Locator]++
		keys = append(keys, k)
		byKey[k] = d
	}
	return keys, byKey
}

// diffDIMMs reports added, removed and changed DIMMs: removals and changes
// in the previous boot's order, then additions in the current boot's order.
// A side with no DIMMs at all is unknown (SMBIOS unreadable), not empty.
func diffDIMMs(prev, cur []DIMM, withhold bool) []Change {
	pk, pm := dimmKeys(prev)
	ck, cm := dimmKeys(cur)
	if len(pk) == 0 || len(ck) == 0 {
		return nil
	}
	var out []Change
	for _, k := range pk {
		p := pm[k]
		c, ok := cm[k]
		switch {
		case !ok:
			out = append(out, Change{ComponentDIMMs, dimmString(p, withhold), "",
				fmt.Sprintf("DIMM %s removed (%s)", k, formatBytes(p.SizeBytes))})
		case p != c:
			d := fieldsDetail(
				"size", formatBytes(p.SizeBytes), formatBytes(c.SizeBytes),
				"part", p.PartNumber, c.PartNumber)
			switch {
			case p.SerialNumber == c.SerialNumber:
			case withhold:
				d = joinDetail(d, withheldChange("serial"))
			default:
				d = joinDetail(d, fieldsDetail("serial", p.SerialNumber, c.SerialNumber))
			}
			out = append(out, Change{ComponentDIMMs, dimmString(p, withhold), dimmString(c, withhold),
				fmt.Sprintf("DIMM %s changed: %s", k, d)})
		}
	}
	for _, k := range ck {
		if _, ok := pm[k]; !ok {
			c := cm[k]
			out = append(out, Change{ComponentDIMMs, "", dimmString(c, withhold),
				fmt.Sprintf("DIMM %s added (%s)", k, formatBytes(c.SizeBytes))})
		}
	}
	return out
}

// diffIdentity reports a changed system UUID or serial number: the disk now
// runs another machine (a VM moved or cloned, a disk moved to another
// server, a replaced mainboard).
func diffIdentity(prev, cur System, withhold bool) (Change, bool) {
	var d []string
	pu, cu := normUUID(prev.UUID), normUUID(cur.UUID)
	if pu != "" && cu != "" && pu != cu && pu != swapUUID(cu) {
		if withhold {
			d = append(d, withheldChange("uuid"))
		} else {
			d = append(d, fmt.Sprintf("uuid %s -> %s", prev.UUID, cur.UUID))
		}
	}
	ps, cs := normSerial(prev.SerialNumber), normSerial(cur.SerialNumber)
	if ps != "" && cs != "" && ps != cs {
		if withhold {
			d = append(d, withheldChange("serial"))
		} else {
			d = append(d, fmt.Sprintf("serial %q -> %q", prev.SerialNumber, cur.SerialNumber))
		}
	}
	if len(d) == 0 {
		return Change{}, false
	}
	return Change{ComponentSystemIdentity, identityString(prev, withhold), identityString(cur, withhold),
		"machine changed under the disk: " + strings.Join(d, "; ")}, true
}

func identityString(s System, withhold bool) string {
	if withhold {
		return strings.TrimSpace(s.Manufacturer + " " + s.ProductName)
	}
	return fmt.Sprintf("%s %s serial %q uuid %s", s.Manufacturer, s.ProductName, s.SerialNumber, s.UUID)
}

// joinDetail joins two parts of a detail with "; ", either may be empty.
func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// placeholderUUID is the UUID that AMI firmware ships unset boards with;
// the shared corpus has it on a Beelink mini PC and a Synology NAS.
const placeholderUUID = "03000200-0400-0500-0006-000700080009"

// normUUID lower-cases a UUID and drops the placeholders firmware uses for
// "none": all zeros and all ones (DSP0134 7.2.1), and placeholderUUID.
func normUUID(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	hex := strings.ReplaceAll(u, "-", "")
	if hex == "" || strings.Trim(hex, "0") == "" || strings.Trim(hex, "f") == "" || u == placeholderUUID {
		return ""
	}
	return u
}

// swapUUID byte-swaps the first three fields of a canonical UUID. SMBIOS
// before 2.6 did not say how to order them (DSP0134 7.2.1), so a firmware
// update that raises the SMBIOS version can show the same UUID swapped.
func swapUUID(u string) string {
	if len(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' {
		return u
	}
	rev := func(s string) string {
		b := make([]byte, 0, len(s))
		for i := len(s) - 2; i >= 0; i -= 2 {
			b = append(b, s[i], s[i+1])
		}
		return string(b)
	}
	return rev(u[0:8]) + "-" + rev(u[9:13]) + "-" + rev(u[14:18]) + u[18:]
}

// normSerial drops the placeholder serial numbers firmware ships with (as
// seen in the shared SMBIOS corpus: "To Be Filled By O.E.M.", "Default
// string", "0123456789", "1234567890", "XXXXXXX") and any string of one
// repeated character.
func normSerial(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "none", "not specified", "not applicable", "not available", "n/a", "default string",
		"to be filled by o.e.m.", "system serial number", "chassis serial number", "serial number",
		"0123456789", "1234567890", "123456789", "unknown", "o.e.m.", "oem":
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(s); strings.TrimLeft(s, string(r)) == "" {
		return ""
	}
	return s
}

// formatBytes renders a size in binary units, exactly when it divides.
func formatBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for n >= 1024 && n%1024 == 0 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return strconv.FormatUint(n, 10) + " " + units[i]
}
