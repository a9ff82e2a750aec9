package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var systemConfigurationOptions = typePrinter{title: "System Configuration Options", body: (*printer).systemConfigurationOptions}

// systemConfigurationOptions prints a type 12 structure (DSP0134 7.13).
func (p *printer) systemConfigurationOptions(s *dmi.Structure) {
	d := s.DmidecodeStrings()
	p.numbered("Option", dmi.ParseSystemConfigurationOptions(&d))
}
