package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var onboardDevicesInformation = typePrinter{body: (*printer).onboardDevicesInformation}

// onboardDevicesInformation prints a type 10 structure (DSP0134 7.11,
// obsolete): one titled block per device.
func (p *printer) onboardDevicesInformation(s *dmi.Structure) {
	n := (int(s.Length) - 4) / 2
	for i := 0; i < n; i++ {
		if n == 1 {
			p.f("On Board Device Information\n")
		} else {
			p.f("On Board Device %d Information\n", i+1)
		}
		t := s.U8(4 + 2*i)
		p.text("Type", dmi.OnboardDeviceTypeName(t))
		p.text("Status", enabled(t&0x80 != 0))
		p.text("Description", s.String(s.U8(5+2*i)))
	}
}
