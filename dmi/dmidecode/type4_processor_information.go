package dmidecode

import (
	"encoding/binary"
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

// processorFamily names the family of a type 4 structure as dmidecode does,
// including its guesses for the ambiguous codes 0x30 (SMBIOS 2.0) and 0xBE.
// It works on structures of any length, as -s processor-family needs.
func processorFamily(s *dmi.Structure, ver uint32) string {
	if ver == 0x020000 && s.U8(0x06) == 0x30 && s.Length >= 0x08 {
		if strings.Contains(s.String(s.U8(0x07)), "Intel") {
			return "Pentium Pro"
		}
	}
	code := uint16(s.U8(0x06))
	if code == 0xFE && s.Length >= 0x2A {
		code = s.U16(0x28)
	}
	if code == 0xBE {
		if s.Length >= 0x08 {
			m := s.String(s.U8(0x07))
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

// processorID prints the ID and, where dmidecode knows the family's
// layout, the signature and CPUID flags.
func (p *printer) processorID(c *dmi.Processor) {
	var id [8]byte
	binary.LittleEndian.PutUint64(id[:], c.ID)
	p.text("ID", hexRow(id[:]))
	typ := c.FamilyCode
	eax, edx := uint32(c.ID), uint32(c.ID>>32)
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
		v := c.Version
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

// freq formats a speed in MHz.
func freq(v uint16) string { return orUnknown(v, "%d MHz") }

var processorInformation = typePrinter{title: "Processor Information", body: viewBody(dmi.ParseProcessor, (*printer).processorInformation)}

// processorInformation prints a type 4 structure (DSP0134 7.5).
func (p *printer) processorInformation(s *dmi.Structure, c *dmi.Processor) {
	p.text("Socket Designation", c.SocketDesignation)
	p.text("Type", c.Type)
	p.text("Family", processorFamily(s, p.ver))
	p.text("Manufacturer", c.Manufacturer)
	p.processorID(c)
	p.text("Version", c.Version)
	p.text("Voltage", processorVoltage(c.VoltageCode))
	p.text("External Clock", freq(c.ExternalClockMHz))
	p.text("Max Speed", freq(c.MaxSpeedMHz))
	p.text("Current Speed", freq(c.CurrentSpeedMHz))
	if c.Populated {
		p.text("Status", "Populated, "+c.Status)
	} else {
		p.text("Status", "Unpopulated")
	}
	p.text("Upgrade", c.Upgrade)
	if s.Length < 0x20 {
		return
	}
	for i, h := range []uint16{c.L1CacheHandle, c.L2CacheHandle, c.L3CacheHandle} {
		lv := []string{"L1", "L2", "L3"}[i]
		switch {
		case h != 0xFFFF:
			p.attr(lv+" Cache Handle", "0x%04X", h)
		case p.ver >= 0x020300:
			p.text(lv+" Cache Handle", "Not Provided")
		default:
			p.attr(lv+" Cache Handle", "No %s Cache", lv)
		}
	}
	if s.Length < 0x23 {
		return
	}
	p.part(c.Part)
	if s.Length < 0x28 {
		return
	}
	// dmidecode omits a count whose byte is 0, but prints a 16-bit count
	// of 0 (byte 0xFF); the view has 0 for both, so the byte decides.
	for i, n := range []uint16{c.CoreCount, c.CoresEnabled, c.ThreadCount} {
		if s.U8(0x23+i) != 0 {
			p.attr([]string{"Core Count", "Core Enabled", "Thread Count"}[i], "%d", n)
		}
	}
	p.flags("Characteristics", c.Characteristics, false)
}
