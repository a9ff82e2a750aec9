package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var memoryArrayMappedAddress = typePrinter{title: "Memory Array Mapped Address", body: viewBody(dmi.ParseMemoryArrayMappedAddress, (*printer).memoryArrayMappedAddress)}

// memoryArrayMappedAddress prints a type 19 structure (DSP0134 7.20).
func (p *printer) memoryArrayMappedAddress(s *dmi.Structure, m *dmi.MemoryArrayMappedAddress) {
	if m.ExtendedAddresses {
		p.addressRange(true, m.StartAddress, m.EndAddress)
	} else {
		p.addressRange(false, m.StartAddress>>10, m.EndAddress>>10)
	}
	p.attr("Physical Array Handle", "0x%04X", m.ArrayHandle)
	p.attr("Partition Width", "%d", m.PartitionWidth)
}
