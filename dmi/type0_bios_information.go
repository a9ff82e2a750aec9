package dmi

// BIOS is a decoded BIOS Information structure (type 0, DSP0134 7.1).
type BIOS struct {
	Vendor      string // 04h
	Version     string // 05h
	ReleaseDate string // 08h
	// StartSegment is the BIOS starting address segment (06h); 0 on UEFI
	// systems, which have no legacy BIOS image.
	StartSegment uint16
	// ROMSizeBytes comes from 09h ((n+1) x 64 KiB) or, when 09h is 0xFF,
	// from the extended ROM size (18h, SMBIOS 3.1: bits 13:0 in MiB or GiB
	// as bits 15:14 say; 0 for a unit the specification does not define).
	// 0xFF without the extended field means 16 MiB or more, reported as
	// 16 MiB as dmidecode does.
	ROMSizeBytes uint64
	// ROMSizeCode is 09h as stored; 0xFF refers to ExtendedROMSize.
	ROMSizeCode uint8
	// ExtendedROMSize is 18h as stored (3.1+), 0 when absent.
	ExtendedROMSize uint16
	Characteristics []string // 0Ah, 12h, 13h, as names
	// UEFISupported is characteristics extension byte 2 (13h) bit 3.
	UEFISupported bool
	// VirtualMachine is characteristics extension byte 2 (13h) bit 4.
	VirtualMachine bool
	// Revision is "major.minor" of the system BIOS (14h, 15h), "" when
	// absent or 0xFF.
	Revision string
	// FirmwareRevision is the embedded controller firmware release (16h,
	// 17h), "" when absent or 0xFF.
	FirmwareRevision string
}

// ParseBIOS decodes a type 0 structure.
func ParseBIOS(s *Structure) (*BIOS, error) {
	if err := need(s, 0, 0x12); err != nil {
		return nil, err
	}
	b := &BIOS{
		Vendor:          s.str(0x04),
		Version:         s.str(0x05),
		ReleaseDate:     s.str(0x08),
		StartSegment:    s.U16(0x06),
		ROMSizeCode:     s.U8(0x09),
		ExtendedROMSize: s.U16(0x18),
	}
	switch {
	case b.ROMSizeCode != 0xFF:
		b.ROMSizeBytes = (uint64(b.ROMSizeCode) + 1) << 16
	case s.Length >= 0x1A:
		v := uint64(b.ExtendedROMSize & 0x3FFF)
		switch b.ExtendedROMSize >> 14 {
		case 0:
			b.ROMSizeBytes = v << 20
		case 1:
			b.ROMSizeBytes = v << 30
		}
	default:
		b.ROMSizeBytes = 16 << 20
	}
	x2 := s.U8(0x13)
	b.Characteristics = BIOSCharacteristicNames(s.U64(0x0A), s.U8(0x12), x2, s.Length >= 0x13, s.Length >= 0x14)
	b.UEFISupported = x2&(1<<3) != 0
	b.VirtualMachine = x2&(1<<4) != 0
	if s.Length >= 0x18 {
		b.Revision = release(s.U8(0x14), s.U8(0x15))
		b.FirmwareRevision = release(s.U8(0x16), s.U8(0x17))
	}
	return b, nil
}

// release formats a major and minor release byte pair as "major.minor",
// "" when either is 0xFF (not supported).
func release(major, minor uint8) string {
	if major == 0xFF || minor == 0xFF {
		return ""
	}
	return itoa(major) + "." + itoa(minor)
}
