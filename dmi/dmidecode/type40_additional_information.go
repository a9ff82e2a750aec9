package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var additionalInformation = typePrinter{min: 0x0B, body: (*printer).additionalInformation}

// additionalInformation prints a type 40 structure (DSP0134 7.41): each
// entry gets its own title.
func (p *printer) additionalInformation(s *dmi.Structure) {
	l := int(s.Length)
	n := int(s.U8(4))
	off := 5
	for i := 0; i < n; i++ {
		p.f("Additional Information %d\n", i+1)
		if l < off+1 {
			break
		}
		el := int(s.U8(off))
		if el < 5 || l < off+el {
			break
		}
		p.attr("Referenced Handle", "0x%04x", s.U16(off+1))
		p.attr("Referenced Offset", "0x%02x", s.U8(off+3))
		p.text("String", s.String(s.U8(off+4)))
		switch el - 5 {
		case 1:
			p.attr("Value", "0x%02x", s.U8(off+5))
		case 2:
			p.attr("Value", "0x%04x", s.U16(off+5))
		case 4:
			p.attr("Value", "0x%08x", s.U32(off+5))
		default:
			p.text("Value", "Unexpected size")
		}
		off += el
	}
}
