package dmi

// Baseboard is a decoded Baseboard (or Module) Information structure (type 2,
// DSP0134 7.3).
type Baseboard struct {
	Product
	AssetTag          string   // 08h
	Features          []string // 09h, as names
	LocationInChassis string   // 0Ah
	ChassisHandle     uint16   // 0Bh
	Type              string   // 0Dh, as named by BoardTypeName
	// ContainedObjectHandles are the handles at 0Fh, as many as 0Eh says;
	// nil when the structure does not hold them all.
	ContainedObjectHandles []uint16
}

// ParseBaseboard decodes a type 2 structure.
func ParseBaseboard(s *Structure) (*Baseboard, error) {
	if err := need(s, 2, 0x08); err != nil {
		return nil, err
	}
	b := &Baseboard{
		Product:           parseProduct(s),
		AssetTag:          s.str(0x08),
		LocationInChassis: s.str(0x0A),
		ChassisHandle:     s.U16(0x0B),
	}
	if s.Length >= 0x0A {
		b.Features = BoardFeatureNames(s.U8(0x09))
	}
	if s.Length >= 0x0E {
		b.Type = BoardTypeName(s.U8(0x0D))
	}
	if n := int(s.U8(0x0E)); s.Length >= 0x0F && int(s.Length) >= 0x0F+2*n {
		b.ContainedObjectHandles = make([]uint16, n)
		for i := range b.ContainedObjectHandles {
			b.ContainedObjectHandles[i] = s.U16(0x0F + 2*i)
		}
	}
	return b, nil
}
