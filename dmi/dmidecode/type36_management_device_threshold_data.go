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
var managementDeviceThresholdData = typePrinter{title: "Management Device Threshold Data", min: 0x10, fields: sequence(0x04, 2, threshold,
	"Lower Non-critical Threshold", "Upper Non-critical Threshold", "Lower Critical Threshold",
	"Upper Critical Threshold", "Lower Non-recoverable Threshold", "Upper Non-recoverable Threshold")}
