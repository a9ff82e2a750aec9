package dmidecode

import (
	"github.com/bootinfo/bootinfo/dmi"
)

var batteryChemistries = []string{"Other", "Unknown", "Lead Acid", "Nickel Cadmium", "Nickel metal hydride",
	"Lithium Ion", "Zinc Air", "Lithium Polymer"}

var portableBattery = typePrinter{title: "Portable Battery", min: 0x10, body: (*printer).portableBattery}

// portableBattery prints a type 22 structure (DSP0134 7.23). Structures
// of 1Ah bytes and more give the manufacture date, serial number and
// chemistry either as strings or in their SBDS form.
func (p *printer) portableBattery(s *dmi.Structure) {
	str := func(off int) string { return s.String(s.U8(off)) }
	sbds := s.Length >= 0x1A
	p.text("Location", str(4))
	p.text("Manufacturer", str(5))
	if s.U8(6) != 0 || !sbds {
		p.text("Manufacture Date", str(6))
	}
	if s.U8(7) != 0 || !sbds {
		p.text("Serial Number", str(7))
	}
	p.text("Name", str(8))
	if s.U8(9) != 2 || !sbds {
		p.text("Chemistry", dmi.Lookup(batteryChemistries, 1, int(s.U8(9))))
	}
	mult := uint32(1)
	if s.Length >= 0x16 {
		mult = uint32(s.U8(0x15))
	}
	if c := s.U16(0x0A); c == 0 {
		p.text("Design Capacity", "Unknown")
	} else {
		p.attr("Design Capacity", "%d mWh", uint32(c)*mult)
	}
	if v := s.U16(0x0C); v == 0 {
		p.text("Design Voltage", "Unknown")
	} else {
		p.attr("Design Voltage", "%d mV", v)
	}
	p.text("SBDS Version", str(0x0E))
	if e := s.U8(0x0F); e == 0xFF {
		p.text("Maximum Error", "Unknown")
	} else {
		p.attr("Maximum Error", "%d%%", e)
	}
	if !sbds {
		return
	}
	if s.U8(7) == 0 {
		p.attr("SBDS Serial Number", "%04X", s.U16(0x10))
	}
	if s.U8(6) == 0 {
		dt := s.U16(0x12)
		p.attr("SBDS Manufacture Date", "%d-%02d-%02d", 1980+int(dt>>9), dt>>5&0x0F, dt&0x1F)
	}
	if s.U8(9) == 2 {
		p.text("SBDS Chemistry", str(0x14))
	}
	p.attr("OEM-specific Information", "0x%08X", s.U32(0x16))
}
