package dmi

import "fmt"

// SystemSlot is a decoded System Slots structure (type 9, DSP0134 7.10).
type SystemSlot struct {
	Designation  string // 04h
	Type         string // 05h, as named by SlotTypeName
	BusWidth     string // 06h, as named by SlotBusWidthName
	CurrentUsage string // 07h
	Length       string // 08h
	ID           uint16 // 09h
	// BusAddress is "segment:bus:device.function" (0Dh, 0Fh, 10h; 2.6+),
	// "" when absent or all-ones.
	BusAddress string
}

// ParseSystemSlot decodes a type 9 structure.
func ParseSystemSlot(s *Structure) (*SystemSlot, error) {
	if err := need(s, 9, 0x0C); err != nil {
		return nil, err
	}
	r := s.Raw
	sl := &SystemSlot{
		Designation:  s.str(0x04),
		Type:         SlotTypeName(r[0x05]),
		BusWidth:     SlotBusWidthName(r[0x06]),
		CurrentUsage: SlotUsageName(r[0x07]),
		Length:       SlotLengthName(r[0x08]),
	}
	sl.ID, _ = s.u16(0x09)
	if s.Length >= 0x11 {
		seg, _ := s.u16(0x0D)
		bus, df := r[0x0F], r[0x10]
		if !(seg == 0xFFFF && bus == 0xFF && df == 0xFF) {
			sl.BusAddress = fmt.Sprintf("%04x:%02x:%02x.%x", seg, bus, df>>3, df&7)
		}
	}
	return sl, nil
}
