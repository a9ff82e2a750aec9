package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var systemBootInformation = typePrinter{title: "System Boot Information", body: viewBody(dmi.ParseSystemBoot, (*printer).systemBootInformation)}

// systemBootInformation prints a type 32 structure (DSP0134 7.33).
func (p *printer) systemBootInformation(s *dmi.Structure, b *dmi.SystemBoot) {
	p.text("Status", b.Status)
}
