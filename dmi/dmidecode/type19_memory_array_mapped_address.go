package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

// memoryArrayMappedAddress prints a type 19 structure (DSP0134 7.20).
func (p *printer) memoryArrayMappedAddress(s *dmi.Structure) {
	m := view(s, dmi.ParseMemoryArrayMappedAddress)
	if m == nil {
		return
	}
	if m.ExtendedAddresses {
		p.addressRange(true, m.StartAddress, m.EndAddress)
	} else {
		p.addressRange(false, m.StartAddress>>10, m.EndAddress>>10)
	}
	p.attr("Physical Array Handle", "0x%04X", m.ArrayHandle)
	p.attr("Partition Width", "%d", m.PartitionWidth)
}
