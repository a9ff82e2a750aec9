package dmidecode

import (
	"fmt"

	"github.com/bootinfo/bootinfo/dmi"
)

var coolingDeviceTypes = []string{"Other", "Unknown", "Fan", "Centrifugal Blower", "Chip Fan", "Cabinet Fan",
	"Power Supply Fan", "Heat Pipe", "Integrated Refrigeration"}

var coolingDeviceTypes10 = []string{"Active Cooling", "Passive Cooling"}

func coolingDeviceType(v uint8) string {
	if t := int(v & 0x1F); t >= 0x10 {
		return dmi.Lookup(coolingDeviceTypes10, 0x10, t)
	}
	return dmi.Lookup(coolingDeviceTypes, 1, int(v&0x1F))
}

// coolingDevice prints type 27 structures (DSP0134 7.28).
var coolingDevice = typePrinter{title: "Cooling Device", min: 0x0C, fields: []field{
	{"Temperature Probe Handle", 0, handle(0x04, true)},
	{"Type", 0, named(0x06, coolingDeviceType)},
	{"Status", 0, probeStatus(0x06)},
	{"Cooling Unit Group", 0, func(b []byte, s *dmi.Structure) []byte {
		if g := s.U8(0x07); g != 0 {
			return fmt.Appendf(b, "%d", g)
		}
		return b
	}},
	{"OEM-specific Information", 0, hex32(0x08)},
	{"Nominal Speed", 0x0E, func(b []byte, s *dmi.Structure) []byte {
		if v := s.U16(0x0C); v != 0x8000 {
			return fmt.Appendf(b, "%d rpm", v)
		}
		return append(b, "Unknown Or Non-rotating"...)
	}},
	{"Description", 0x0F, str(0x0E)},
}}
