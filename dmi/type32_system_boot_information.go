package dmi

// SystemBoot is a decoded System Boot Information structure (type 32,
// DSP0134 7.33).
type SystemBoot struct {
	// StatusCode is the first byte of the boot status field (0Ah).
	StatusCode uint8
	// Status names it, as BootStatusName does.
	Status string
}

// ParseSystemBoot decodes a type 32 structure.
func ParseSystemBoot(s *Structure) (*SystemBoot, error) {
	if err := need(s, 32, 0x0B); err != nil {
		return nil, err
	}
	return &SystemBoot{StatusCode: s.U8(0x0A), Status: BootStatusName(s.U8(0x0A))}, nil
}
