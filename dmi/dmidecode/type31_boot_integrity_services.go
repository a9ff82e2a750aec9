package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var bootIntegrityServices = typePrinter{title: "Boot Integrity Services Entry Point", min: 0x1C, body: (*printer).bootIntegrityServices}

// bootIntegrityServices prints a type 31 structure (DSP0134 7.32).
func (p *printer) bootIntegrityServices(s *dmi.Structure) {
	var sum byte
	for _, c := range s.Data() {
		sum += c
	}
	ok := "Invalid"
	if sum == 0 {
		ok = "OK"
	}
	p.text("Checksum", ok)
	p.attr("16-bit Entry Point Address", "%04X:%04X", s.U32(8)>>16, s.U32(8)&0xFFFF)
	p.attr("32-bit Entry Point Address", "0x%08X", s.U32(0x0C))
}
