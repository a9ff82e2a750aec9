package dmidecode

import (
	"fmt"

	"github.com/bootinfo/bootinfo/dmi"
)

// Voltage (type 26, DSP0134 7.27), temperature (type 28, 7.29) and
// electrical current (type 29, 7.30) probes share a layout; only their
// locations and units differ.

var probeStatuses = []string{"Other", "Unknown", "OK", "Non-critical", "Critical", "Non-recoverable"}

var voltageLocations = []string{"Other", "Unknown", "Processor", "Disk", "Peripheral Bay", "System Management Module",
	"Motherboard", "Memory Module", "Processor Module", "Power Unit", "Add-in Card"}

var temperatureLocations = append(voltageLocations[:len(voltageLocations):len(voltageLocations)],
	"Front Panel Board", "Back Panel Board", "Power System Board", "Drive Back Plane")

// probeStatus names the status in bits 7:5 of the byte at off (types 26 to
// 29).
func probeStatus(off int) func([]byte, *dmi.Structure) []byte {
	return named(off, func(v uint8) string { return dmi.Lookup(probeStatuses, 1, int(v>>5)) })
}

// probeFields returns the field table of a probe type: locations name bits
// 4:0 of byte 05h, value formats readings (signed, in units of 1/scale of
// unit) and resolution the resolution (in units of 1/resScale of resUnit).
func probeFields(locations []string, scale float32, prec int, unit string, resScale float32, resPrec int, resUnit string) []field {
	value := func(b []byte, v uint16) []byte { return fmt.Appendf(b, "%.*f %s", prec, float32(int16(v))/scale, unit) }
	return []field{
		{"Description", 0, str(0x04)},
		{"Location", 0, named(0x05, func(v uint8) string { return dmi.Lookup(locations, 1, int(v&0x1F)) })},
		{"Status", 0, probeStatus(0x05)},
		{"Maximum Value", 0, word(0x06, 0x8000, value)},
		{"Minimum Value", 0, word(0x08, 0x8000, value)},
		{"Resolution", 0, word(0x0A, 0x8000, func(b []byte, v uint16) []byte {
			return fmt.Appendf(b, "%.*f %s", resPrec, float32(v)/resScale, resUnit)
		})},
		{"Tolerance", 0, word(0x0C, 0x8000, value)},
		{"Accuracy", 0, word(0x0E, 0x8000, func(b []byte, v uint16) []byte { return fmt.Appendf(b, "%.2f%%", float32(v)/100) })},
		{"OEM-specific Information", 0, hex32(0x10)},
		{"Nominal Value", 0x16, word(0x14, 0x8000, value)},
	}
}

// voltageProbe, temperatureProbe and electricalCurrentProbe print types 26,
// 28 and 29.
var (
	voltageProbe           = typePrinter{title: "Voltage Probe", min: 0x14, fields: probeFields(voltageLocations, 1000, 3, "V", 10, 1, "mV")}
	temperatureProbe       = typePrinter{title: "Temperature Probe", min: 0x14, fields: probeFields(temperatureLocations, 10, 1, "deg C", 1000, 3, "deg C")}
	electricalCurrentProbe = typePrinter{title: "Electrical Current Probe", min: 0x14, fields: probeFields(voltageLocations, 1000, 3, "A", 10, 1, "mA")}
)
