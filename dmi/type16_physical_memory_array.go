package dmi

// MemoryArray is a decoded Physical Memory Array structure (type 16, DSP0134
// 7.17).
type MemoryArray struct {
	Location        string // 04h
	Use             string // 05h
	ErrorCorrection string // 06h
	// MaxCapacityBytes is 07h (KiB), or the Extended Maximum Capacity (0Fh,
	// bytes, 2.7+) when 07h is 0x80000000, as ExtendedMaxCapacity tells.
	// 0 when unknown.
	MaxCapacityBytes    uint64
	ExtendedMaxCapacity bool
	// ErrorInformationHandle (0Bh): 0xFFFE not provided, 0xFFFF no error.
	ErrorInformationHandle uint16
	Devices                uint16 // 0Dh, number of slots or sockets
}

// ParseMemoryArray decodes a type 16 structure.
func ParseMemoryArray(s *Structure) (*MemoryArray, error) {
	if err := need(s, 16, 0x0F); err != nil {
		return nil, err
	}
	a := &MemoryArray{
		Location:               MemoryArrayLocationName(s.U8(0x04)),
		Use:                    MemoryArrayUseName(s.U8(0x05)),
		ErrorCorrection:        MemoryErrorCorrectionName(s.U8(0x06)),
		MaxCapacityBytes:       uint64(s.U32(0x07)) << 10,
		ExtendedMaxCapacity:    s.U32(0x07) == 0x80000000,
		ErrorInformationHandle: s.U16(0x0B),
		Devices:                s.U16(0x0D),
	}
	if a.ExtendedMaxCapacity {
		a.MaxCapacityBytes = s.U64(0x0F)
	}
	return a, nil
}
