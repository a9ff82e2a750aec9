package dmidecode

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// fields gives bounded little-endian access to a formatted area; reads past
// it return zero (callers check lengths first, as dmidecode does).
type fields []byte

func (d fields) b(off int) uint8 {
	if off < len(d) {
		return d[off]
	}
	return 0
}

func (d fields) w(off int) uint16 {
	if off+2 <= len(d) {
		return binary.LittleEndian.Uint16(d[off:])
	}
	return 0
}

func (d fields) dw(off int) uint32 {
	if off+4 <= len(d) {
		return binary.LittleEndian.Uint32(d[off:])
	}
	return 0
}

func (d fields) qw(off int) uint64 {
	if off+8 <= len(d) {
		return binary.LittleEndian.Uint64(d[off:])
	}
	return 0
}

// decode prints one structure's decoded form followed by a blank line.
func (p *printer) decode(s *dmi.Structure, t *dmi.Table) {
	d := fields(s.Data())
	l := int(s.Length)
	str := func(off int) string { return s.String(d.b(off)) }
	switch s.Type {
	case 0:
		p.type0(s, d, l, str)
	case 1:
		p.type1(d, l, str)
	case 2:
		p.type2(d, l, str)
	case 3:
		p.type3(d, l, str)
	case 4:
		p.type4(s, d, l, str)
	case 5:
		p.type5(d, l)
	case 6:
		p.type6(d, l, str)
	case 7:
		p.type7(d, l, str)
	case 8:
		p.type8(d, l, str)
	case 9:
		p.type9(d, l, str)
	case 10:
		p.type10(s, d, l)
	case 11:
		p.f("OEM Strings\n")
		if l >= 5 {
			for i := 1; i <= int(d.b(4)); i++ {
				p.attr(fmt.Sprintf("String %d", i), "%s", s.String(uint8(i)))
			}
		}
	case 12:
		p.f("System Configuration Options\n")
		if l >= 5 {
			for i := 1; i <= int(d.b(4)); i++ {
				p.attr(fmt.Sprintf("Option %d", i), "%s", s.String(uint8(i)))
			}
		}
	case 13:
		p.type13(s, d, l, str)
	case 14:
		p.type14(d, l, str)
	case 15:
		p.type15(d, l)
	case 18:
		p.type18(d, l)
	case 22:
		p.type22(d, l, str)
	case 23:
		p.type23(d, l)
	case 25:
		p.type25(d, l)
	case 31:
		p.type31(d, l)
	case 33:
		p.type33(d, l)
	case 37:
		p.type37(d, fields(t.Raw[s.Offset:]), l)
	case 39:
		p.type39(d, l, str)
	case 40:
		p.type40(s.String, d, l)
	case 43:
		p.type43(d, l, str)
	case 21:
		p.type21(d, l)
	case 24:
		p.type24(d, l)
	case 26:
		p.probe("Voltage Probe", d, l, str, voltageLocations,
			func(v int16) string { return fmt.Sprintf("%.3f V", float32(v)/1000) },
			func(v uint16) string { return fmt.Sprintf("%.1f mV", float32(v)/10) })
	case 27:
		p.type27(d, l, str)
	case 28:
		p.probe("Temperature Probe", d, l, str, temperatureLocations,
			func(v int16) string { return fmt.Sprintf("%.1f deg C", float32(v)/10) },
			func(v uint16) string { return fmt.Sprintf("%.3f deg C", float32(v)/1000) })
	case 29:
		p.probe("Electrical Current Probe", d, l, str, voltageLocations,
			func(v int16) string { return fmt.Sprintf("%.3f A", float32(v)/1000) },
			func(v uint16) string { return fmt.Sprintf("%.1f mA", float32(v)/10) })
	case 30:
		p.type30(d, l, str)
	case 34:
		p.type34(d, l, str)
	case 35:
		p.type35(d, l, str)
	case 36:
		p.type36(d, l)
	case 16:
		p.type16(d, l)
	case 17:
		p.type17(d, l, str)
	case 19:
		p.type19(d, l)
	case 20:
		p.type20(d, l)
	case 32:
		p.f("System Boot Information\n")
		if l >= 0x0B {
			p.attr("Status", "%s", dmi.BootStatusName(d.b(0x0A)))
		}
	case 38:
		p.type38(d, l)
	case 41:
		p.type41(d, l, str)
	case 45:
		p.type45(s.String, d, l)
	case 126:
		p.f("Inactive\n")
	case 127:
		p.f("End Of Table\n")
	default:
		if s.Type >= 128 && p.decodeOEM(s, d, l) {
			break
		}
		if s.Type >= 128 {
			p.f("OEM-specific Type\n")
		} else {
			p.f("Unknown Type\n")
		}
		p.dumpWith(s, false)
	}
	p.f("\n")
}

// memorySize prints a size the way dmidecode does: the value is split into
// 10-bit groups (bytes, kB, MB, ...), the highest non-zero group is printed,
// combined with the next lower group when that one is non-zero too. shift
// is the unit of v (0 bytes, 1 kB, 2 MB).
func memorySize(v uint64, shift int) string {
	units := []string{"bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB"}
	var split [7]uint64
	for i := 0; i < 7; i++ {
		split[i] = (v >> (10 * i)) & 0x3FF
	}
	i := 6
	for ; i > 0; i-- {
		if split[i] != 0 {
			break
		}
	}
	var c uint64
	if i > 0 && split[i-1] != 0 {
		i--
		c = split[i] + split[i+1]<<10
	} else {
		c = split[i]
	}
	return fmt.Sprintf("%d %s", c, units[i+shift])
}

func (p *printer) type0(s *dmi.Structure, d fields, l int, str func(int) string) {
	p.f("BIOS Information\n")
	if l < 0x12 {
		return
	}
	p.attr("Vendor", "%s", str(0x04))
	p.attr("Version", "%s", str(0x05))
	p.attr("Release Date", "%s", str(0x08))
	if seg := d.w(0x06); seg != 0 {
		p.attr("Address", "0x%04X0", seg)
		code := (0x10000 - uint32(seg)) << 4
		if code&0x3FF != 0 {
			p.attr("Runtime Size", "%d bytes", code)
		} else {
			p.attr("Runtime Size", "%d kB", code>>10)
		}
	}
	if c := d.b(0x09); c != 0xFF {
		p.attr("ROM Size", "%s", memorySize(uint64(c+1)<<6, 1))
	} else {
		c2 := uint16(16)
		if l >= 0x1A {
			c2 = d.w(0x18)
		}
		unit := []string{"MB", "GB", dmi.OutOfSpec, dmi.OutOfSpec}[c2>>14]
		p.attr("ROM Size", "%d %s", c2&0x3FFF, unit)
	}
	p.listStart("Characteristics", "")
	for _, n := range dmi.BIOSCharacteristicNames(d.qw(0x0A), d.b(0x12), d.b(0x13), l >= 0x13, l >= 0x14) {
		p.item("%s", n)
	}
	if l < 0x18 {
		return
	}
	if d.b(0x14) != 0xFF && d.b(0x15) != 0xFF {
		p.attr("BIOS Revision", "%d.%d", d.b(0x14), d.b(0x15))
	}
	if d.b(0x16) != 0xFF && d.b(0x17) != 0xFF {
		p.attr("Firmware Revision", "%d.%d", d.b(0x16), d.b(0x17))
	}
}

// uuid formats a UUID field as dmidecode does.
func uuid(b []byte, ver uint32) string {
	ff, zero := true, true
	for _, c := range b[:16] {
		ff = ff && c == 0xFF
		zero = zero && c == 0
	}
	if ff {
		return "Not Present"
	}
	if zero {
		return "Not Settable"
	}
	if ver >= 0x020600 {
		return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
	}
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
}

func (p *printer) type1(d fields, l int, str func(int) string) {
	p.f("System Information\n")
	if l < 0x08 {
		return
	}
	p.attr("Manufacturer", "%s", str(0x04))
	p.attr("Product Name", "%s", str(0x05))
	p.attr("Version", "%s", str(0x06))
	p.attr("Serial Number", "%s", str(0x07))
	if l < 0x19 {
		return
	}
	p.attr("UUID", "%s", uuid(d[0x08:0x18], p.ver))
	p.attr("Wake-up Type", "%s", dmi.WakeUpTypeName(d.b(0x18)))
	if l < 0x1B {
		return
	}
	p.attr("SKU Number", "%s", str(0x19))
	p.attr("Family", "%s", str(0x1A))
}

func (p *printer) type2(d fields, l int, str func(int) string) {
	p.f("Base Board Information\n")
	if l < 0x08 {
		return
	}
	p.attr("Manufacturer", "%s", str(0x04))
	p.attr("Product Name", "%s", str(0x05))
	p.attr("Version", "%s", str(0x06))
	p.attr("Serial Number", "%s", str(0x07))
	if l < 0x09 {
		return
	}
	p.attr("Asset Tag", "%s", str(0x08))
	if l < 0x0A {
		return
	}
	if f := d.b(0x09); f&0x1F == 0 {
		p.listStart("Features", "None")
	} else {
		p.listStart("Features", "")
		for _, n := range dmi.BoardFeatureNames(f) {
			p.item("%s", n)
		}
	}
	if l < 0x0E {
		return
	}
	p.attr("Location In Chassis", "%s", str(0x0A))
	p.attr("Chassis Handle", "0x%04X", d.w(0x0B))
	p.attr("Type", "%s", dmi.BoardTypeName(d.b(0x0D)))
	if l < 0x0F {
		return
	}
	n := int(d.b(0x0E))
	if l < 0x0F+2*n {
		return
	}
	p.listStart("Contained Object Handles", fmt.Sprint(n))
	for i := 0; i < n; i++ {
		p.item("0x%04X", d.w(0x0F+2*i))
	}
}

var structureTypeNames = []string{
	"BIOS", "System", "Base Board", "Chassis", "Processor", "Memory Controller", "Memory Module", "Cache",
	"Port Connector", "System Slots", "On Board Devices", "OEM Strings", "System Configuration Options",
	"BIOS Language", "Group Associations", "System Event Log", "Physical Memory Array", "Memory Device",
	"32-bit Memory Error", "Memory Array Mapped Address", "Memory Device Mapped Address",
	"Built-in Pointing Device", "Portable Battery", "System Reset", "Hardware Security", "System Power Controls",
	"Voltage Probe", "Cooling Device", "Temperature Probe", "Electrical Current Probe", "Out-of-band Remote Access",
	"Boot Integrity Services", "System Boot", "64-bit Memory Error", "Management Device",
	"Management Device Component", "Management Device Threshold Data", "Memory Channel", "IPMI Device",
	"Power Supply", "Additional Information", "Onboard Device", "Management Controller Host Interface",
	"TPM Device", "Processor Additional Information", "Firmware Inventory", "String Property",
}

func structureTypeName(v uint8) string {
	if int(v) < len(structureTypeNames) {
		return structureTypeNames[v]
	}
	if v >= 128 {
		return "OEM-specific"
	}
	return dmi.OutOfSpec
}

func (p *printer) type3(d fields, l int, str func(int) string) {
	p.f("Chassis Information\n")
	if l < 0x09 {
		return
	}
	p.attr("Manufacturer", "%s", str(0x04))
	p.attr("Type", "%s", dmi.ChassisTypeName(d.b(0x05)))
	lock := "Not Present"
	if d.b(0x05)&0x80 != 0 {
		lock = "Present"
	}
	p.attr("Lock", "%s", lock)
	p.attr("Version", "%s", str(0x06))
	p.attr("Serial Number", "%s", str(0x07))
	p.attr("Asset Tag", "%s", str(0x08))
	if l < 0x0D {
		return
	}
	p.attr("Boot-up State", "%s", dmi.ChassisStateName(d.b(0x09)))
	p.attr("Power Supply State", "%s", dmi.ChassisStateName(d.b(0x0A)))
	p.attr("Thermal State", "%s", dmi.ChassisStateName(d.b(0x0B)))
	p.attr("Security Status", "%s", dmi.ChassisSecurityName(d.b(0x0C)))
	if l < 0x11 {
		return
	}
	p.attr("OEM Information", "0x%08X", d.dw(0x0D))
	if l < 0x13 {
		return
	}
	if h := d.b(0x11); h == 0 {
		p.attr("Height", "Unspecified")
	} else {
		p.attr("Height", "%d U", h)
	}
	if c := d.b(0x12); c == 0 {
		p.attr("Number Of Power Cords", "Unspecified")
	} else {
		p.attr("Number Of Power Cords", "%d", c)
	}
	if l < 0x15 {
		return
	}
	n, m := int(d.b(0x13)), int(d.b(0x14))
	if l < 0x15+n*m {
		return
	}
	p.listStart("Contained Elements", fmt.Sprint(n))
	if m >= 3 {
		for i := 0; i < n; i++ {
			e := d[0x15+i*m:]
			var ty string
			if e[0]&0x80 != 0 {
				ty = structureTypeName(e[0] & 0x7F)
			} else {
				ty = dmi.BoardTypeName(e[0] & 0x7F)
			}
			if e[1] == e[2] {
				p.item("%s (%d)", ty, e[1])
			} else {
				p.item("%s (%d-%d)", ty, e[1], e[2])
			}
		}
	}
	if l < 0x16+n*m {
		return
	}
	p.attr("SKU Number", "%s", str(0x15+n*m))
}

func (p *printer) type16(d fields, l int) {
	p.f("Physical Memory Array\n")
	if l < 0x0F {
		return
	}
	p.attr("Location", "%s", dmi.MemoryArrayLocationName(d.b(0x04)))
	p.attr("Use", "%s", dmi.MemoryArrayUseName(d.b(0x05)))
	p.attr("Error Correction Type", "%s", dmi.MemoryErrorCorrectionName(d.b(0x06)))
	if c := d.dw(0x07); c == 0x80000000 {
		if l < 0x17 {
			p.attr("Maximum Capacity", "Unknown")
		} else {
			p.attr("Maximum Capacity", "%s", memorySize(d.qw(0x0F), 0))
		}
	} else {
		p.attr("Maximum Capacity", "%s", memorySize(uint64(c), 1))
	}
	p.errorHandle(d.w(0x0B))
	p.attr("Number Of Devices", "%d", d.w(0x0D))
}

func (p *printer) errorHandle(h uint16) {
	switch h {
	case 0xFFFE:
		p.attr("Error Information Handle", "Not Provided")
	case 0xFFFF:
		p.attr("Error Information Handle", "No Error")
	default:
		p.attr("Error Information Handle", "0x%04X", h)
	}
}

func width(v uint16) string {
	if v == 0xFFFF || v == 0 {
		return "Unknown"
	}
	return fmt.Sprintf("%d bits", v)
}

func speedMTs(c1 uint16, c2 uint32) string {
	if c1 == 0xFFFF {
		if c2 == 0 {
			return "Unknown"
		}
		return fmt.Sprintf("%d MT/s", c2)
	}
	if c1 == 0 {
		return "Unknown"
	}
	return fmt.Sprintf("%d MT/s", c1)
}

func voltage(v uint16) string {
	if v == 0 {
		return "Unknown"
	}
	f := float64(v) / 1000
	if v%100 != 0 {
		return strings.TrimRight(fmt.Sprintf("%g", float32(f)), " ") + " V"
	}
	return fmt.Sprintf("%.1f V", f)
}

func memSize64(v uint64) string {
	switch v {
	case 0xFFFFFFFFFFFFFFFF:
		return "Unknown"
	case 0:
		return "None"
	}
	return memorySize(v, 0)
}

func (p *printer) type17(d fields, l int, str func(int) string) {
	p.f("Memory Device\n")
	if l < 0x15 {
		return
	}
	p.attr("Array Handle", "0x%04X", d.w(0x04))
	p.errorHandle(d.w(0x06))
	p.attr("Total Width", "%s", width(d.w(0x08)))
	p.attr("Data Width", "%s", width(d.w(0x0A)))
	size := d.w(0x0C)
	switch {
	case l >= 0x20 && size == 0x7FFF:
		c := d.dw(0x1C) & 0x7FFFFFFF
		switch {
		case c&0x3FF != 0:
			p.attr("Size", "%d MB", c)
		case c&0xFFC00 != 0:
			p.attr("Size", "%d GB", c>>10)
		default:
			p.attr("Size", "%d TB", c>>20)
		}
	case size == 0:
		p.attr("Size", "No Module Installed")
	case size == 0xFFFF:
		p.attr("Size", "Unknown")
	default:
		v := uint64(size & 0x7FFF)
		if size&0x8000 == 0 {
			v <<= 10
		}
		p.attr("Size", "%s", memorySize(v, 1))
	}
	p.attr("Form Factor", "%s", dmi.MemoryFormFactorName(d.b(0x0E)))
	switch set := d.b(0x0F); set {
	case 0:
		p.attr("Set", "None")
	case 0xFF:
		p.attr("Set", "Unknown")
	default:
		p.attr("Set", "%d", set)
	}
	p.attr("Locator", "%s", str(0x10))
	p.attr("Bank Locator", "%s", str(0x11))
	p.attr("Type", "%s", dmi.MemoryTypeName(d.b(0x12)))
	if td := dmi.MemoryTypeDetailNames(d.w(0x13)); len(td) == 0 {
		p.attr("Type Detail", "None")
	} else {
		p.attr("Type Detail", "%s", strings.Join(td, " "))
	}
	if l < 0x17 {
		return
	}
	if size == 0 {
		return
	}
	var x1, x2 uint32
	if l >= 0x5C {
		x1, x2 = d.dw(0x54), d.dw(0x58)
	}
	p.attr("Speed", "%s", speedMTs(d.w(0x15), x1))
	if l < 0x1B {
		return
	}
	p.attr("Manufacturer", "%s", str(0x17))
	p.attr("Serial Number", "%s", str(0x18))
	p.attr("Asset Tag", "%s", str(0x19))
	p.attr("Part Number", "%s", str(0x1A))
	if l < 0x1C {
		return
	}
	if r := d.b(0x1B) & 0x0F; r == 0 {
		p.attr("Rank", "Unknown")
	} else {
		p.attr("Rank", "%d", r)
	}
	if l < 0x22 {
		return
	}
	p.attr("Configured Memory Speed", "%s", speedMTs(d.w(0x20), x2))
	if l < 0x28 {
		return
	}
	p.attr("Minimum Voltage", "%s", voltage(d.w(0x22)))
	p.attr("Maximum Voltage", "%s", voltage(d.w(0x24)))
	p.attr("Configured Voltage", "%s", voltage(d.w(0x26)))
	if l < 0x34 {
		return
	}
	p.attr("Memory Technology", "%s", dmi.MemoryTechnologyName(d.b(0x28)))
	if om := dmi.MemoryOperatingModeNames(d.w(0x29)); len(om) == 0 {
		p.attr("Memory Operating Mode Capability", "None")
	} else {
		p.attr("Memory Operating Mode Capability", "%s", strings.Join(om, " "))
	}
	p.attr("Firmware Version", "%s", str(0x2B))
	manuf := func(name string, c uint16) {
		if c == 0 {
			p.attr(name, "Unknown")
		} else {
			p.attr(name, "Bank %d, Hex 0x%02X", (c&0x7F)+1, c>>8)
		}
	}
	prod := func(name string, c uint16) {
		if c == 0 {
			p.attr(name, "Unknown")
		} else {
			p.attr(name, "0x%04X", c)
		}
	}
	manuf("Module Manufacturer ID", d.w(0x2C))
	prod("Module Product ID", d.w(0x2E))
	manuf("Memory Subsystem Controller Manufacturer ID", d.w(0x30))
	prod("Memory Subsystem Controller Product ID", d.w(0x32))
	if l < 0x3C {
		return
	}
	p.attr("Non-Volatile Size", "%s", memSize64(d.qw(0x34)))
	if l < 0x44 {
		return
	}
	p.attr("Volatile Size", "%s", memSize64(d.qw(0x3C)))
	if l < 0x4C {
		return
	}
	p.attr("Cache Size", "%s", memSize64(d.qw(0x44)))
	if l < 0x54 {
		return
	}
	p.attr("Logical Size", "%s", memSize64(d.qw(0x4C)))
}

func (p *printer) type19(d fields, l int) {
	p.f("Memory Array Mapped Address\n")
	if l < 0x0F {
		return
	}
	if l >= 0x1F && d.dw(0x04) == 0xFFFFFFFF {
		start, end := d.qw(0x0F), d.qw(0x17)
		p.attr("Starting Address", "0x%016X", start)
		p.attr("Ending Address", "0x%016X", end)
		if start == end {
			p.attr("Range Size", "Invalid")
		} else {
			p.attr("Range Size", "%s", memorySize(end-start+1, 0))
		}
	} else {
		s, e := d.dw(0x04), d.dw(0x08)
		p.attr("Starting Address", "0x%08X%03X", s>>2, (s&3)<<10)
		p.attr("Ending Address", "0x%08X%03X", e>>2, ((e&3)<<10)+0x3FF)
		if sz := e - s + 1; sz == 0 {
			p.attr("Range Size", "Invalid")
		} else {
			p.attr("Range Size", "%s", memorySize(uint64(sz), 1))
		}
	}
	p.attr("Physical Array Handle", "0x%04X", d.w(0x0C))
	p.attr("Partition Width", "%d", d.b(0x0E))
}
