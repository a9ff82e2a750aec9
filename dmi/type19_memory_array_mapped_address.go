package dmi

// MemoryArrayMappedAddress is a decoded Memory Array Mapped Address
// structure (type 19, DSP0134 7.20).
type MemoryArrayMappedAddress struct {
	// StartAddress and EndAddress are byte addresses: 04h and 08h are in
	// KiB; when 04h is 0xFFFFFFFF the extended 0Fh and 17h (2.7+, bytes)
	// are used. EndAddress is inclusive.
	StartAddress, EndAddress uint64
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
	m := &MemoryArrayMappedAddress{}
	start, _ := s.u32(0x04)
	end, _ := s.u32(0x08)
	m.ArrayHandle, _ = s.u16(0x0C)
	m.PartitionWidth, _ = s.u8(0x0E)
	if start == 0xFFFFFFFF {
		xs, ok1 := s.u64(0x0F)
		xe, ok2 := s.u64(0x17)
		if ok1 && ok2 {
			m.StartAddress, m.EndAddress = xs, xe
			return m, nil
		}
	}
	m.StartAddress = uint64(start) << 10
	m.EndAddress = uint64(end)<<10 | 0x3FF
	return m, nil
}
