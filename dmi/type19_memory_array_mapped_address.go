package dmi

// MemoryArrayMappedAddress is a decoded Memory Array Mapped Address
// structure (type 19, DSP0134 7.20).
type MemoryArrayMappedAddress struct {
	// StartAddress and EndAddress are byte addresses: 04h and 08h are in
	// KiB; when 04h is 0xFFFFFFFF the extended 0Fh and 17h (2.7+, bytes)
	// are used, as ExtendedAddresses tells. EndAddress is inclusive.
	StartAddress, EndAddress uint64
	ExtendedAddresses        bool
	ArrayHandle              uint16 // 0Ch
	PartitionWidth           uint8  // 0Eh
}

// SizeBytes is the size of the mapped range.
func (m MemoryArrayMappedAddress) SizeBytes() uint64 {
	if m.EndAddress < m.StartAddress {
		return 0
	}
	return m.EndAddress - m.StartAddress + 1
}

// ParseMemoryArrayMappedAddress decodes a type 19 structure.
func ParseMemoryArrayMappedAddress(s *Structure) (*MemoryArrayMappedAddress, error) {
	if err := need(s, 19, 0x0F); err != nil {
		return nil, err
	}
	m := &MemoryArrayMappedAddress{
		StartAddress:   uint64(s.U32(0x04)) << 10,
		EndAddress:     uint64(s.U32(0x08))<<10 | 0x3FF,
		ArrayHandle:    s.U16(0x0C),
		PartitionWidth: s.U8(0x0E),
	}
	if s.U32(0x04) == 0xFFFFFFFF && s.Length >= 0x1F {
		m.StartAddress, m.EndAddress, m.ExtendedAddresses = s.U64(0x0F), s.U64(0x17), true
	}
	return m, nil
}
