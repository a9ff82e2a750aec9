package dmidecode

import (
	"fmt"
	"slices"

	"github.com/bootinfo/bootinfo/dmi"
)

var memoryErrorTypes = []string{"Other", "Unknown", "OK", "Bad Read", "Parity Error", "Single-bit Error",
	"Double-bit Error", "Multi-bit Error", "Nibble Error", "Checksum Error", "CRC Error",
	"Corrected Single-bit Error", "Corrected Error", "Uncorrectable Error"}

// memoryErrorFields are the fields types 18 and 33 share.
var memoryErrorFields = []field{
	{"Type", 0, enum(0x04, memoryErrorTypes, 1)},
	{"Granularity", 0, enum(0x05, []string{"Other", "Unknown", "Device Level", "Memory Partition Level"}, 1)},
	{"Operation", 0, enum(0x06, []string{"Other", "Unknown", "Read", "Write", "Partial Write"}, 1)},
	{"Vendor Syndrome", 0, errorAddress32(0x07, 0)},
}

// errorAddress32 formats a 32-bit error address or syndrome at off, which
// reads unknown as "Unknown".
func errorAddress32(off int, unknown uint32) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		if v := s.U32(off); v != unknown {
			return fmt.Appendf(b, "0x%08X", v)
		}
		return append(b, "Unknown"...)
	}
}

// memoryError32Information prints type 18 structures (DSP0134 7.19).
var memoryError32Information = typePrinter{title: "32-bit Memory Error Information", min: 0x17, fields: slices.Concat(memoryErrorFields, []field{
	{"Memory Array Address", 0, errorAddress32(0x0B, 0x80000000)},
	{"Device Address", 0, errorAddress32(0x0F, 0x80000000)},
	{"Resolution", 0, errorAddress32(0x13, 0x80000000)},
})}
