package dmidecode

import (
	"fmt"
	"slices"

	"github.com/bootinfo/bootinfo/dmi"
)

// errorAddress64 formats a 64-bit error address at off.
func errorAddress64(off int) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		if v := s.U64(off); v != 0x8000000000000000 {
			return fmt.Appendf(b, "0x%08X%08X", uint32(v>>32), uint32(v))
		}
		return append(b, "Unknown"...)
	}
}

// memoryError64Information prints type 33 structures (DSP0134 7.34).
var memoryError64Information = typePrinter{title: "64-bit Memory Error Information", min: 0x1F, fields: slices.Concat(memoryErrorFields, []field{
	{"Memory Array Address", 0, errorAddress64(0x0B)},
	{"Device Address", 0, errorAddress64(0x13)},
	{"Resolution", 0, errorAddress32(0x1B, 0x80000000)},
})}
