package dmidecode

import (
	"strconv"

	"github.com/bootinfo/bootinfo/dmi"
)

var memoryDeviceMappedAddress = typePrinter{title: "Memory Device Mapped Address", min: 0x13, body: (*printer).memoryDeviceMappedAddress}

// memoryDeviceMappedAddress prints a type 20 structure (DSP0134 7.21).
func (p *printer) memoryDeviceMappedAddress(s *dmi.Structure) {
	if s.Length >= 0x23 && s.U32(0x04) == 0xFFFFFFFF {
		p.addressRange(true, s.U64(0x13), s.U64(0x1B))
	} else {
		p.addressRange(false, uint64(s.U32(0x04)), uint64(s.U32(0x08)))
	}
	p.fields(s, memoryDeviceMappedAddressFields)
}

// position formats a partition row or interleave position byte: 0xFF is
// unknown, and 0 what zero says (nothing, for the interleave fields).
func position(off int, zero string) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		switch v := s.U8(off); v {
		case 0:
			return append(b, zero...)
		case 0xFF:
			return append(b, "Unknown"...)
		default:
			return strconv.AppendUint(b, uint64(v), 10)
		}
	}
}

var memoryDeviceMappedAddressFields = []field{
	{"Physical Device Handle", 0, handle(0x0C, false)},
	{"Memory Array Mapped Address Handle", 0, handle(0x0E, false)},
	{"Partition Row Position", 0, position(0x10, dmi.OutOfSpec)},
	{"Interleave Position", 0, position(0x11, "")},
	{"Interleaved Data Depth", 0, position(0x12, "")},
}
