package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

// systemBootInformation prints a type 32 structure (DSP0134 7.33).
func (p *printer) systemBootInformation(s *dmi.Structure) {
	if b := view(s, dmi.ParseSystemBoot); b != nil {
		p.text("Status", b.Status)
	}
}
