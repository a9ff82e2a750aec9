package dmi

// MemoryDevice is a decoded Memory Device structure (type 17, DSP0134 7.18).
type MemoryDevice struct {
	ArrayHandle uint16 // 04h
	// ErrorInformationHandle (06h): 0xFFFE not provided, 0xFFFF no error.
	ErrorInformationHandle uint16
	TotalWidth             uint16 // 08h, bits; 0xFFFF unknown
	DataWidth              uint16 // 0Ah, bits; 0xFFFF unknown
	// SizeBytes is 0Ch decoded: 0 means no module installed; bit 15 set
	// means KiB units, otherwise MiB; 0x7FFF means the Extended Size (1Ch,
	// MiB, 2.7+) holds it. SizeUnknown is set for 0xFFFF.
	SizeBytes   uint64
	SizeUnknown bool
	SizeCode    uint16   // 0Ch as stored
	FormFactor  string   // 0Eh
	Set         uint8    // 0Fh; 0 none, 0xFF unknown
	Locator     string   // 10h
	BankLocator string   // 11h
	Type        string   // 12h
	TypeDetail  []string // 13h
	// SpeedMTs is the maximum speed (15h, MT/s, 2.3+), or the Extended
	// Speed (54h, 3.3+) when 15h is 0xFFFF. 0 unknown.
	SpeedMTs     uint32
	Manufacturer string // 17h
	// Part holds the serial number, asset tag and part number (18h, 19h,
	// 1Ah).
	Part
	Rank uint8 // 1Bh bits 3:0 (2.6+); 0 unknown
	// ConfiguredSpeedMTs (20h, 2.7+; Extended Configured Speed 58h when
	// 20h is 0xFFFF). 0 unknown.
	ConfiguredSpeedMTs uint32
	// SpeedCode and ConfiguredSpeedCode are 15h and 20h as stored;
	// ExtendedSpeed and ExtendedConfiguredSpeed are 54h and 58h as stored
	// (3.3+).
	SpeedCode, ConfiguredSpeedCode         uint16
	ExtendedSpeed, ExtendedConfiguredSpeed uint32
	// Voltages in millivolts (22h, 24h, 26h, 2.8+); 0 unknown.
	MinimumVoltageMV, MaximumVoltageMV, ConfiguredVoltageMV uint16
	Technology                                              string   // 28h (3.2+)
	OperatingModes                                          []string // 29h (3.2+), as names
	FirmwareVersion                                         string   // 2Bh (3.2+)
	// Module and memory subsystem controller JEDEC IDs (2Ch, 2Eh, 30h,
	// 32h; 3.2+); 0 unknown.
	ModuleManufacturerID, ModuleProductID         uint16
	ControllerManufacturerID, ControllerProductID uint16
	// Sizes of the non-volatile, volatile, cache and logical portions
	// (34h, 3Ch, 44h, 4Ch; 3.2+), in bytes: 0 none, all ones unknown.
	NonVolatileSizeBytes, VolatileSizeBytes, CacheSizeBytes, LogicalSizeBytes uint64
}

// Part identifies a replaceable part: processors and memory devices hold
// these three strings one after the other.
type Part struct {
	SerialNumber string
	AssetTag     string
	PartNumber   string
}

func parsePart(s *Structure, off int) Part {
	return Part{SerialNumber: s.str(off), AssetTag: s.str(off + 1), PartNumber: s.str(off + 2)}
}

// Populated reports whether a module is installed.
func (m MemoryDevice) Populated() bool { return m.SizeBytes != 0 || m.SizeUnknown }

// ParseMemoryDevice decodes a type 17 structure.
func ParseMemoryDevice(s *Structure) (*MemoryDevice, error) {
	if err := need(s, 17, 0x15); err != nil {
		return nil, err
	}
	m := &MemoryDevice{
		ArrayHandle:              s.U16(0x04),
		ErrorInformationHandle:   s.U16(0x06),
		TotalWidth:               s.U16(0x08),
		DataWidth:                s.U16(0x0A),
		SizeCode:                 s.U16(0x0C),
		FormFactor:               MemoryFormFactorName(s.U8(0x0E)),
		Set:                      s.U8(0x0F),
		Locator:                  s.str(0x10),
		BankLocator:              s.str(0x11),
		Type:                     MemoryTypeName(s.U8(0x12)),
		TypeDetail:               MemoryTypeDetailNames(s.U16(0x13)),
		SpeedMTs:                 speed(s, 0x15, 0x54),
		Manufacturer:             s.str(0x17),
		Part:                     parsePart(s, 0x18),
		Rank:                     s.U8(0x1B) & 0x0F,
		ConfiguredSpeedMTs:       speed(s, 0x20, 0x58),
		SpeedCode:                s.U16(0x15),
		ConfiguredSpeedCode:      s.U16(0x20),
		ExtendedSpeed:            s.U32(0x54),
		ExtendedConfiguredSpeed:  s.U32(0x58),
		MinimumVoltageMV:         s.U16(0x22),
		MaximumVoltageMV:         s.U16(0x24),
		ConfiguredVoltageMV:      s.U16(0x26),
		FirmwareVersion:          s.str(0x2B),
		ModuleManufacturerID:     s.U16(0x2C),
		ModuleProductID:          s.U16(0x2E),
		ControllerManufacturerID: s.U16(0x30),
		ControllerProductID:      s.U16(0x32),
		NonVolatileSizeBytes:     s.U64(0x34),
		VolatileSizeBytes:        s.U64(0x3C),
		CacheSizeBytes:           s.U64(0x44),
		LogicalSizeBytes:         s.U64(0x4C),
	}
	switch size := m.SizeCode; {
	case size == 0xFFFF:
		m.SizeUnknown = true
	case size == 0x7FFF:
		m.SizeBytes = uint64(s.U32(0x1C)&0x7FFFFFFF) << 20
	case size&0x8000 != 0:
		m.SizeBytes = uint64(size&0x7FFF) << 10
	default:
		m.SizeBytes = uint64(size) << 20
	}
	if s.Length > 0x28 {
		m.Technology = MemoryTechnologyName(s.U8(0x28))
	}
	if s.Length >= 0x2B {
		m.OperatingModes = MemoryOperatingModeNames(s.U16(0x29))
	}
	return m, nil
}

// speed reads a 16-bit speed at off16, falling back to the 32-bit extended
// speed at off32 (bits 30:0) when it reads 0xFFFF.
func speed(s *Structure, off16, off32 int) uint32 {
	v := s.U16(off16)
	if v == 0xFFFF {
		return s.U32(off32) & 0x7FFFFFFF
	}
	return uint32(v)
}
