package dmi

// Cache is a decoded Cache Information structure (type 7, DSP0134 7.8).
type Cache struct {
	SocketDesignation string // 04h
	Level             uint8  // 05h bits 2:0, plus 1
	Enabled           bool   // 05h bit 7
	Socketed          bool   // 05h bit 3
	Location          string // 05h bits 6:5
	OperationalMode   string // 05h bits 9:8
	// MaxSizeBytes and InstalledSizeBytes come from 07h/09h, or from the
	// 32-bit 13h/17h (3.1+) when those are larger; granularity bit 15 (31)
	// selects 64 KiB units.
	MaxSizeBytes, InstalledSizeBytes uint64
	ErrorCorrection                  string // 10h (2.1+)
	SystemType                       string // 11h
	Associativity                    string // 12h
}

func cacheSize16(v uint16) uint64 {
	if v&0x8000 != 0 {
		return uint64(v&0x7FFF) << 16
	}
	return uint64(v) << 10
}

func cacheSize32(v uint32) uint64 {
	if v&0x80000000 != 0 {
		return uint64(v&0x7FFFFFFF) << 16
	}
	return uint64(v) << 10
}

// ParseCache decodes a type 7 structure.
func ParseCache(s *Structure) (*Cache, error) {
	if err := need(s, 7, 0x0F); err != nil {
		return nil, err
	}
	cfg, _ := s.u16(0x05)
	c := &Cache{
		SocketDesignation: s.str(0x04),
		Level:             uint8(cfg&7) + 1,
		Enabled:           cfg&0x80 != 0,
		Socketed:          cfg&0x08 != 0,
		Location:          CacheLocationName(uint8(cfg >> 5)),
		OperationalMode:   CacheOperationalModeName(uint8(cfg >> 8)),
	}
	maxs, _ := s.u16(0x07)
	inst, _ := s.u16(0x09)
	c.MaxSizeBytes, c.InstalledSizeBytes = cacheSize16(maxs), cacheSize16(inst)
	if m2, ok := s.u32(0x13); ok {
		if v := cacheSize32(m2); v > c.MaxSizeBytes {
			c.MaxSizeBytes = v
		}
	}
	if i2, ok := s.u32(0x17); ok {
		if v := cacheSize32(i2); v > c.InstalledSizeBytes {
			c.InstalledSizeBytes = v
		}
	}
	if v, ok := s.u8(0x10); ok {
		c.ErrorCorrection = CacheErrorCorrectionName(v)
	}
	if v, ok := s.u8(0x11); ok {
		c.SystemType = CacheTypeName(v)
	}
	if v, ok := s.u8(0x12); ok {
		c.Associativity = CacheAssociativityName(v)
	}
	return c, nil
}
