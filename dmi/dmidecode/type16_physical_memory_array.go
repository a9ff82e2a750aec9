package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var physicalMemoryArray = typePrinter{title: "Physical Memory Array", body: viewBody(dmi.ParseMemoryArray, (*printer).physicalMemoryArray)}

// physicalMemoryArray prints a type 16 structure (DSP0134 7.17).
func (p *printer) physicalMemoryArray(s *dmi.Structure, a *dmi.MemoryArray) {
	p.text("Location", a.Location)
	p.text("Use", a.Use)
	p.text("Error Correction Type", a.ErrorCorrection)
	switch {
	case !a.ExtendedMaxCapacity:
		p.text("Maximum Capacity", memorySize(a.MaxCapacityBytes>>10, 1))
	case s.Length < 0x17:
		p.text("Maximum Capacity", "Unknown")
	default:
		p.text("Maximum Capacity", memorySize(a.MaxCapacityBytes, 0))
	}
	p.errorHandle(a.ErrorInformationHandle)
	p.attr("Number Of Devices", "%d", a.Devices)
}
