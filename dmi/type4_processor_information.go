package dmi

import "fmt"

// Processor is a decoded Processor Information structure (type 4, DSP0134
// 7.5).
type Processor struct {
	SocketDesignation string // 04h
	Type              string // 05h, as named by ProcessorTypeName
	// Family is the name of the processor family: byte 06h, or the
	// Processor Family 2 word (28h, 2.6+) when 06h is 0xFE.
	Family       string
	FamilyCode   uint16
	Manufacturer string // 07h
	ID           uint64 // 08h, raw processor ID (CPUID EAX, EDX on x86)
	Version      string // 10h
	// VoltageMillivolts is 11h decoded: bit 7 set means the value in
	// tenths of a volt; 0 when only legacy capability flags are given.
	VoltageMillivolts uint32
	// VoltageCode is 11h as stored: with bit 7 clear, bits 0-2 flag
	// support for 5 V, 3.3 V and 2.9 V.
	VoltageCode      uint8
	ExternalClockMHz uint16 // 12h
	MaxSpeedMHz      uint16 // 14h
	CurrentSpeedMHz  uint16 // 16h
	// Populated is status bit 6 (18h): the socket holds a processor.
	Populated bool
	Status    string // 18h bits 2:0, as named by ProcessorStatusName
	Upgrade   string // 19h, socket name
	// L1/L2/L3CacheHandle (1Ah, 1Ch, 1Eh, 2.1+); 0xFFFF when none.
	L1CacheHandle, L2CacheHandle, L3CacheHandle uint16
	// Part holds the serial number, asset tag and part number (20h, 21h,
	// 22h; 2.3+).
	Part
	// CoreCount, CoresEnabled and ThreadCount come from 23h, 24h, 25h
	// (2.5+), or from the 16-bit 2Ah, 2Ch, 2Eh (3.0+) when the byte reads
	// 0xFF. 0 means unknown.
	CoreCount, CoresEnabled, ThreadCount uint16
	Characteristics                      []string // 26h (2.5+), as names
}

// ParseProcessor decodes a type 4 structure.
func ParseProcessor(s *Structure) (*Processor, error) {
	if err := need(s, 4, 0x1A); err != nil {
		return nil, err
	}
	p := &Processor{
		SocketDesignation: s.str(0x04),
		Type:              ProcessorTypeName(s.U8(0x05)),
		FamilyCode:        uint16(s.U8(0x06)),
		Manufacturer:      s.str(0x07),
		ID:                s.U64(0x08),
		Version:           s.str(0x10),
		VoltageCode:       s.U8(0x11),
		ExternalClockMHz:  s.U16(0x12),
		MaxSpeedMHz:       s.U16(0x14),
		CurrentSpeedMHz:   s.U16(0x16),
		Populated:         s.U8(0x18)&0x40 != 0,
		Status:            ProcessorStatusName(s.U8(0x18)),
		Upgrade:           ProcessorUpgradeName(s.U8(0x19)),
		L1CacheHandle:     s.U16(0x1A),
		L2CacheHandle:     s.U16(0x1C),
		L3CacheHandle:     s.U16(0x1E),
		Part:              parsePart(s, 0x20),
		CoreCount:         count8or16(s, 0x23, 0x2A),
		CoresEnabled:      count8or16(s, 0x24, 0x2C),
		ThreadCount:       count8or16(s, 0x25, 0x2E),
	}
	if s.U8(0x06) == 0xFE && s.Length >= 0x2A {
		p.FamilyCode = s.U16(0x28)
	}
	p.Family = ProcessorFamilyName(p.FamilyCode)
	if v := p.VoltageCode; v&0x80 != 0 {
		p.VoltageMillivolts = uint32(v&0x7F) * 100
	}
	if s.Length >= 0x28 {
		p.Characteristics = ProcessorCharacteristicNames(s.U16(0x26))
	}
	return p, nil
}

// count8or16 reads a count byte at off8, which is 0xFF when the real value
// sits in the 16-bit field at off16 (SMBIOS 3.0).
func count8or16(s *Structure, off8, off16 int) uint16 {
	v := s.U8(off8)
	if v == 0xFF && int(s.Length) >= off16+2 {
		return s.U16(off16)
	}
	return uint16(v)
}

// String describes the processor briefly.
func (p Processor) String() string {
	return fmt.Sprintf("%s: %s %s", p.SocketDesignation, p.Manufacturer, p.Version)
}
