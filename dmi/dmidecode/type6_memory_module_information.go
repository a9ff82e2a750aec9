package dmidecode

import (
	"github.com/bootinfo/bootinfo/dmi"
)

func (p *printer) moduleSize(attr string, c uint8) {
	conn := " (Single-bank Connection)"
	if c&0x80 != 0 {
		conn = " (Double-bank Connection)"
	}
	switch c & 0x7F {
	case 0x7D:
		p.attr(attr, "Not Determinable%s", conn)
	case 0x7E:
		p.attr(attr, "Disabled%s", conn)
	case 0x7F:
		p.text(attr, "Not Installed")
	default:
		p.attr(attr, "%d MB%s", uint64(1)<<(c&0x7F), conn)
	}
}

var memoryModuleInformation = typePrinter{title: "Memory Module Information", min: 0x0C, body: (*printer).memoryModuleInformation}

// memoryModuleInformation prints a type 6 structure (DSP0134 7.7).
func (p *printer) memoryModuleInformation(s *dmi.Structure) {
	p.text("Socket Designation", s.String(s.U8(4)))
	switch c := s.U8(5); {
	case c == 0xFF:
		p.text("Bank Connections", "None")
	case c&0xF0 == 0xF0:
		p.attr("Bank Connections", "%d", c&0x0F)
	case c&0x0F == 0x0F:
		p.attr("Bank Connections", "%d", c>>4)
	default:
		p.attr("Bank Connections", "%d %d", c>>4, c&0x0F)
	}
	p.text("Current Speed", moduleSpeed(s.U8(6)))
	p.flags("Type", dmi.FlagNames(uint64(s.U16(7)), moduleTypes, 0), true)
	p.moduleSize("Installed Size", s.U8(9))
	p.moduleSize("Enabled Size", s.U8(0x0A))
	e := s.U8(0x0B)
	if e&4 != 0 {
		p.text("Error Status", "See Event Log")
		return
	}
	if e&3 == 0 {
		p.text("Error Status", "OK")
	}
	if e&1 != 0 {
		p.text("Error Status", "Uncorrectable Errors")
	}
	if e&2 != 0 {
		p.text("Error Status", "Correctable Errors")
	}
}
