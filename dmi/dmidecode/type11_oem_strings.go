package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var oemStrings = typePrinter{title: "OEM Strings", body: (*printer).oemStrings}

// oemStrings prints a type 11 structure (DSP0134 7.12).
func (p *printer) oemStrings(s *dmi.Structure) {
	d := s.DmidecodeStrings()
	p.numbered("String", dmi.ParseOEMStrings(&d))
}
