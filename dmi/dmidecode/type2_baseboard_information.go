package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var baseboardInformation = typePrinter{title: "Base Board Information", body: viewBody(dmi.ParseBaseboard, (*printer).baseboardInformation)}

// baseboardInformation prints a type 2 structure (DSP0134 7.3).
func (p *printer) baseboardInformation(s *dmi.Structure, b *dmi.Baseboard) {
	p.product(b.Product)
	if s.Length < 0x09 {
		return
	}
	p.text("Asset Tag", b.AssetTag)
	if s.Length < 0x0A {
		return
	}
	p.flags("Features", b.Features, false)
	if s.Length < 0x0E {
		return
	}
	p.text("Location In Chassis", b.LocationInChassis)
	p.attr("Chassis Handle", "0x%04X", b.ChassisHandle)
	p.text("Type", b.Type)
	if b.ContainedObjectHandles != nil {
		p.handles("Contained Object Handles", b.ContainedObjectHandles)
	}
}
