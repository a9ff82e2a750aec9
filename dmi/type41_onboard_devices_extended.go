package dmi

// OnboardDevice is a decoded Onboard Devices Extended Information structure
// (type 41, DSP0134 7.42).
type OnboardDevice struct {
	ReferenceDesignation string // 04h
	Type                 string // 05h bits 6:0
	Enabled              bool   // 05h bit 7
	TypeInstance         uint8  // 06h
	// BusAddress is "segment:bus:device.function" (07h, 09h, 0Ah).
	BusAddress string
}

// ParseOnboardDevice decodes a type 41 structure.
func ParseOnboardDevice(s *Structure) (*OnboardDevice, error) {
	if err := need(s, 41, 0x0B); err != nil {
		return nil, err
	}
	return &OnboardDevice{
		ReferenceDesignation: s.str(0x04),
		Type:                 OnboardDeviceTypeName(s.U8(0x05)),
		Enabled:              s.U8(0x05)&0x80 != 0,
		TypeInstance:         s.U8(0x06),
		BusAddress:           pciAddress(s.U16(0x07), s.U8(0x09), s.U8(0x0A)),
	}, nil
}
