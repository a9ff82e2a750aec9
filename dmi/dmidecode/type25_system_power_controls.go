package dmidecode

import (
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

func bcdOK(v, lo, hi uint8) bool {
	return v <= 0x99 && v&0x0F <= 9 && v >= lo && v <= hi
}

var systemPowerControls = typePrinter{title: "System Power Controls", min: 0x09, body: (*printer).systemPowerControls}

// systemPowerControls prints a type 25 structure (DSP0134 7.26): the next
// power-on as BCD month, day, hour, minute and second, "*" for an invalid
// part.
func (p *printer) systemPowerControls(s *dmi.Structure) {
	var sb strings.Builder
	parts := []struct {
		sep    string
		lo, hi uint8
	}{{"", 1, 0x12}, {"-", 1, 0x31}, {" ", 0, 0x23}, {":", 0, 0x59}, {":", 0, 0x59}}
	for i, pt := range parts {
		v := s.U8(4 + i)
		sb.WriteString(pt.sep)
		if bcdOK(v, pt.lo, pt.hi) {
			fmt.Fprintf(&sb, "%02X", v)
		} else {
			sb.WriteString("*")
		}
	}
	p.text("Next Scheduled Power-on", sb.String())
}
