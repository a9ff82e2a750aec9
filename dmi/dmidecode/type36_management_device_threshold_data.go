package dmidecode

import (
	"strconv"

	"github.com/bootinfo/bootinfo/dmi"
)

// threshold formats the signed threshold at off; 0x8000 (not available)
// omits the line.
func threshold(off int) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		if v := s.U16(off); v != 0x8000 {
			return strconv.AppendInt(b, int64(int16(v)), 10)
		}
		return b
	}
}

// managementDeviceThresholdData prints type 36 structures (DSP0134 7.37).
var managementDeviceThresholdData = typePrinter{title: "Management Device Threshold Data", min: 0x10, fields: []field{
	{"Lower Non-critical Threshold", 0, threshold(0x04)},
	{"Upper Non-critical Threshold", 0, threshold(0x06)},
	{"Lower Critical Threshold", 0, threshold(0x08)},
	{"Upper Critical Threshold", 0, threshold(0x0A)},
	{"Lower Non-recoverable Threshold", 0, threshold(0x0C)},
	{"Upper Non-recoverable Threshold", 0, threshold(0x0E)},
}}
