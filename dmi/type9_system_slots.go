package dmi

import "fmt"

// SystemSlot is a decoded System Slots structure (type 9, DSP0134 7.10).
type SystemSlot struct {
	Designation  string // 04h
	Type         string // 05h, as named by SlotTypeName
	TypeCode     uint8  // 05h
	BusWidth     string // 06h, as named by SlotBusWidthName
	CurrentUsage string // 07h
	Length       string // 08h
	ID           uint16 // 09h
	// CharacteristicsUnknown is 0Bh bit 0; Characteristics names the other
	// characteristics set in 0Bh and 0Ch (2.1+).
	CharacteristicsUnknown bool
	Characteristics        []string
	// BusAddress is "segment:bus:device.function" (0Dh, 0Fh, 10h; 2.6+),
	// "" when absent or all-ones.
	BusAddress   string
	DataBusWidth uint8 // 11h (3.2+)
	// PeerGroupCount is 12h; PeerGroups are its records from 13h, nil
	// when the structure does not hold them all.
	PeerGroupCount uint8
	PeerGroups     []SlotPeer
}

// SlotPeer is a device sharing a slot (a type 9 peer grouping record).
type SlotPeer struct {
	BusAddress string // "segment:bus:device.function"
	Width      uint8  // electrical width, in lanes
}

// ParseSystemSlot decodes a type 9 structure.
func ParseSystemSlot(s *Structure) (*SystemSlot, error) {
	if err := need(s, 9, 0x0C); err != nil {
		return nil, err
	}
	sl := &SystemSlot{
		Designation:            s.str(0x04),
		Type:                   SlotTypeName(s.U8(0x05)),
		TypeCode:               s.U8(0x05),
		BusWidth:               SlotBusWidthName(s.U8(0x06)),
		CurrentUsage:           SlotUsageName(s.U8(0x07)),
		Length:                 SlotLengthName(s.U8(0x08)),
		ID:                     s.U16(0x09),
		CharacteristicsUnknown: s.U8(0x0B)&1 != 0,
		Characteristics:        SlotCharacteristicNames(s.U8(0x0B), s.U8(0x0C)),
		DataBusWidth:           s.U8(0x11),
		PeerGroupCount:         s.U8(0x12),
	}
	if s.Length >= 0x11 {
		seg, bus, df := s.U16(0x0D), s.U8(0x0F), s.U8(0x10)
		if !(seg == 0xFFFF && bus == 0xFF && df == 0xFF) {
			sl.BusAddress = pciAddress(seg, bus, df)
		}
	}
	if n := int(sl.PeerGroupCount); s.Length >= 0x13 && int(s.Length)-0x13 >= 5*n {
		sl.PeerGroups = make([]SlotPeer, n)
		for i := range sl.PeerGroups {
			e := 0x13 + 5*i
			sl.PeerGroups[i] = SlotPeer{BusAddress: pciAddress(s.U16(e), s.U8(e+2), s.U8(e+3)), Width: s.U8(e + 4)}
		}
	}
	return sl, nil
}

// pciAddress formats a PCI segment, bus and device/function byte as
// "segment:bus:device.function".
func pciAddress(seg uint16, bus, devfn uint8) string {
	return fmt.Sprintf("%04x:%02x:%02x.%x", seg, bus, devfn>>3, devfn&7)
}
