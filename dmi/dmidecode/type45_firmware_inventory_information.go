package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var firmwareStates = []string{"Other", "Unknown", "Disabled", "Enabled", "Absent", "Stand-by Offline",
	"Stand-by Spare", "Unavailable Offline"}

var firmwareInventoryInformation = typePrinter{title: "Firmware Inventory Information", min: 0x18, body: (*printer).firmwareInventoryInformation}

// firmwareInventoryInformation prints a type 45 structure (DSP0134 7.46)
// of 0x18 bytes or more, the fields in DSP0134's layout; shorter ones print
// only the title, as dmidecode prints them.
func (p *printer) firmwareInventoryInformation(s *dmi.Structure) {
	str := func(off int) string { return s.String(s.U8(off)) }
	p.text("Firmware Component Name", str(4))
	p.text("Firmware Version", str(5))
	p.text("Firmware ID", str(7))
	p.text("Release Date", str(9))
	p.text("Manufacturer", str(0x0A))
	p.text("Lowest Supported Firmware Version", str(0x0B))
	p.text("Image Size", memSize64(s.U64(0x0C)))
	p.flags("Characteristics", dmi.FlagNames(uint64(s.U16(0x14)), []string{"Updatable", "Write-Protect"}, 0), false)
	p.text("State", dmi.Lookup(firmwareStates, 1, int(s.U8(0x16))))
	n := int(s.U8(0x17))
	if int(s.Length) < 0x18+2*n {
		return
	}
	p.handles("Associated Components", words(s, 0x18, n))
}
