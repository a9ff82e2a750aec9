package dmidecode

import (
	"fmt"
	"strings"
)

var eventLogMethods = []string{
	"Indexed I/O, one 8-bit index port, one 8-bit data port",
	"Indexed I/O, two 8-bit index ports, one 8-bit data port",
	"Indexed I/O, one 16-bit index port, one 8-bit data port",
	"Memory-mapped physical 32-bit address",
	"General-purpose non-volatile data functions",
}

var eventLogDescriptors = []string{
	"", "Single-bit ECC memory error", "Multi-bit ECC memory error", "Parity memory error", "Bus timeout",
	"I/O channel block", "Software NMI", "POST memory resize", "POST error", "PCI parity error",
	"PCI system error", "CPU failure", "EISA failsafe timer timeout", "Correctable memory log disabled",
	"Logging disabled", "", "System limit exceeded", "Asynchronous hardware timer expired",
	"System configuration information", "Hard disk information", "System reconfigured",
	"Uncorrectable CPU-complex error", "Log area reset/cleared", "System boot",
}

var eventLogFormats = []string{"None", "Handle", "Multiple-event", "Multiple-event handle", "POST results bitmap",
	"System management", "Multiple-event system management"}

func oemOr(tbl []string, v uint8) string {
	if v >= 0x80 {
		return "OEM-specific"
	}
	return name(tbl, 0, int(v))
}

// type15 is 7.16 System Event Log.
func (p *printer) type15(d fields, l int) {
	p.f("System Event Log\n")
	if l < 0x14 {
		return
	}
	p.attr("Area Length", "%d bytes", d.w(4))
	p.attr("Header Start Offset", "0x%04X", d.w(6))
	if hl := int(d.w(8)) - int(d.w(6)); hl != 0 {
		s := ""
		if hl > 1 {
			s = "s"
		}
		p.attr("Header Length", "%d byte%s", uint32(hl), s)
	}
	p.attr("Data Start Offset", "0x%04X", d.w(8))
	m := d.b(0x0A)
	p.attr("Access Method", "%s", oemOr(eventLogMethods, m))
	switch m {
	case 0, 1, 2:
		p.attr("Access Address", "Index 0x%04X, Data 0x%04X", d.w(0x10), d.w(0x12))
	case 3:
		p.attr("Access Address", "0x%08X", d.dw(0x10))
	case 4:
		p.attr("Access Address", "0x%04X", d.w(0x10))
	default:
		p.attr("Access Address", "Unknown")
	}
	st := d.b(0x0B)
	p.attr("Status", "%s, %s", []string{"Invalid", "Valid"}[st&1], []string{"Not Full", "Full"}[st>>1&1])
	p.attr("Change Token", "0x%08X", d.dw(0x0C))
	if l < 0x17 {
		return
	}
	p.attr("Header Format", "%s", oemOr([]string{"No Header", "Type 1"}, d.b(0x14)))
	n, sz := int(d.b(0x15)), int(d.b(0x16))
	p.attr("Supported Log Type Descriptors", "%d", n)
	if l < 0x17+n*sz || sz < 2 {
		return
	}
	for i := 0; i < n; i++ {
		desc := oemOr(eventLogDescriptors, d.b(0x17+i*sz))
		if d.b(0x17+i*sz) == 0xFF {
			desc = "End of log"
		}
		p.attr(fmt.Sprintf("Descriptor %d", i+1), "%s", desc)
		p.attr(fmt.Sprintf("Data Format %d", i+1), "%s", oemOr(eventLogFormats, d.b(0x17+i*sz+1)))
	}
}

// type22 is 7.23 Portable Battery.
func (p *printer) type22(d fields, l int, str func(int) string) {
	p.f("Portable Battery\n")
	if l < 0x10 {
		return
	}
	p.attr("Location", "%s", str(4))
	p.attr("Manufacturer", "%s", str(5))
	if d.b(6) != 0 || l < 0x1A {
		p.attr("Manufacture Date", "%s", str(6))
	}
	if d.b(7) != 0 || l < 0x1A {
		p.attr("Serial Number", "%s", str(7))
	}
	p.attr("Name", "%s", str(8))
	if d.b(9) != 2 || l < 0x1A {
		p.attr("Chemistry", "%s", name([]string{"Other", "Unknown", "Lead Acid", "Nickel Cadmium",
			"Nickel metal hydride", "Lithium Ion", "Zinc Air", "Lithium Polymer"}, 1, int(d.b(9))))
	}
	mult := uint32(1)
	if l >= 0x16 {
		mult = uint32(d.b(0x15))
	}
	if c := d.w(0x0A); c == 0 {
		p.attr("Design Capacity", "Unknown")
	} else {
		p.attr("Design Capacity", "%d mWh", uint32(c)*mult)
	}
	if v := d.w(0x0C); v == 0 {
		p.attr("Design Voltage", "Unknown")
	} else {
		p.attr("Design Voltage", "%d mV", v)
	}
	p.attr("SBDS Version", "%s", str(0x0E))
	if e := d.b(0x0F); e == 0xFF {
		p.attr("Maximum Error", "Unknown")
	} else {
		p.attr("Maximum Error", "%d%%", e)
	}
	if l < 0x1A {
		return
	}
	if d.b(7) == 0 {
		p.attr("SBDS Serial Number", "%04X", d.w(0x10))
	}
	if d.b(6) == 0 {
		dt := d.w(0x12)
		p.attr("SBDS Manufacture Date", "%d-%02d-%02d", 1980+int(dt>>9), dt>>5&0x0F, dt&0x1F)
	}
	if d.b(9) == 2 {
		p.attr("SBDS Chemistry", "%s", str(0x14))
	}
	p.attr("OEM-specific Information", "0x%08X", d.dw(0x16))
}

// type23 is 7.24 System Reset.
func (p *printer) type23(d fields, l int) {
	p.f("System Reset\n")
	if l < 0x0D {
		return
	}
	c := d.b(4)
	en := "Disabled"
	if c&1 != 0 {
		en = "Enabled"
	}
	p.attr("Status", "%s", en)
	if c&(1<<5) == 0 {
		p.attr("Watchdog Timer", "Not Present")
		return
	}
	p.attr("Watchdog Timer", "Present")
	opt := []string{"", "Operating System", "System Utilities", "Do Not Reboot"}
	p.attr("Boot Option", "%s", name(opt, 0, int(c>>1&3)))
	p.attr("Boot Option On Limit", "%s", name(opt, 0, int(c>>3&3)))
	for _, f := range []struct {
		n    string
		off  int
		unit string
	}{{"Reset Count", 5, ""}, {"Reset Limit", 7, ""}, {"Timer Interval", 9, " min"}, {"Timeout", 0x0B, " min"}} {
		if v := d.w(f.off); v == 0xFFFF {
			p.attr(f.n, "Unknown")
		} else {
			p.attr(f.n, "%d%s", v, f.unit)
		}
	}
}

func bcdOK(v, lo, hi uint8) bool {
	return v <= 0x99 && v&0x0F <= 9 && v >= lo && v <= hi
}

// type25 is 7.26 System Power Controls.
func (p *printer) type25(d fields, l int) {
	p.f("System Power Controls\n")
	if l < 0x09 {
		return
	}
	var sb strings.Builder
	parts := []struct {
		sep    string
		lo, hi uint8
	}{{"", 1, 0x12}, {"-", 1, 0x31}, {" ", 0, 0x23}, {":", 0, 0x59}, {":", 0, 0x59}}
	for i, pt := range parts {
		v := d.b(4 + i)
		sb.WriteString(pt.sep)
		if bcdOK(v, pt.lo, pt.hi) {
			fmt.Fprintf(&sb, "%02X", v)
		} else {
			sb.WriteString("*")
		}
	}
	p.attr("Next Scheduled Power-on", "%s", sb.String())
}

// type31 is 7.32 Boot Integrity Services Entry Point.
func (p *printer) type31(d fields, l int) {
	p.f("Boot Integrity Services Entry Point\n")
	if l < 0x1C {
		return
	}
	var sum byte
	for _, c := range d[:l] {
		sum += c
	}
	ok := "Invalid"
	if sum == 0 {
		ok = "OK"
	}
	p.attr("Checksum", "%s", ok)
	p.attr("16-bit Entry Point Address", "%04X:%04X", d.dw(8)>>16, d.dw(8)&0xFFFF)
	p.attr("32-bit Entry Point Address", "0x%08X", d.dw(0x0C))
}

// type33 is 7.34 64-bit Memory Error Information.
func (p *printer) type33(d fields, l int) {
	p.f("64-bit Memory Error Information\n")
	if l < 0x1F {
		return
	}
	p.memoryErrorCommon(d)
	for _, f := range []struct {
		n   string
		off int
	}{{"Memory Array Address", 0x0B}, {"Device Address", 0x13}} {
		if v := d.qw(f.off); v == 0x8000000000000000 {
			p.attr(f.n, "Unknown")
		} else {
			p.attr(f.n, "0x%08X%08X", uint32(v>>32), uint32(v))
		}
	}
	if v := d.dw(0x1B); v == 0x80000000 {
		p.attr("Resolution", "Unknown")
	} else {
		p.attr("Resolution", "0x%08X", v)
	}
}

// type39 is 7.40 System Power Supply.
func (p *printer) type39(d fields, l int, str func(int) string) {
	p.f("System Power Supply\n")
	if l < 0x10 {
		return
	}
	if g := d.b(4); g != 0 {
		p.attr("Power Unit Group", "%d", g)
	}
	for i, n := range []string{"Location", "Name", "Manufacturer", "Serial Number", "Asset Tag", "Model Part Number", "Revision"} {
		p.attr(n, "%s", str(5+i))
	}
	if w := d.w(0x0C); w == 0x8000 {
		p.attr("Max Power Capacity", "Unknown")
	} else {
		p.attr("Max Power Capacity", "%d W", w)
	}
	c := d.w(0x0E)
	if c&2 != 0 {
		p.attr("Status", "Present, %s", name([]string{"Other", "Unknown", "OK", "Non-critical", "Critical"}, 1, int(c>>7&7)))
	} else {
		p.attr("Status", "Not Present")
	}
	p.attr("Type", "%s", name([]string{"Other", "Unknown", "Linear", "Switching", "Battery", "UPS", "Converter", "Regulator"}, 1, int(c>>10&0x0F)))
	p.attr("Input Voltage Range Switching", "%s", name([]string{"Other", "Unknown", "Manual", "Auto-switch", "Wide Range", "N/A"}, 1, int(c>>3&0x0F)))
	yes := map[bool]string{true: "Yes", false: "No"}
	p.attr("Plugged", "%s", yes[c&4 == 0])
	p.attr("Hot Replaceable", "%s", yes[c&1 != 0])
	if l < 0x16 {
		return
	}
	for _, f := range []struct {
		n   string
		off int
	}{{"Input Voltage Probe Handle", 0x10}, {"Cooling Device Handle", 0x12}, {"Input Current Probe Handle", 0x14}} {
		if h := d.w(f.off); h != 0xFFFF {
			p.attr(f.n, "0x%04X", h)
		}
	}
}

// type43 is 7.44 TPM Device.
func (p *printer) type43(d fields, l int, str func(int) string) {
	p.f("TPM Device\n")
	if l < 0x1B {
		return
	}
	var vid []byte
	for i := 0; i < 4 && d.b(4+i) != 0; i++ {
		c := d.b(4 + i)
		if c < 32 || c >= 127 {
			c = '.'
		}
		vid = append(vid, c)
	}
	p.attr("Vendor ID", "%s", vid)
	p.attr("Specification Version", "%d.%d", d.b(8), d.b(9))
	switch d.b(8) {
	case 1:
		p.attr("Firmware Revision", "%d.%d", d.b(0x0C), d.b(0x0D))
	case 2:
		p.attr("Firmware Revision", "%d.%d", d.dw(0x0A)>>16, d.dw(0x0A)&0xFFFF)
	}
	p.attr("Description", "%s", str(0x12))
	ch := d.qw(0x13)
	p.listStart("Characteristics", "")
	if ch&(1<<2) != 0 {
		p.item("TPM Device characteristics not supported")
	} else {
		for i, n := range []string{"Family configurable via firmware update", "Family configurable via platform software support",
			"Family configurable via OEM proprietary mechanism"} {
			if ch&(1<<(i+3)) != 0 {
				p.item("%s", n)
			}
		}
	}
	if l < 0x1F {
		return
	}
	p.attr("OEM-specific Information", "0x%08X", d.dw(0x1B))
}

// type37 is 7.38 Memory Channel. dmidecode 3.4 numbers the devices from 1
// but indexes the load/handle triplets with that number, so device i shows
// the triplet of device i+1 (the last one reads past the formatted area);
// raw runs from the structure to the table end so the same bytes (for the
// last device, the next structure's first byte) are shown.
func (p *printer) type37(d, raw fields, l int) {
	p.f("Memory Channel\n")
	if l < 0x07 {
		return
	}
	p.attr("Type", "%s", name([]string{"Other", "Unknown", "RamBus", "SyncLink"}, 1, int(d.b(4))))
	p.attr("Maximal Load", "%d", d.b(5))
	n := int(d.b(6))
	p.attr("Devices", "%d", n)
	if l < 0x07+3*n {
		return
	}
	for i := 1; i <= n; i++ {
		p.attr(fmt.Sprintf("Device %d Load", i), "%d", raw.b(7+3*i))
		p.attr(fmt.Sprintf("Device %d Handle", i), "0x%04X", raw.w(8+3*i))
	}
}

// type40 is 7.41 Additional Information: each entry gets its own title.
func (p *printer) type40(s func(uint8) string, d fields, l int) {
	if l < 0x0B {
		return
	}
	n := int(d.b(4))
	off := 5
	for i := 0; i < n; i++ {
		p.f("Additional Information %d\n", i+1)
		if l < off+1 {
			break
		}
		el := int(d.b(off))
		if el < 5 || l < off+el {
			break
		}
		p.attr("Referenced Handle", "0x%04x", d.w(off+1))
		p.attr("Referenced Offset", "0x%02x", d.b(off+3))
		p.attr("String", "%s", s(d.b(off+4)))
		switch el - 5 {
		case 1:
			p.attr("Value", "0x%02x", d.b(off+5))
		case 2:
			p.attr("Value", "0x%04x", d.w(off+5))
		case 4:
			p.attr("Value", "0x%08x", d.dw(off+5))
		default:
			p.attr("Value", "Unexpected size")
		}
		off += el
	}
}

// type45 is 7.46 Firmware Inventory Information. Only structures shorter
// than 0x18 bytes occur in the corpus (dmidecode prints just the title);
// the longer form follows DSP0134's layout and has not been compared with
// dmidecode.
func (p *printer) type45(s func(uint8) string, d fields, l int) {
	p.f("Firmware Inventory Information\n")
	if l < 0x18 {
		return
	}
	p.attr("Firmware Component Name", "%s", s(d.b(4)))
	p.attr("Firmware Version", "%s", s(d.b(5)))
	p.attr("Firmware ID", "%s", s(d.b(7)))
	p.attr("Release Date", "%s", s(d.b(9)))
	p.attr("Manufacturer", "%s", s(d.b(0x0A)))
	p.attr("Lowest Supported Firmware Version", "%s", s(d.b(0x0B)))
	p.attr("Image Size", "%s", memSize64(d.qw(0x0C)))
	p.flagList("Characteristics", uint32(d.w(0x14)), []string{"Updatable", "Write-Protect"}, 0, false)
	p.attr("State", "%s", name([]string{"Other", "Unknown", "Disabled", "Enabled", "Absent", "Stand-by Offline",
		"Stand-by Spare", "Unavailable Offline"}, 1, int(d.b(0x16))))
	n := int(d.b(0x17))
	if l < 0x18+2*n {
		return
	}
	p.listStart("Associated Components", fmt.Sprint(n))
	for i := 0; i < n; i++ {
		p.item("0x%04X", d.w(0x18+2*i))
	}
}
