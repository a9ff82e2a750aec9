package dmidecode

import (
	"encoding/binary"
	"fmt"

	"github.com/bootinfo/bootinfo/dmi"
)

var memoryChannel = typePrinter{title: "Memory Channel", min: 0x07, body: (*printer).memoryChannel}

// memoryChannel prints a type 37 structure (DSP0134 7.38). dmidecode 3.4
// numbers the devices from 1 but indexes the load/handle triplets with that
// number, so device i shows the triplet of device i+1; the last one reads
// past the formatted area, into the strings or the next structure, and the
// same bytes are shown here.
func (p *printer) memoryChannel(s *dmi.Structure) {
	p.text("Type", dmi.Lookup([]string{"Other", "Unknown", "RamBus", "SyncLink"}, 1, int(s.U8(4))))
	p.attr("Maximal Load", "%d", s.U8(5))
	n := int(s.U8(6))
	p.attr("Devices", "%d", n)
	if int(s.Length) < 0x07+3*n {
		return
	}
	rest := p.t.Raw[s.Offset:]
	for i := 1; i <= n; i++ {
		var load uint8
		var h uint16
		if off := 7 + 3*i; off < len(rest) {
			load = rest[off]
		}
		if off := 8 + 3*i; off+2 <= len(rest) {
			h = binary.LittleEndian.Uint16(rest[off:])
		}
		p.attr(fmt.Sprintf("Device %d Load", i), "%d", load)
		p.attr(fmt.Sprintf("Device %d Handle", i), "0x%04X", h)
	}
}
