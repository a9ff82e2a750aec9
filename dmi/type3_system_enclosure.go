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
	// ContainedElementCount (13h) and ContainedElementLength (14h) give the
	// number and size of the contained element records (2.3+).
	ContainedElementCount, ContainedElementLength uint8
	// ContainedElements are the records at 15h, decoded when they are at
	// least 3 bytes long and the structure holds them all.
	ContainedElements []ChassisElement
	SKUNumber         string // 15h + n*m (2.7+)
}

// ChassisElement is one contained element record of a type 3 structure.
type ChassisElement struct {
	// Type names the element: a structure type as StructureTypeName does
	// when bit 7 is set, otherwise a board type as BoardTypeName does.
	Type string
	// Minimum and Maximum are how many such elements the chassis holds.
	Minimum, Maximum uint8
}

// ParseChassis decodes a type 3 structure.
func ParseChassis(s *Structure) (*Chassis, error) {
	if err := need(s, 3, 0x09); err != nil {
		return nil, err
	}
	t := s.U8(0x05)
	c := &Chassis{
		Manufacturer:   s.str(0x04),
		TypeCode:       t & 0x7F,
		Type:           ChassisTypeName(t),
		Lock:           t&0x80 != 0,
		Version:        s.str(0x06),
		SerialNumber:   s.str(0x07),
		AssetTag:       s.str(0x08),
		OEMInformation: s.U32(0x0D),
		HeightU:        s.U8(0x11),
		PowerCords:     s.U8(0x12),
	}
	if s.Length >= 0x0D {
		c.BootUpState = ChassisStateName(s.U8(0x09))
		c.PowerSupplyState = ChassisStateName(s.U8(0x0A))
		c.ThermalState = ChassisStateName(s.U8(0x0B))
		c.SecurityStatus = ChassisSecurityName(s.U8(0x0C))
	}
	if s.Length < 0x15 {
		return c, nil
	}
	n, m := int(s.U8(0x13)), int(s.U8(0x14))
	c.ContainedElementCount, c.ContainedElementLength = uint8(n), uint8(m)
	c.SKUNumber = s.str(0x15 + n*m)
	if m >= 3 && int(s.Length) >= 0x15+n*m {
		c.ContainedElements = make([]ChassisElement, n)
		for i := range c.ContainedElements {
			e := 0x15 + i*m
			ty := BoardTypeName(s.U8(e) & 0x7F)
			if s.U8(e)&0x80 != 0 {
				ty = StructureTypeName(s.U8(e) & 0x7F)
			}
			c.ContainedElements[i] = ChassisElement{Type: ty, Minimum: s.U8(e + 1), Maximum: s.U8(e + 2)}
		}
	}
	return c, nil
}
