package dmi

// Chassis is a decoded System Enclosure or Chassis structure (type 3,
// DSP0134 7.4).
type Chassis struct {
	Manufacturer     string // 04h
	Type             string // 05h bits 6:0, as named by ChassisTypeName
	TypeCode         uint8  // 05h bits 6:0
	Lock             bool   // 05h bit 7
	Version          string // 06h
	SerialNumber     string // 07h
	AssetTag         string // 08h
	BootUpState      string // 09h (2.1+)
	PowerSupplyState string // 0Ah
	ThermalState     string // 0Bh
	SecurityStatus   string // 0Ch
	OEMInformation   uint32 // 0Dh (2.3+)
	HeightU          uint8  // 11h, rack units; 0 unspecified
	PowerCords       uint8  // 12h; 0 unspecified
	SKUNumber        string // 15h + n*m (2.7+)
}

// ParseChassis decodes a type 3 structure.
func ParseChassis(s *Structure) (*Chassis, error) {
	if err := need(s, 3, 0x09); err != nil {
		return nil, err
	}
	t := s.Raw[0x05]
	c := &Chassis{
		Manufacturer: s.str(0x04),
		TypeCode:     t & 0x7F,
		Type:         ChassisTypeName(t),
		Lock:         t&0x80 != 0,
		Version:      s.str(0x06),
		SerialNumber: s.str(0x07),
		AssetTag:     s.str(0x08),
	}
	if s.Length >= 0x0D {
		c.BootUpState = ChassisStateName(s.Raw[0x09])
		c.PowerSupplyState = ChassisStateName(s.Raw[0x0A])
		c.ThermalState = ChassisStateName(s.Raw[0x0B])
		c.SecurityStatus = ChassisSecurityName(s.Raw[0x0C])
	}
	c.OEMInformation, _ = s.u32(0x0D)
	c.HeightU, _ = s.u8(0x11)
	c.PowerCords, _ = s.u8(0x12)
	if n, ok := s.u8(0x13); ok {
		if m, ok := s.u8(0x14); ok {
			c.SKUNumber = s.str(0x15 + int(n)*int(m))
		}
	}
	return c, nil
}
