package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var tpmCharacteristics = []string{"Family configurable via firmware update",
	"Family configurable via platform software support", "Family configurable via OEM proprietary mechanism"}

var tpmDevice = typePrinter{title: "TPM Device", min: 0x1B, body: (*printer).tpmDevice}

// tpmDevice prints a type 43 structure (DSP0134 7.44).
func (p *printer) tpmDevice(s *dmi.Structure) {
	var vid []byte
	for i := 0; i < 4 && s.U8(4+i) != 0; i++ {
		c := s.U8(4 + i)
		if c < 32 || c >= 127 {
			c = '.'
		}
		vid = append(vid, c)
	}
	p.attr("Vendor ID", "%s", vid)
	p.attr("Specification Version", "%d.%d", s.U8(8), s.U8(9))
	switch s.U8(8) {
	case 1:
		p.attr("Firmware Revision", "%d.%d", s.U8(0x0C), s.U8(0x0D))
	case 2:
		p.attr("Firmware Revision", "%d.%d", s.U32(0x0A)>>16, s.U32(0x0A)&0xFFFF)
	}
	p.text("Description", s.String(s.U8(0x12)))
	if ch := s.U64(0x13); ch&(1<<2) != 0 {
		p.list("Characteristics", []string{"TPM Device characteristics not supported"})
	} else {
		p.list("Characteristics", dmi.FlagNames(ch, tpmCharacteristics, 3))
	}
	if s.Length < 0x1F {
		return
	}
	p.attr("OEM-specific Information", "0x%08X", s.U32(0x1B))
}
