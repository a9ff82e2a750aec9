package dmidecode

import (
	"fmt"

	"github.com/bootinfo/bootinfo/dmi"
)

var biosLanguageInformation = typePrinter{title: "BIOS Language Information", min: 0x16, body: (*printer).biosLanguageInformation}

// biosLanguageInformation prints a type 13 structure (DSP0134 7.14).
func (p *printer) biosLanguageInformation(s *dmi.Structure) {
	if p.ver >= 0x020100 {
		f := "Long"
		if s.U8(5)&1 != 0 {
			f = "Abbreviated"
		}
		p.text("Language Description Format", f)
	}
	n := int(s.U8(4))
	p.listStart("Installable Languages", fmt.Sprint(n))
	for i := 1; i <= n; i++ {
		p.item("%s", s.String(uint8(i)))
	}
	p.text("Currently Installed Language", s.String(s.U8(0x15)))
}
