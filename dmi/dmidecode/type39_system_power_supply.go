package dmidecode

import (
	"slices"

	"github.com/bootinfo/bootinfo/dmi"
)

var powerSupplyStatuses = []string{"Other", "Unknown", "OK", "Non-critical", "Critical"}

var powerSupplyTypes = []string{"Other", "Unknown", "Linear", "Switching", "Battery", "UPS", "Converter", "Regulator"}

var powerSupplyRanges = []string{"Other", "Unknown", "Manual", "Auto-switch", "Wide Range", "N/A"}

// characteristic names bits shift and up (mask wide) of the power supply
// characteristics word (0Eh) from names, whose first entry is value 1.
func characteristic(names []string, shift, mask uint16) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		return append(b, dmi.Lookup(names, 1, int(s.U16(0x0E)>>shift&mask))...)
	}
}

// yesNo words bit of the characteristics word (0Eh) as "Yes" or "No",
// or the other way round with invert.
func yesNo(bit uint16, invert bool) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		if (s.U16(0x0E)&bit != 0) != invert {
			return append(b, "Yes"...)
		}
		return append(b, "No"...)
	}
}

// systemPowerSupplyFields print a type 39 structure (DSP0134 7.40).
var systemPowerSupplyFields = slices.Concat(sequence(0x05, 1, str,
	"Location", "Name", "Manufacturer", "Serial Number", "Asset Tag", "Model Part Number", "Revision"), []field{
	{"Max Power Capacity", 0, word(0x0C, 0x8000, unit(" W"))},
	{"Status", 0, func(b []byte, s *dmi.Structure) []byte {
		if c := s.U16(0x0E); c&2 != 0 {
			return append(append(b, "Present, "...), dmi.Lookup(powerSupplyStatuses, 1, int(c>>7&7))...)
		}
		return append(b, "Not Present"...)
	}},
	{"Type", 0, characteristic(powerSupplyTypes, 10, 0x0F)},
	{"Input Voltage Range Switching", 0, characteristic(powerSupplyRanges, 3, 0x0F)},
	{"Plugged", 0, yesNo(4, true)},
	{"Hot Replaceable", 0, yesNo(1, false)},
	{"Input Voltage Probe Handle", 0x16, handle(0x10, true)},
	{"Cooling Device Handle", 0x16, handle(0x12, true)},
	{"Input Current Probe Handle", 0x16, handle(0x14, true)},
})

var systemPowerSupply = typePrinter{title: "System Power Supply", min: 0x10, body: (*printer).systemPowerSupply}

// systemPowerSupply prints a type 39 structure: the power unit group, when
// there is one, then its fields.
func (p *printer) systemPowerSupply(s *dmi.Structure) {
	if g := s.U8(4); g != 0 {
		p.attr("Power Unit Group", "%d", g)
	}
	p.fields(s, systemPowerSupplyFields)
}
