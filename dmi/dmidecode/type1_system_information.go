package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

// systemInformation prints a type 1 structure (DSP0134 7.2).
func (p *printer) systemInformation(s *dmi.Structure) {
	y := view(s, func(s *dmi.Structure) (*dmi.System, error) { return dmi.ParseSystem(s, p.t.Version) })
	if y == nil {
		return
	}
	p.text("Manufacturer", y.Manufacturer)
	p.text("Product Name", y.ProductName)
	p.text("Version", y.Version)
	p.text("Serial Number", y.SerialNumber)
	if s.Length < 0x19 {
		return
	}
	p.text("UUID", uuid(y.UUID, y.UUIDState))
	p.text("Wake-up Type", y.WakeUpType)
	if s.Length < 0x1B {
		return
	}
	p.text("SKU Number", y.SKUNumber)
	p.text("Family", y.Family)
}
