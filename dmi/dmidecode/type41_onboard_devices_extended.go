package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var onboardDevicesExtended = typePrinter{title: "Onboard Device", body: viewBody(dmi.ParseOnboardDevice, (*printer).onboardDevicesExtended)}

// onboardDevicesExtended prints a type 41 structure (DSP0134 7.42).
func (p *printer) onboardDevicesExtended(s *dmi.Structure, d *dmi.OnboardDevice) {
	p.text("Reference Designation", d.ReferenceDesignation)
	p.text("Type", d.Type)
	p.text("Status", enabled(d.Enabled))
	p.attr("Type Instance", "%d", d.TypeInstance)
	if d.BusAddress != noBusAddress {
		p.text("Bus Address", d.BusAddress)
	}
}
