package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

// onboardDevicesExtended prints a type 41 structure (DSP0134 7.42).
func (p *printer) onboardDevicesExtended(s *dmi.Structure) {
	d := view(s, dmi.ParseOnboardDevice)
	if d == nil {
		return
	}
	p.text("Reference Designation", d.ReferenceDesignation)
	p.text("Type", d.Type)
	p.text("Status", enabled(d.Enabled))
	p.attr("Type Instance", "%d", d.TypeInstance)
	if d.BusAddress != noBusAddress {
		p.text("Bus Address", d.BusAddress)
	}
}
