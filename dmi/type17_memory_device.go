package dmi

// MemoryDevice is a decoded Memory Device structure (type 17, DSP0134 7.18).
type MemoryDevice struct {
	ArrayHandle uint16 // 04h
	TotalWidth  uint16 // 08h, bits; 0xFFFF unknown
	DataWidth   uint16 // 0Ah, bits; 0xFFFF unknown
	// SizeBytes is 0Ch decoded: 0 means no module installed; bit 15 set
	// means KiB units, otherwise MiB; 0x7FFF means the Extended Size (1Ch,
	// MiB, 2.7+) holds it. SizeUnknown is set for 0xFFFF.
	SizeBytes   uint64
	SizeUnknown bool
	FormFactor  string   // 0Eh
	Locator     string   // 10h
	BankLocator string   // 11h
	Type        string   // 12h
	TypeDetail  []string // 13h
	// SpeedMTs is the maximum speed (15h, MT/s, 2.3+), or the Extended
	// Speed (54h, 3.3+) when 15h is 0xFFFF. 0 unknown.
	SpeedMTs     uint32
	Manufacturer string // 17h
	SerialNumber string // 18h
	AssetTag     string // 19h
	PartNumber   string // 1Ah
	Rank         uint8  // 1Bh bits 3:0 (2.6+); 0 unknown
	// ConfiguredSpeedMTs (20h, 2.7+; Extended Configured Speed 58h when
	// 20h is 0xFFFF). 0 unknown.
	ConfiguredSpeedMTs uint32
	// Voltages in millivolts (22h, 24h, 26h, 2.8+); 0 unknown.
	MinimumVoltageMV, MaximumVoltageMV, ConfiguredVoltageMV uint16
	Technology                                              string // 28h (3.2+)
}

// Populated reports whether a module is installed.
func (m MemoryDevice) Populated() bool { return m.SizeBytes != 0 || m.SizeUnknown }

// ParseMemoryDevice decodes a type 17 structure.
func ParseMemoryDevice(s *Structure) (*MemoryDevice, error) {
	if err := need(s, 17, 0x15); err != nil {
		return nil, err
	}
	r := s.Raw
	m := &MemoryDevice{
		FormFactor:   MemoryFormFactorName(r[0x0E]),
		Locator:      s.str(0x10),
		BankLocator:  s.str(0x11),
		Type:         MemoryTypeName(r[0x12]),
		Manufacturer: s.str(0x17),
		SerialNumber: s.str(0x18),
		AssetTag:     s.str(0x19),
		PartNumber:   s.str(0x1A),
	}
	m.ArrayHandle, _ = s.u16(0x04)
	m.TotalWidth, _ = s.u16(0x08)
	m.DataWidth, _ = s.u16(0x0A)
	size, _ := s.u16(0x0C)
	switch {
	case size == 0xFFFF:
		m.SizeUnknown = true
	case size == 0x7FFF:
		if ext, ok := s.u32(0x1C); ok {
			m.SizeBytes = uint64(ext&0x7FFFFFFF) << 20
		}
	case size&0x8000 != 0:
		m.SizeBytes = uint64(size&0x7FFF) << 10
	default:
		m.SizeBytes = uint64(size) << 20
	}
	td, _ := s.u16(0x13)
	m.TypeDetail = MemoryTypeDetailNames(td)
	m.SpeedMTs = speed(s, 0x15, 0x54)
	if a, ok := s.u8(0x1B); ok {
		m.Rank = a & 0x0F
	}
	m.ConfiguredSpeedMTs = speed(s, 0x20, 0x58)
	m.MinimumVoltageMV, _ = s.u16(0x22)
	m.MaximumVoltageMV, _ = s.u16(0x24)
	m.ConfiguredVoltageMV, _ = s.u16(0x26)
	if t, ok := s.u8(0x28); ok {
		m.Technology = MemoryTechnologyName(t)
	}
	return m, nil
}

// speed reads a 16-bit speed at off16, falling back to the 32-bit extended
// speed at off32 (bits 30:0) when it reads 0xFFFF.
func speed(s *Structure, off16, off32 int) uint32 {
	v, ok := s.u16(off16)
	if !ok {
		return 0
	}
	if v == 0xFFFF {
		if e, ok := s.u32(off32); ok {
			return e & 0x7FFFFFFF
		}
		return 0
	}
	return uint32(v)
}
