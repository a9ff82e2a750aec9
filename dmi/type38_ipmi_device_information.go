package dmi

// IPMIDevice is a decoded IPMI Device Information structure (type 38,
// DSP0134 7.39).
type IPMIDevice struct {
	InterfaceType        string // 04h
	SpecificationVersion string // 05h, BCD "major.minor"
	I2CTargetAddress     uint8  // 06h
	NVStorageAddress     uint8  // 07h; 0xFF none
	// BaseAddress (08h): bit 0 set means I/O space; bit 0 of the address
	// proper comes from 10h bit 4 as DSP0134 describes.
	BaseAddress uint64
	IOSpace     bool
	Interrupt   uint8 // 11h; 0 none
}

// ParseIPMIDevice decodes a type 38 structure.
func ParseIPMIDevice(s *Structure) (*IPMIDevice, error) {
	if err := need(s, 38, 0x10); err != nil {
		return nil, err
	}
	r := s.Raw
	d := &IPMIDevice{
		InterfaceType:        IPMIInterfaceTypeName(r[0x04]),
		SpecificationVersion: itoa(r[0x05]>>4) + "." + itoa(r[0x05]&0x0F),
		I2CTargetAddress:     r[0x06] >> 1,
		NVStorageAddress:     r[0x07],
	}
	base, _ := s.u64(0x08)
	d.IOSpace = base&1 != 0
	base &^= 1
	if mod, ok := s.u8(0x10); ok {
		base |= uint64(mod>>4) & 1
	}
	d.BaseAddress = base
	d.Interrupt, _ = s.u8(0x11)
	return d, nil
}
