package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var systemInformation = typePrinter{title: "System Information", body: (*printer).systemInformation}

// systemInformation prints a type 1 structure (DSP0134 7.2).
func (p *printer) systemInformation(s *dmi.Structure) {
	d := s.DmidecodeStrings()
	y, err := dmi.ParseSystem(&d, p.t.Version)
	if err != nil {
		return
	}
	p.product(y.Product)
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
