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
	// MaxSize2Bytes and InstalledSize2Bytes are the 32-bit 13h and 17h
	// (3.1+) alone, 0 when absent.
	MaxSize2Bytes, InstalledSize2Bytes uint64
	SupportedSRAMTypes                 []string // 0Bh, as names
	CurrentSRAMType                    []string // 0Dh, as names
	SpeedNS                            uint8    // 0Fh (2.1+); 0 unknown
	ErrorCorrection                    string   // 10h (2.1+)
	SystemType                         string   // 11h
	Associativity                      string   // 12h
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
	cfg := s.U16(0x05)
	c := &Cache{
		SocketDesignation:   s.str(0x04),
		Level:               uint8(cfg&7) + 1,
		Enabled:             cfg&0x80 != 0,
		Socketed:            cfg&0x08 != 0,
		Location:            CacheLocationName(uint8(cfg >> 5)),
		OperationalMode:     CacheOperationalModeName(uint8(cfg >> 8)),
		MaxSizeBytes:        cacheSize16(s.U16(0x07)),
		InstalledSizeBytes:  cacheSize16(s.U16(0x09)),
		MaxSize2Bytes:       cacheSize32(s.U32(0x13)),
		InstalledSize2Bytes: cacheSize32(s.U32(0x17)),
		SupportedSRAMTypes:  CacheSRAMTypeNames(s.U16(0x0B)),
		CurrentSRAMType:     CacheSRAMTypeNames(s.U16(0x0D)),
		SpeedNS:             s.U8(0x0F),
	}
	c.MaxSizeBytes = max(c.MaxSizeBytes, c.MaxSize2Bytes)
	c.InstalledSizeBytes = max(c.InstalledSizeBytes, c.InstalledSize2Bytes)
	if s.Length > 0x10 {
		c.ErrorCorrection = CacheErrorCorrectionName(s.U8(0x10))
	}
	if s.Length > 0x11 {
		c.SystemType = CacheTypeName(s.U8(0x11))
	}
	if s.Length > 0x12 {
		c.Associativity = CacheAssociativityName(s.U8(0x12))
	}
	return c, nil
}
