package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var bootOptions = []string{"", "Operating System", "System Utilities", "Do Not Reboot"}

// systemResetFields are the watchdog fields of a type 23 structure.
var systemResetFields = []field{
	{"Boot Option", 0, named(0x04, func(v uint8) string { return dmi.Lookup(bootOptions, 0, int(v>>1&3)) })},
	{"Boot Option On Limit", 0, named(0x04, func(v uint8) string { return dmi.Lookup(bootOptions, 0, int(v>>3&3)) })},
	{"Reset Count", 0, word(0x05, 0xFFFF, unit(""))},
	{"Reset Limit", 0, word(0x07, 0xFFFF, unit(""))},
	{"Timer Interval", 0, word(0x09, 0xFFFF, unit(" min"))},
	{"Timeout", 0, word(0x0B, 0xFFFF, unit(" min"))},
}

var systemReset = typePrinter{title: "System Reset", min: 0x0D, body: (*printer).systemReset}

// systemReset prints a type 23 structure (DSP0134 7.24).
func (p *printer) systemReset(s *dmi.Structure) {
	c := s.U8(4)
	p.text("Status", enabled(c&1 != 0))
	if c&(1<<5) == 0 {
		p.text("Watchdog Timer", "Not Present")
		return
	}
	p.text("Watchdog Timer", "Present")
	p.fields(s, systemResetFields)
}
