package dmidecode

import (
	"fmt"

	"github.com/bootinfo/bootinfo/dmi"
)

var groupAssociations = typePrinter{title: "Group Associations", min: 0x05, body: (*printer).groupAssociations}

// groupAssociations prints a type 14 structure (DSP0134 7.15).
func (p *printer) groupAssociations(s *dmi.Structure) {
	p.text("Name", s.String(s.U8(4)))
	n := (int(s.Length) - 5) / 3
	p.listStart("Items", fmt.Sprint(n))
	for i := 0; i < n; i++ {
		p.item("0x%04X (%s)", s.U16(5+3*i+1), dmi.StructureTypeName(s.U8(5+3*i)))
	}
}
