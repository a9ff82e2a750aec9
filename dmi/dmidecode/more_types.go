package dmidecode

import (
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// name looks v up in a table whose first entry is for value base.
func name(tbl []string, base int, v int) string {
	i := v - base
	if i < 0 || i >= len(tbl) || tbl[i] == "" {
		return dmi.OutOfSpec
	}
	return tbl[i]
}

func (p *printer) flagList(attr string, v uint32, names []string, first int, flat bool) {
	var set []string
	for i, n := range names {
		if v&(1<<(i+first)) != 0 {
			set = append(set, n)
		}
	}
	switch {
	case len(set) == 0:
		p.attr(attr, "None")
	case flat:
		p.attr(attr, "%s", strings.Join(set, " "))
	default:
		p.listStart(attr, "")
		for _, n := range set {
			p.item("%s", n)
		}
	}
}

var moduleTypes = []string{"Other", "Unknown", "Standard", "FPM", "EDO", "Parity", "ECC", "SIMM", "DIMM", "Burst EDO", "SDRAM"}

func moduleSpeed(v uint8) string {
	if v == 0 {
		return "Unknown"
	}
	return fmt.Sprintf("%d ns", v)
}

func (p *printer) moduleSize(attr string, c uint8) {
	conn := " (Single-bank Connection)"
	if c&0x80 != 0 {
		conn = " (Double-bank Connection)"
	}
	switch c & 0x7F {
	case 0x7D:
		p.attr(attr, "Not Determinable%s", conn)
	case 0x7E:
		p.attr(attr, "Disabled%s", conn)
	case 0x7F:
		p.attr(attr, "Not Installed")
	default:
		p.attr(attr, "%d MB%s", uint64(1)<<(c&0x7F), conn)
	}
}

// type5 is 7.6 Memory Controller Information.
func (p *printer) type5(d fields, l int) {
	p.f("Memory Controller Information\n")
	if l < 0x0F {
		return
	}
	ed := []string{"Other", "Unknown", "None", "8-bit Parity", "32-bit ECC", "64-bit ECC", "128-bit ECC", "CRC"}
	p.attr("Error Detecting Method", "%s", name(ed, 1, int(d.b(4))))
	ec := []string{"Other", "Unknown", "None", "Single-bit Error Correcting", "Double-bit Error Correcting", "Error Scrubbing"}
	ecCaps := func(attr string, v uint8) {
		if v&0x3F == 0 {
			p.attr(attr, "None")
			return
		}
		p.flagList(attr, uint32(v), ec, 0, false)
	}
	ecCaps("Error Correcting Capabilities", d.b(5))
	il := []string{"Other", "Unknown", "One-way Interleave", "Two-way Interleave", "Four-way Interleave", "Eight-way Interleave", "Sixteen-way Interleave"}
	p.attr("Supported Interleave", "%s", name(il, 1, int(d.b(6))))
	p.attr("Current Interleave", "%s", name(il, 1, int(d.b(7))))
	p.attr("Maximum Memory Module Size", "%d MB", uint64(1)<<(d.b(8)&63))
	p.attr("Maximum Total Memory Size", "%d MB", uint64(d.b(0x0E))*(uint64(1)<<(d.b(8)&63)))
	p.flagList("Supported Speeds", uint32(d.w(9)), []string{"Other", "Unknown", "70 ns", "60 ns", "50 ns"}, 0, false)
	p.flagList("Supported Memory Types", uint32(d.w(0x0B)), moduleTypes, 0, false)
	p.attr("Memory Module Voltage", "%s", processorVoltage(d.b(0x0D)))
	n := int(d.b(0x0E))
	if l < 0x0F+2*n {
		return
	}
	p.listStart("Associated Memory Slots", fmt.Sprint(n))
	for i := 0; i < n; i++ {
		p.item("0x%04X", d.w(0x0F+2*i))
	}
	if l < 0x10+2*n {
		return
	}
	ecCaps("Enabled Error Correcting Capabilities", d.b(0x0F+2*n))
}

// type6 is 7.7 Memory Module Information.
func (p *printer) type6(d fields, l int, str func(int) string) {
	p.f("Memory Module Information\n")
	if l < 0x0C {
		return
	}
	p.attr("Socket Designation", "%s", str(4))
	switch c := d.b(5); {
	case c == 0xFF:
		p.attr("Bank Connections", "None")
	case c&0xF0 == 0xF0:
		p.attr("Bank Connections", "%d", c&0x0F)
	case c&0x0F == 0x0F:
		p.attr("Bank Connections", "%d", c>>4)
	default:
		p.attr("Bank Connections", "%d %d", c>>4, c&0x0F)
	}
	p.attr("Current Speed", "%s", moduleSpeed(d.b(6)))
	p.flagList("Type", uint32(d.w(7)), moduleTypes, 0, true)
	p.moduleSize("Installed Size", d.b(9))
	p.moduleSize("Enabled Size", d.b(0x0A))
	e := d.b(0x0B)
	if e&4 != 0 {
		p.attr("Error Status", "See Event Log")
		return
	}
	if e&3 == 0 {
		p.attr("Error Status", "OK")
	}
	if e&1 != 0 {
		p.attr("Error Status", "Uncorrectable Errors")
	}
	if e&2 != 0 {
		p.attr("Error Status", "Correctable Errors")
	}
}

func cacheSize2(c uint32) string {
	v := uint64(c)
	if c&0x80000000 != 0 {
		v = uint64(c&0x7FFFFFFF) << 6
	}
	return memorySize(v, 1)
}

var sramTypes = []string{"Other", "Unknown", "Non-Burst", "Burst", "Pipeline Burst", "Synchronous", "Asynchronous"}

// type7 is 7.8 Cache Information.
func (p *printer) type7(d fields, l int, str func(int) string) {
	p.f("Cache Information\n")
	if l < 0x0F {
		return
	}
	cfg := d.w(5)
	p.attr("Socket Designation", "%s", str(4))
	en, so := "Disabled", "Not Socketed"
	if cfg&0x80 != 0 {
		en = "Enabled"
	}
	if cfg&0x08 != 0 {
		so = "Socketed"
	}
	p.attr("Configuration", "%s, %s, Level %d", en, so, cfg&7+1)
	p.attr("Operational Mode", "%s", dmi.CacheOperationalModeName(uint8(cfg>>8)))
	p.attr("Location", "%s", dmi.CacheLocationName(uint8(cfg>>5)))
	if l >= 0x1B {
		p.attr("Installed Size", "%s", cacheSize2(d.dw(0x17)))
	} else {
		c := d.w(9)
		p.attr("Installed Size", "%s", cacheSize2(uint32(c&0x8000)<<16|uint32(c&0x7FFF)))
	}
	if l >= 0x17 {
		p.attr("Maximum Size", "%s", cacheSize2(d.dw(0x13)))
	} else {
		c := d.w(7)
		p.attr("Maximum Size", "%s", cacheSize2(uint32(c&0x8000)<<16|uint32(c&0x7FFF)))
	}
	p.flagList("Supported SRAM Types", uint32(d.w(0x0B)&0x7F), sramTypes, 0, false)
	p.flagList("Installed SRAM Type", uint32(d.w(0x0D)&0x7F), sramTypes, 0, true)
	if l < 0x13 {
		return
	}
	p.attr("Speed", "%s", moduleSpeed(d.b(0x0F)))
	p.attr("Error Correction Type", "%s", dmi.CacheErrorCorrectionName(d.b(0x10)))
	p.attr("System Type", "%s", dmi.CacheTypeName(d.b(0x11)))
	p.attr("Associativity", "%s", dmi.CacheAssociativityName(d.b(0x12)))
}

var connectorTypes = []string{
	"None", "Centronics", "Mini Centronics", "Proprietary", "DB-25 male", "DB-25 female", "DB-15 male",
	"DB-15 female", "DB-9 male", "DB-9 female", "RJ-11", "RJ-45", "50 Pin MiniSCSI", "Mini DIN", "Micro DIN",
	"PS/2", "Infrared", "HP-HIL", "Access Bus (USB)", "SSA SCSI", "Circular DIN-8 male", "Circular DIN-8 female",
	"On Board IDE", "On Board Floppy", "9 Pin Dual Inline (pin 10 cut)", "25 Pin Dual Inline (pin 26 cut)",
	"50 Pin Dual Inline", "68 Pin Dual Inline", "On Board Sound Input From CD-ROM", "Mini Centronics Type-14",
	"Mini Centronics Type-26", "Mini Jack (headphones)", "BNC", "IEEE 1394", "SAS/SATA Plug Receptacle",
	"USB Type-C Receptacle",
}

func connectorType(v uint8) string {
	switch {
	case v == 0xFF:
		return "Other"
	case v >= 0xA0:
		return name([]string{"PC-98", "PC-98 Hireso", "PC-H98", "PC-98 Note", "PC-98 Full"}, 0xA0, int(v))
	}
	return name(connectorTypes, 0, int(v))
}

var portTypes = []string{
	"None", "Parallel Port XT/AT Compatible", "Parallel Port PS/2", "Parallel Port ECP", "Parallel Port EPP",
	"Parallel Port ECP/EPP", "Serial Port XT/AT Compatible", "Serial Port 16450 Compatible",
	"Serial Port 16550 Compatible", "Serial Port 16550A Compatible", "SCSI Port", "MIDI Port", "Joystick Port",
	"Keyboard Port", "Mouse Port", "SSA SCSI", "USB", "Firewire (IEEE P1394)", "PCMCIA Type I", "PCMCIA Type II",
	"PCMCIA Type III", "Cardbus", "Access Bus Port", "SCSI II", "SCSI Wide", "PC-98", "PC-98 Hireso", "PC-H98",
	"Video Port", "Audio Port", "Modem Port", "Network Port", "SATA", "SAS", "MFDP (Multi-Function Display Port)",
	"Thunderbolt",
}

func portType(v uint8) string {
	switch {
	case v == 0xFF:
		return "Other"
	case v >= 0xA0:
		return name([]string{"8251 Compatible", "8251 FIFO Compatible"}, 0xA0, int(v))
	}
	return name(portTypes, 0, int(v))
}

// type8 is 7.9 Port Connector Information.
func (p *printer) type8(d fields, l int, str func(int) string) {
	p.f("Port Connector Information\n")
	if l < 0x09 {
		return
	}
	p.attr("Internal Reference Designator", "%s", str(4))
	p.attr("Internal Connector Type", "%s", connectorType(d.b(5)))
	p.attr("External Reference Designator", "%s", str(6))
	p.attr("External Connector Type", "%s", connectorType(d.b(7)))
	p.attr("Port Type", "%s", portType(d.b(8)))
}

func slotBusWidth(v uint8) string {
	if v == 1 || v == 2 {
		return ""
	}
	n := dmi.SlotBusWidthName(v)
	if n == dmi.OutOfSpec {
		return n
	}
	return n + " "
}

var slotChars1 = []string{"5.0 V is provided", "3.3 V is provided", "Opening is shared", "PC Card-16 is supported",
	"Cardbus is supported", "Zoom Video is supported", "Modem ring resume is supported"}
var slotChars2 = []string{"PME signal is supported", "Hot-plug devices are supported", "SMBus signal is supported",
	"PCIe slot bifurcation is supported", "Async/surprise removal is supported", "Flexbus slot, CXL 1.0 capable",
	"Flexbus slot, CXL 2.0 capable"}

// type9 is 7.10 System Slots.
func (p *printer) type9(d fields, l int, str func(int) string) {
	p.f("System Slot Information\n")
	if l < 0x0C {
		return
	}
	ty := d.b(5)
	p.attr("Designation", "%s", str(4))
	p.attr("Type", "%s%s", slotBusWidth(d.b(6)), dmi.SlotTypeName(ty))
	p.attr("Current Usage", "%s", dmi.SlotUsageName(d.b(7)))
	p.attr("Length", "%s", dmi.SlotLengthName(d.b(8)))
	switch {
	case ty == 0x04 || ty == 0x05 || ty == 0x06 || (ty >= 0x0E && ty <= 0x13) || (ty >= 0x1F && ty <= 0x23) || (ty >= 0xA5 && ty <= 0xC4):
		p.attr("ID", "%d", d.b(9))
	case ty == 0x07:
		p.attr("ID", "Adapter %d, Socket %d", d.b(9), d.b(0x0A))
	}
	c1, c2 := d.b(0x0B), uint8(0)
	if l >= 0x0D {
		c2 = d.b(0x0C)
	}
	switch {
	case c1&1 != 0:
		p.attr("Characteristics", "Unknown")
	case c1&0xFE == 0 && c2&0x7F == 0:
		p.attr("Characteristics", "None")
	default:
		p.listStart("Characteristics", "")
		for i := 1; i <= 7; i++ {
			if c1&(1<<i) != 0 {
				p.item("%s", slotChars1[i-1])
			}
		}
		for i := 0; i < len(slotChars2); i++ {
			if c2&(1<<i) != 0 {
				p.item("%s", slotChars2[i])
			}
		}
	}
	if l < 0x11 {
		return
	}
	p.busAddress(d.w(0x0D), d.b(0x0F), d.b(0x10))
	if l < 0x13 {
		return
	}
	p.attr("Data Bus Width", "%d", d.b(0x11))
	n := int(d.b(0x12))
	p.attr("Peer Devices", "%d", n)
	if l-0x13 >= n*5 {
		for i := 0; i < n; i++ {
			e := 0x13 + 5*i
			p.item("%04x:%02x:%02x.%x (Width %d)", d.w(e), d.b(e+2), d.b(e+3)>>3, d.b(e+3)&7, d.b(e+4))
		}
	}
}

func (p *printer) busAddress(seg uint16, bus, df uint8) {
	if seg == 0xFFFF && bus == 0xFF && df == 0xFF {
		return
	}
	p.attr("Bus Address", "%04x:%02x:%02x.%x", seg, bus, df>>3, df&7)
}

// type10 is 7.11 On Board Devices Information (obsolete).
func (p *printer) type10(s *dmi.Structure, d fields, l int) {
	n := (l - 4) / 2
	for i := 0; i < n; i++ {
		if n == 1 {
			p.f("On Board Device Information\n")
		} else {
			p.f("On Board Device %d Information\n", i+1)
		}
		t := d.b(4 + 2*i)
		p.attr("Type", "%s", dmi.OnboardDeviceTypeName(t))
		st := "Disabled"
		if t&0x80 != 0 {
			st = "Enabled"
		}
		p.attr("Status", "%s", st)
		p.attr("Description", "%s", s.String(d.b(5+2*i)))
	}
}

// type13 is 7.14 BIOS Language Information.
func (p *printer) type13(s *dmi.Structure, d fields, l int, str func(int) string) {
	p.f("BIOS Language Information\n")
	if l < 0x16 {
		return
	}
	if p.ver >= 0x020100 {
		f := "Long"
		if d.b(5)&1 != 0 {
			f = "Abbreviated"
		}
		p.attr("Language Description Format", "%s", f)
	}
	n := int(d.b(4))
	p.listStart("Installable Languages", fmt.Sprint(n))
	for i := 1; i <= n; i++ {
		p.item("%s", s.String(uint8(i)))
	}
	p.attr("Currently Installed Language", "%s", str(0x15))
}

// type14 is 7.15 Group Associations.
func (p *printer) type14(d fields, l int, str func(int) string) {
	p.f("Group Associations\n")
	if l < 0x05 {
		return
	}
	p.attr("Name", "%s", str(4))
	n := (l - 5) / 3
	p.listStart("Items", fmt.Sprint(n))
	for i := 0; i < n; i++ {
		p.item("0x%04X (%s)", d.w(5+3*i+1), structureTypeName(d.b(5+3*i)))
	}
}

func mappedRange(p *printer, d fields, l, extLen, extOff int) {
	if l >= extLen && d.dw(0x04) == 0xFFFFFFFF {
		start, end := d.qw(extOff), d.qw(extOff+8)
		p.attr("Starting Address", "0x%016X", start)
		p.attr("Ending Address", "0x%016X", end)
		if start == end {
			p.attr("Range Size", "Invalid")
		} else {
			p.attr("Range Size", "%s", memorySize(end-start+1, 0))
		}
		return
	}
	s, e := d.dw(0x04), d.dw(0x08)
	p.attr("Starting Address", "0x%08X%03X", s>>2, (s&3)<<10)
	p.attr("Ending Address", "0x%08X%03X", e>>2, ((e&3)<<10)+0x3FF)
	if sz := e - s + 1; sz == 0 {
		p.attr("Range Size", "Invalid")
	} else {
		p.attr("Range Size", "%s", memorySize(uint64(sz), 1))
	}
}

// type20 is 7.21 Memory Device Mapped Address.
func (p *printer) type20(d fields, l int) {
	p.f("Memory Device Mapped Address\n")
	if l < 0x13 {
		return
	}
	mappedRange(p, d, l, 0x23, 0x13)
	p.attr("Physical Device Handle", "0x%04X", d.w(0x0C))
	p.attr("Memory Array Mapped Address Handle", "0x%04X", d.w(0x0E))
	switch r := d.b(0x10); r {
	case 0:
		p.attr("Partition Row Position", "%s", dmi.OutOfSpec)
	case 0xFF:
		p.attr("Partition Row Position", "Unknown")
	default:
		p.attr("Partition Row Position", "%d", r)
	}
	for _, f := range []struct {
		n   string
		off int
	}{{"Interleave Position", 0x11}, {"Interleaved Data Depth", 0x12}} {
		switch v := d.b(f.off); v {
		case 0:
		case 0xFF:
			p.attr(f.n, "Unknown")
		default:
			p.attr(f.n, "%d", v)
		}
	}
}

// type18 is 7.19 32-bit Memory Error Information.
func (p *printer) type18(d fields, l int) {
	p.f("32-bit Memory Error Information\n")
	if l < 0x17 {
		return
	}
	p.memoryErrorCommon(d)
	addr := func(n string, v uint32) {
		if v == 0x80000000 {
			p.attr(n, "Unknown")
		} else {
			p.attr(n, "0x%08X", v)
		}
	}
	addr("Memory Array Address", d.dw(0x0B))
	addr("Device Address", d.dw(0x0F))
	addr("Resolution", d.dw(0x13))
}

func (p *printer) memoryErrorCommon(d fields) {
	types := []string{"Other", "Unknown", "OK", "Bad Read", "Parity Error", "Single-bit Error", "Double-bit Error",
		"Multi-bit Error", "Nibble Error", "Checksum Error", "CRC Error", "Corrected Single-bit Error",
		"Corrected Error", "Uncorrectable Error"}
	p.attr("Type", "%s", name(types, 1, int(d.b(4))))
	p.attr("Granularity", "%s", name([]string{"Other", "Unknown", "Device Level", "Memory Partition Level"}, 1, int(d.b(5))))
	p.attr("Operation", "%s", name([]string{"Other", "Unknown", "Read", "Write", "Partial Write"}, 1, int(d.b(6))))
	if v := d.dw(7); v == 0 {
		p.attr("Vendor Syndrome", "Unknown")
	} else {
		p.attr("Vendor Syndrome", "0x%08X", v)
	}
}

// type21 is 7.22 Built-in Pointing Device.
func (p *printer) type21(d fields, l int) {
	p.f("Built-in Pointing Device\n")
	if l < 0x07 {
		return
	}
	p.attr("Type", "%s", name([]string{"Other", "Unknown", "Mouse", "Track Ball", "Track Point", "Glide Point",
		"Touch Pad", "Touch Screen", "Optical Sensor"}, 1, int(d.b(4))))
	iface := d.b(5)
	if iface >= 0xA0 {
		p.attr("Interface", "%s", name([]string{"Bus Mouse DB-9", "Bus Mouse Micro DIN", "USB"}, 0xA0, int(iface)))
	} else {
		p.attr("Interface", "%s", name([]string{"Other", "Unknown", "Serial", "PS/2", "Infrared", "HIP-HIL",
			"Bus Mouse", "ADB (Apple Desktop Bus)"}, 1, int(iface)))
	}
	p.attr("Buttons", "%d", d.b(6))
}

// type24 is 7.25 Hardware Security.
func (p *printer) type24(d fields, l int) {
	p.f("Hardware Security\n")
	if l < 0x05 {
		return
	}
	st := []string{"Disabled", "Enabled", "Not Implemented", "Unknown"}
	v := d.b(4)
	p.attr("Power-On Password Status", "%s", st[v>>6])
	p.attr("Keyboard Password Status", "%s", st[v>>4&3])
	p.attr("Administrator Password Status", "%s", st[v>>2&3])
	p.attr("Front Panel Reset Status", "%s", st[v&3])
}

var probeStatus = []string{"Other", "Unknown", "OK", "Non-critical", "Critical", "Non-recoverable"}
var voltageLocations = []string{"Other", "Unknown", "Processor", "Disk", "Peripheral Bay", "System Management Module",
	"Motherboard", "Memory Module", "Processor Module", "Power Unit", "Add-in Card"}
var temperatureLocations = append(append([]string{}, voltageLocations...), "Front Panel Board", "Back Panel Board",
	"Power System Board", "Drive Back Plane")

// probe prints types 26, 28 and 29, which share a layout.
func (p *printer) probe(title string, d fields, l int, str func(int) string, locs []string, value func(int16) string, res func(uint16) string) {
	p.f("%s\n", title)
	if l < 0x14 {
		return
	}
	p.attr("Description", "%s", str(4))
	p.attr("Location", "%s", name(locs, 1, int(d.b(5)&0x1F)))
	p.attr("Status", "%s", name(probeStatus, 1, int(d.b(5)>>5)))
	val := func(n string, off int) {
		if v := d.w(off); v == 0x8000 {
			p.attr(n, "Unknown")
		} else {
			p.attr(n, "%s", value(int16(v)))
		}
	}
	val("Maximum Value", 6)
	val("Minimum Value", 8)
	if v := d.w(0x0A); v == 0x8000 {
		p.attr("Resolution", "Unknown")
	} else {
		p.attr("Resolution", "%s", res(v))
	}
	val("Tolerance", 0x0C)
	if v := d.w(0x0E); v == 0x8000 {
		p.attr("Accuracy", "Unknown")
	} else {
		p.attr("Accuracy", "%.2f%%", float32(v)/100)
	}
	p.attr("OEM-specific Information", "0x%08X", d.dw(0x10))
	if l < 0x16 {
		return
	}
	val("Nominal Value", 0x14)
}

// type27 is 7.28 Cooling Device.
func (p *printer) type27(d fields, l int, str func(int) string) {
	p.f("Cooling Device\n")
	if l < 0x0C {
		return
	}
	if h := d.w(4); h != 0xFFFF {
		p.attr("Temperature Probe Handle", "0x%04X", h)
	}
	t := int(d.b(6) & 0x1F)
	if t >= 0x10 {
		p.attr("Type", "%s", name([]string{"Active Cooling", "Passive Cooling"}, 0x10, t))
	} else {
		p.attr("Type", "%s", name([]string{"Other", "Unknown", "Fan", "Centrifugal Blower", "Chip Fan", "Cabinet Fan",
			"Power Supply Fan", "Heat Pipe", "Integrated Refrigeration"}, 1, t))
	}
	p.attr("Status", "%s", name(probeStatus, 1, int(d.b(6)>>5)))
	if g := d.b(7); g != 0 {
		p.attr("Cooling Unit Group", "%d", g)
	}
	p.attr("OEM-specific Information", "0x%08X", d.dw(8))
	if l < 0x0E {
		return
	}
	if v := d.w(0x0C); v == 0x8000 {
		p.attr("Nominal Speed", "Unknown Or Non-rotating")
	} else {
		p.attr("Nominal Speed", "%d rpm", v)
	}
	if l < 0x0F {
		return
	}
	p.attr("Description", "%s", str(0x0E))
}

// type30 is 7.31 Out-of-band Remote Access.
func (p *printer) type30(d fields, l int, str func(int) string) {
	p.f("Out-of-band Remote Access\n")
	if l < 0x06 {
		return
	}
	p.attr("Manufacturer Name", "%s", str(4))
	en := func(b bool) string {
		if b {
			return "Enabled"
		}
		return "Disabled"
	}
	p.attr("Inbound Connection", "%s", en(d.b(5)&1 != 0))
	p.attr("Outbound Connection", "%s", en(d.b(5)&2 != 0))
}

// type34 is 7.35 Management Device.
func (p *printer) type34(d fields, l int, str func(int) string) {
	p.f("Management Device\n")
	if l < 0x0B {
		return
	}
	p.attr("Description", "%s", str(4))
	p.attr("Type", "%s", name([]string{"Other", "Unknown", "LM75", "LM78", "LM79", "LM80", "LM81", "ADM9240",
		"DS1780", "MAX1617", "GL518SM", "W83781D", "HT82H791"}, 1, int(d.b(5))))
	p.attr("Address", "0x%08X", d.dw(6))
	p.attr("Address Type", "%s", name([]string{"Other", "Unknown", "I/O Port", "Memory", "SMBus"}, 1, int(d.b(0x0A))))
}

// type35 is 7.36 Management Device Component.
func (p *printer) type35(d fields, l int, str func(int) string) {
	p.f("Management Device Component\n")
	if l < 0x0B {
		return
	}
	p.attr("Description", "%s", str(4))
	p.attr("Management Device Handle", "0x%04X", d.w(5))
	p.attr("Component Handle", "0x%04X", d.w(7))
	if h := d.w(9); h != 0xFFFF {
		p.attr("Threshold Handle", "0x%04X", h)
	}
}

// type36 is 7.37 Management Device Threshold Data.
func (p *printer) type36(d fields, l int) {
	p.f("Management Device Threshold Data\n")
	if l < 0x10 {
		return
	}
	for i, n := range []string{"Lower Non-critical Threshold", "Upper Non-critical Threshold", "Lower Critical Threshold",
		"Upper Critical Threshold", "Lower Non-recoverable Threshold", "Upper Non-recoverable Threshold"} {
		if v := d.w(4 + 2*i); v != 0x8000 {
			p.attr(n, "%d", int16(v))
		}
	}
}

// type38 is 7.39 IPMI Device Information.
func (p *printer) type38(d fields, l int) {
	p.f("IPMI Device Information\n")
	if l < 0x10 {
		return
	}
	it := d.b(4)
	p.attr("Interface Type", "%s", dmi.IPMIInterfaceTypeName(it))
	p.attr("Specification Version", "%d.%d", d.b(5)>>4, d.b(5)&0x0F)
	p.attr("I2C Slave Address", "0x%02x", d.b(6)>>1)
	if v := d.b(7); v != 0xFF {
		p.attr("NV Storage Device Address", "%d", v)
	} else {
		p.attr("NV Storage Device", "Not Present")
	}
	var lsb uint32
	if l >= 0x11 {
		lsb = uint32(d.b(0x10)>>4) & 1
	}
	if it == 4 {
		p.attr("Base Address", "0x%02X (SMBus)", d.b(8)>>1)
	} else {
		a := d.qw(8)
		kind := "Memory-mapped"
		if a&1 != 0 {
			kind = "I/O"
		}
		p.attr("Base Address", "0x%08X%08X (%s)", uint32(a>>32), uint32(a)&^1|lsb, kind)
	}
	if l < 0x12 {
		return
	}
	if it != 4 {
		m := d.b(0x10)
		p.attr("Register Spacing", "%s", name([]string{"Successive Byte Boundaries", "32-bit Boundaries", "16-byte Boundaries"}, 0, int(m>>6)))
		if m&(1<<3) != 0 {
			pol, trig := "Active Low", "Edge"
			if m&2 != 0 {
				pol = "Active High"
			}
			if m&1 != 0 {
				trig = "Level"
			}
			p.attr("Interrupt Polarity", "%s", pol)
			p.attr("Interrupt Trigger Mode", "%s", trig)
		}
	}
	if v := d.b(0x11); v != 0 {
		p.attr("Interrupt Number", "%d", v)
	}
}

// type41 is 7.42 Onboard Devices Extended Information.
func (p *printer) type41(d fields, l int, str func(int) string) {
	p.f("Onboard Device\n")
	if l < 0x0B {
		return
	}
	p.attr("Reference Designation", "%s", str(4))
	p.attr("Type", "%s", dmi.OnboardDeviceTypeName(d.b(5)))
	st := "Disabled"
	if d.b(5)&0x80 != 0 {
		st = "Enabled"
	}
	p.attr("Status", "%s", st)
	p.attr("Type Instance", "%d", d.b(6))
	p.busAddress(d.w(7), d.b(9), d.b(0x0A))
}
