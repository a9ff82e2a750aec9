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
	// as bits 15:14 say). 0xFF without the extended field means 16 MiB or
	// more, reported as 16 MiB as dmidecode does.
	ROMSizeBytes    uint64
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
		Vendor:      s.str(0x04),
		Version:     s.str(0x05),
		ReleaseDate: s.str(0x08),
	}
	b.StartSegment, _ = s.u16(0x06)
	rom, _ := s.u8(0x09)
	if rom != 0xFF {
		b.ROMSizeBytes = (uint64(rom) + 1) << 16
	} else if ext, ok := s.u16(0x18); ok {
		v := uint64(ext & 0x3FFF)
		switch ext >> 14 {
		case 0:
			b.ROMSizeBytes = v << 20
		case 1:
			b.ROMSizeBytes = v << 30
		}
	} else {
		b.ROMSizeBytes = 16 << 20
	}
	chars, _ := s.u64(0x0A)
	x1, hasX1 := s.u8(0x12)
	x2, hasX2 := s.u8(0x13)
	b.Characteristics = BIOSCharacteristicNames(chars, x1, x2, hasX1, hasX2)
	b.UEFISupported = hasX2 && x2&(1<<3) != 0
	b.VirtualMachine = hasX2 && x2&(1<<4) != 0
	if s.Length >= 0x18 {
		if s.Raw[0x14] != 0xFF && s.Raw[0x15] != 0xFF {
			b.Revision = itoa(s.Raw[0x14]) + "." + itoa(s.Raw[0x15])
		}
		if s.Raw[0x16] != 0xFF && s.Raw[0x17] != 0xFF {
			b.FirmwareRevision = itoa(s.Raw[0x16]) + "." + itoa(s.Raw[0x17])
		}
	}
	return b, nil
}
