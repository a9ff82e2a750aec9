package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

// systemConfigurationOptions prints a type 12 structure (DSP0134 7.13).
func (p *printer) systemConfigurationOptions(s *dmi.Structure) {
	d := s.DmidecodeStrings()
	p.numbered("Option", dmi.ParseSystemConfigurationOptions(&d))
}
