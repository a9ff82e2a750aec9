package dmidecode

import (
	"fmt"

	"github.com/bootinfo/bootinfo/dmi"
)

var systemEnclosure = typePrinter{title: "Chassis Information", body: viewBody(dmi.ParseChassis, (*printer).systemEnclosure)}

// systemEnclosure prints a type 3 structure (DSP0134 7.4).
func (p *printer) systemEnclosure(s *dmi.Structure, c *dmi.Chassis) {
	p.text("Manufacturer", c.Manufacturer)
	p.text("Type", c.Type)
	if c.Lock {
		p.text("Lock", "Present")
	} else {
		p.text("Lock", "Not Present")
	}
	p.text("Version", c.Version)
	p.text("Serial Number", c.SerialNumber)
	p.text("Asset Tag", c.AssetTag)
	if s.Length < 0x0D {
		return
	}
	p.text("Boot-up State", c.BootUpState)
	p.text("Power Supply State", c.PowerSupplyState)
	p.text("Thermal State", c.ThermalState)
	p.text("Security Status", c.SecurityStatus)
	if s.Length < 0x11 {
		return
	}
	p.attr("OEM Information", "0x%08X", c.OEMInformation)
	if s.Length < 0x13 {
		return
	}
	if c.HeightU == 0 {
		p.text("Height", "Unspecified")
	} else {
		p.attr("Height", "%d U", c.HeightU)
	}
	if c.PowerCords == 0 {
		p.text("Number Of Power Cords", "Unspecified")
	} else {
		p.attr("Number Of Power Cords", "%d", c.PowerCords)
	}
	n, m := int(c.ContainedElementCount), int(c.ContainedElementLength)
	if s.Length < 0x15 || int(s.Length) < 0x15+n*m {
		return
	}
	p.listStart("Contained Elements", fmt.Sprint(n))
	for _, e := range c.ContainedElements {
		if e.Minimum == e.Maximum {
			p.item("%s (%d)", e.Type, e.Minimum)
		} else {
			p.item("%s (%d-%d)", e.Type, e.Minimum, e.Maximum)
		}
	}
	if int(s.Length) >= 0x16+n*m {
		p.text("SKU Number", c.SKUNumber)
	}
}
