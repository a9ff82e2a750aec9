package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var systemSlots = typePrinter{title: "System Slot Information", body: viewBody(dmi.ParseSystemSlot, (*printer).systemSlots)}

// systemSlots prints a type 9 structure (DSP0134 7.10).
func (p *printer) systemSlots(s *dmi.Structure, c *dmi.SystemSlot) {
	p.text("Designation", c.Designation)
	switch c.BusWidth {
	case "Other", "Unknown":
		p.text("Type", c.Type)
	case dmi.OutOfSpec:
		p.text("Type", c.BusWidth+c.Type)
	default:
		p.text("Type", c.BusWidth+" "+c.Type)
	}
	p.text("Current Usage", c.CurrentUsage)
	p.text("Length", c.Length)
	switch ty := c.TypeCode; {
	case ty == 0x04 || ty == 0x05 || ty == 0x06 || (ty >= 0x0E && ty <= 0x13) || (ty >= 0x1F && ty <= 0x23) || (ty >= 0xA5 && ty <= 0xC4):
		p.attr("ID", "%d", c.ID&0xFF)
	case ty == 0x07:
		p.attr("ID", "Adapter %d, Socket %d", c.ID&0xFF, c.ID>>8)
	}
	if c.CharacteristicsUnknown {
		p.text("Characteristics", "Unknown")
	} else {
		p.flags("Characteristics", c.Characteristics, false)
	}
	if s.Length < 0x11 {
		return
	}
	if c.BusAddress != "" {
		p.text("Bus Address", c.BusAddress)
	}
	if s.Length < 0x13 {
		return
	}
	p.attr("Data Bus Width", "%d", c.DataBusWidth)
	p.attr("Peer Devices", "%d", c.PeerGroupCount)
	for _, g := range c.PeerGroups {
		p.item("%s (Width %d)", g.BusAddress, g.Width)
	}
}
