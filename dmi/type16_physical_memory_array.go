package dmi

// MemoryArray is a decoded Physical Memory Array structure (type 16, DSP0134
// 7.17).
type MemoryArray struct {
	Location        string // 04h
	Use             string // 05h
	ErrorCorrection string // 06h
	// MaxCapacityBytes is 07h (KiB), or the Extended Maximum Capacity (0Fh,
	// bytes, 2.7+) when 07h is 0x80000000. 0 when unknown.
	MaxCapacityBytes uint64
	// ErrorInformationHandle (0Bh): 0xFFFE not provided, 0xFFFF no error.
	ErrorInformationHandle uint16
	Devices                uint16 // 0Dh, number of slots or sockets
}

// ParseMemoryArray decodes a type 16 structure.
func ParseMemoryArray(s *Structure) (*MemoryArray, error) {
	if err := need(s, 16, 0x0F); err != nil {
		return nil, err
	}
	r := s.Raw
	a := &MemoryArray{
		Location:        MemoryArrayLocationName(r[0x04]),
		Use:             MemoryArrayUseName(r[0x05]),
		ErrorCorrection: MemoryErrorCorrectionName(r[0x06]),
	}
	c, _ := s.u32(0x07)
	if c == 0x80000000 {
		a.MaxCapacityBytes, _ = s.u64(0x0F)
	} else {
		a.MaxCapacityBytes = uint64(c) << 10
	}
	a.ErrorInformationHandle, _ = s.u16(0x0B)
	a.Devices, _ = s.u16(0x0D)
	return a, nil
}
