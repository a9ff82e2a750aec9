package dmi

// IPMIDevice is a decoded IPMI Device Information structure (type 38,
// DSP0134 7.39).
type IPMIDevice struct {
	InterfaceType        string // 04h
	InterfaceTypeCode    uint8  // 04h
	SpecificationVersion string // 05h, BCD "major.minor"
	I2CTargetAddress     uint8  // 06h
	NVStorageAddress     uint8  // 07h; 0xFF none
	// BaseAddress (08h): bit 0 set means I/O space; bit 0 of the address
	// proper comes from 10h bit 4 as DSP0134 describes.
	BaseAddress uint64
	IOSpace     bool
	// RegisterSpacing names 10h bits 7:6; InterruptInfo is 10h bit 3, and
	// when set InterruptActiveHigh (bit 1) and InterruptLevelTriggered
	// (bit 0) describe the interrupt.
	RegisterSpacing                                             string
	InterruptInfo, InterruptActiveHigh, InterruptLevelTriggered bool
	Interrupt                                                   uint8 // 11h; 0 none
}

// ParseIPMIDevice decodes a type 38 structure.
func ParseIPMIDevice(s *Structure) (*IPMIDevice, error) {
	if err := need(s, 38, 0x10); err != nil {
		return nil, err
	}
	mod := s.U8(0x10)
	d := &IPMIDevice{
		InterfaceType:           IPMIInterfaceTypeName(s.U8(0x04)),
		InterfaceTypeCode:       s.U8(0x04),
		SpecificationVersion:    itoa(s.U8(0x05)>>4) + "." + itoa(s.U8(0x05)&0x0F),
		I2CTargetAddress:        s.U8(0x06) >> 1,
		NVStorageAddress:        s.U8(0x07),
		BaseAddress:             s.U64(0x08)&^1 | uint64(mod>>4)&1,
		IOSpace:                 s.U8(0x08)&1 != 0,
		Interrupt:               s.U8(0x11),
		InterruptInfo:           mod&(1<<3) != 0,
		InterruptActiveHigh:     mod&2 != 0,
		InterruptLevelTriggered: mod&1 != 0,
	}
	if s.Length > 0x10 {
		d.RegisterSpacing = IPMIRegisterSpacingName(mod >> 6)
	}
	return d, nil
}
