package dmidecode

import (
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// cpuidFlags names the CPUID leaf 1 EDX bits dmidecode lists.
var cpuidFlags = [32]string{
	"FPU (Floating-point unit on-chip)", "VME (Virtual mode extension)", "DE (Debugging extension)",
	"PSE (Page size extension)", "TSC (Time stamp counter)", "MSR (Model specific registers)",
	"PAE (Physical address extension)", "MCE (Machine check exception)", "CX8 (CMPXCHG8 instruction supported)",
	"APIC (On-chip APIC hardware supported)", "", "SEP (Fast system call)", "MTRR (Memory type range registers)",
	"PGE (Page global enable)", "MCA (Machine check architecture)", "CMOV (Conditional move instruction supported)",
	"PAT (Page attribute table)", "PSE-36 (36-bit page size extension)",
	"PSN (Processor serial number present and enabled)", "CLFSH (CLFLUSH instruction supported)", "",
	"DS (Debug store)", "ACPI (ACPI supported)", "MMX (MMX technology supported)",
	"FXSR (FXSAVE and FXSTOR instructions supported)", "SSE (Streaming SIMD extensions)",
	"SSE2 (Streaming SIMD extensions 2)", "SS (Self-snoop)", "HTT (Multi-threading)",
	"TM (Thermal monitor supported)", "", "PBE (Pending break enabled)",
}

func familyCode(d fields, l int) uint16 {
	if d.b(0x06) == 0xFE && l >= 0x2A {
		return d.w(0x28)
	}
	return uint16(d.b(0x06))
}

// processorFamily names the family as dmidecode does, including its guesses
// for the ambiguous codes 0x30 (SMBIOS 2.0) and 0xBE.
func processorFamily(s *dmi.Structure, d fields, l int, ver uint32) string {
	if ver == 0x020000 && d.b(0x06) == 0x30 && l >= 0x08 {
		if strings.Contains(s.String(d.b(0x07)), "Intel") {
			return "Pentium Pro"
		}
	}
	code := familyCode(d, l)
	if code == 0xBE {
		if l >= 0x08 {
			m := s.String(d.b(0x07))
			if strings.Contains(m, "Intel") {
				return "Core 2"
			}
			if strings.Contains(m, "AMD") {
				return "K7"
			}
		}
		return "Core 2 or K7"
	}
	return dmi.ProcessorFamilyName(code)
}

func in(v uint16, ranges ...uint16) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if v >= ranges[i] && v <= ranges[i+1] {
			return true
		}
	}
	return false
}

func (p *printer) processorID(s *dmi.Structure, d fields, l int) {
	id := d[0x08:0x10]
	p.attr("ID", "%s", hexRow(id))
	typ := familyCode(d, l)
	eax := uint32(id[0]) | uint32(id[1])<<8 | uint32(id[2])<<16 | uint32(id[3])<<24
	edx := uint32(id[4]) | uint32(id[5])<<8 | uint32(id[6])<<16 | uint32(id[7])<<24
	sig := 0
	switch {
	case typ == 0x05:
		dx := uint16(eax)
		p.attr("Signature", "Type %d, Family %d, Major Stepping %d, Minor Stepping %d", dx>>12, dx>>8&0xF, dx>>4&0xF, dx&0xF)
		return
	case typ == 0x06:
		dx := uint16(eax)
		if dx&0x0F00 == 0x0400 && (dx&0x00F0 == 0x0040 || dx&0x00F0 >= 0x0070) && dx&0x000F >= 0x0003 {
			sig = 1
		} else {
			p.attr("Signature", "Type %d, Family %d, Model %d, Stepping %d", dx>>12&3, dx>>8&0xF, dx>>4&0xF, dx&0xF)
			return
		}
	case in(typ, 0x100, 0x101, 0x118, 0x119):
		midr := eax
		if midr == 0 {
			return
		}
		p.attr("Signature", "Implementor 0x%02x, Variant 0x%x, Architecture %d, Part 0x%03x, Revision %d",
			midr>>24, midr>>20&0xF, midr>>16&0xF, midr>>4&0xFFF, midr&0xF)
		return
	case in(typ, 0x0B, 0x15, 0x28, 0x2F, 0xA1, 0xB3, 0xB5, 0xB5, 0xB9, 0xC7, 0xCD, 0xCF, 0xD2, 0xDB, 0xDD, 0xE0):
		sig = 1
	case in(typ, 0x18, 0x1D, 0x1F, 0x1F, 0x38, 0x3F, 0x46, 0x4F, 0x66, 0x6B, 0x83, 0x8F, 0xB6, 0xB7, 0xE4, 0xEF):
		sig = 2
	case typ == 0x01 || typ == 0x02:
		v := s.String(d.b(0x10))
		switch {
		case strings.HasPrefix(v, "Pentium III MMX") || strings.HasPrefix(v, "Intel(R) Core(TM)2") ||
			strings.HasPrefix(v, "Intel(R) Pentium(R)") || v == "Genuine Intel(R) CPU U1400":
			sig = 1
		case strings.HasPrefix(v, "AMD Athlon(TM)") || strings.HasPrefix(v, "AMD Opteron(tm)") ||
			strings.HasPrefix(v, "Dual-Core AMD Opteron(tm)"):
			sig = 2
		default:
			return
		}
	default:
		return
	}
	switch sig {
	case 1:
		p.attr("Signature", "Type %d, Family %d, Model %d, Stepping %d", eax>>12&3, (eax>>20&0xFF)+(eax>>8&0x0F),
			(eax>>12&0xF0)+(eax>>4&0x0F), eax&0xF)
	case 2:
		fam, model := eax>>8&0xF, eax>>4&0xF
		if fam == 0xF {
			fam += eax >> 20 & 0xFF
			model |= eax >> 12 & 0xF0
		}
		p.attr("Signature", "Family %d, Model %d, Stepping %d", fam, model, eax&0xF)
	}
	if edx&0x1FFFFFFF == 0 {
		p.listStart("Flags", "None")
		return
	}
	p.listStart("Flags", "")
	for i := 0; i < 32; i++ {
		if cpuidFlags[i] != "" && edx&(1<<i) != 0 {
			p.item("%s", cpuidFlags[i])
		}
	}
}

func processorVoltage(c uint8) string {
	if c&0x80 != 0 {
		return fmt.Sprintf("%.1f V", float32(c&0x7F)/10)
	}
	if c&7 == 0 {
		return "Unknown"
	}
	var v []string
	for i, n := range []string{"5.0 V", "3.3 V", "2.9 V"} {
		if c&(1<<i) != 0 {
			v = append(v, n)
		}
	}
	return strings.Join(v, " ")
}

func freq(v uint16) string {
	if v == 0 {
		return "Unknown"
	}
	return fmt.Sprintf("%d MHz", v)
}

func (p *printer) type4(s *dmi.Structure, d fields, l int, str func(int) string) {
	p.f("Processor Information\n")
	if l < 0x1A {
		return
	}
	p.attr("Socket Designation", "%s", str(0x04))
	p.attr("Type", "%s", dmi.ProcessorTypeName(d.b(0x05)))
	p.attr("Family", "%s", processorFamily(s, d, l, p.ver))
	p.attr("Manufacturer", "%s", str(0x07))
	p.processorID(s, d, l)
	p.attr("Version", "%s", str(0x10))
	p.attr("Voltage", "%s", processorVoltage(d.b(0x11)))
	p.attr("External Clock", "%s", freq(d.w(0x12)))
	p.attr("Max Speed", "%s", freq(d.w(0x14)))
	p.attr("Current Speed", "%s", freq(d.w(0x16)))
	if st := d.b(0x18); st&0x40 != 0 {
		p.attr("Status", "Populated, %s", dmi.ProcessorStatusName(st))
	} else {
		p.attr("Status", "Unpopulated")
	}
	p.attr("Upgrade", "%s", dmi.ProcessorUpgradeName(d.b(0x19)))
	if l < 0x20 {
		return
	}
	for i, lv := range []string{"L1", "L2", "L3"} {
		h := d.w(0x1A + 2*i)
		switch {
		case h != 0xFFFF:
			p.attr(lv+" Cache Handle", "0x%04X", h)
		case p.ver >= 0x020300:
			p.attr(lv+" Cache Handle", "Not Provided")
		default:
			p.attr(lv+" Cache Handle", "No %s Cache", lv)
		}
	}
	if l < 0x23 {
		return
	}
	p.attr("Serial Number", "%s", str(0x20))
	p.attr("Asset Tag", "%s", str(0x21))
	p.attr("Part Number", "%s", str(0x22))
	if l < 0x28 {
		return
	}
	count := func(name string, off8, off16 int) {
		v := d.b(off8)
		if v == 0 {
			return
		}
		if l >= off16+2 && v == 0xFF {
			p.attr(name, "%d", d.w(off16))
		} else {
			p.attr(name, "%d", v)
		}
	}
	count("Core Count", 0x23, 0x2A)
	count("Core Enabled", 0x24, 0x2C)
	count("Thread Count", 0x25, 0x2E)
	if c := d.w(0x26); c&0x3FC == 0 {
		p.attr("Characteristics", "None")
	} else {
		p.listStart("Characteristics", "")
		for _, n := range dmi.ProcessorCharacteristicNames(c) {
			p.item("%s", n)
		}
	}
}
