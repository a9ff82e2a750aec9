package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var ipmiDeviceInformation = typePrinter{title: "IPMI Device Information", body: viewBody(dmi.ParseIPMIDevice, (*printer).ipmiDeviceInformation)}

// ipmiDeviceInformation prints a type 38 structure (DSP0134 7.39).
func (p *printer) ipmiDeviceInformation(s *dmi.Structure, d *dmi.IPMIDevice) {
	smbus := d.InterfaceTypeCode == 4
	p.text("Interface Type", d.InterfaceType)
	p.text("Specification Version", d.SpecificationVersion)
	p.attr("I2C Slave Address", "0x%02x", d.I2CTargetAddress)
	if d.NVStorageAddress != 0xFF {
		p.attr("NV Storage Device Address", "%d", d.NVStorageAddress)
	} else {
		p.text("NV Storage Device", "Not Present")
	}
	switch {
	case smbus:
		p.attr("Base Address", "0x%02X (SMBus)", uint8(d.BaseAddress)>>1)
	case d.IOSpace:
		p.attr("Base Address", "0x%08X%08X (I/O)", uint32(d.BaseAddress>>32), uint32(d.BaseAddress))
	default:
		p.attr("Base Address", "0x%08X%08X (Memory-mapped)", uint32(d.BaseAddress>>32), uint32(d.BaseAddress))
	}
	if s.Length < 0x12 {
		return
	}
	if !smbus {
		p.text("Register Spacing", d.RegisterSpacing)
		if d.InterruptInfo {
			pol, trig := "Active Low", "Edge"
			if d.InterruptActiveHigh {
				pol = "Active High"
			}
			if d.InterruptLevelTriggered {
				trig = "Level"
			}
			p.text("Interrupt Polarity", pol)
			p.text("Interrupt Trigger Mode", trig)
		}
	}
	if d.Interrupt != 0 {
		p.attr("Interrupt Number", "%d", d.Interrupt)
	}
}
