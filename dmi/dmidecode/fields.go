package dmidecode

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// A field is one "Name: value" line of a regular type: a value decoded from
// a fixed offset of the formatted area and formatted.
type field struct {
	name string
	// since is the formatted area length a structure needs to hold the
	// field; printing stops at the first field a structure is too short
	// for, as dmidecode's does. 0 means the type's minimum.
	since int
	// value appends the field's text to b; appending nothing omits the
	// line (dmidecode prints some fields only when they are set).
	value func(b []byte, s *dmi.Structure) []byte
}

// fields prints fs in order, up to the first one s is too short for.
func (p *printer) fields(s *dmi.Structure, fs []field) {
	for _, f := range fs {
		if int(s.Length) < f.since {
			return
		}
		b := f.value(p.buf[:0], s)
		if len(b) > 0 && p.secret(f.name) {
			b = append(b[:0], Withheld...)
		}
		if len(b) > 0 {
			p.w.WriteString("\t")
			p.w.WriteString(f.name)
			p.w.WriteString(": ")
			p.w.Write(b)
			p.w.WriteString("\n")
		}
		p.buf = b
	}
}

// sequence returns fields named names whose values are at offsets first,
// first+stride, ..., each formatted by format.
func sequence(first, stride int, format func(off int) func([]byte, *dmi.Structure) []byte, names ...string) []field {
	fs := make([]field, len(names))
	for i, n := range names {
		fs[i] = field{n, 0, format(first + i*stride)}
	}
	return fs
}

// str formats the string whose number is at off.
func str(off int) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte { return append(b, s.String(s.U8(off))...) }
}

// named formats the byte at off with name.
func named(off int, name func(uint8) string) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte { return append(b, name(s.U8(off))...) }
}

// enum names the byte at off from names, whose first entry is value base.
func enum(off int, names []string, base int) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte { return append(b, dmi.Lookup(names, base, int(s.U8(off)))...) }
}

// decimal formats the byte at off in decimal.
func decimal(off int) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte { return strconv.AppendUint(b, uint64(s.U8(off)), 10) }
}

// handle formats the word at off as dmidecode prints handles, "0x%04X";
// with optional set, 0xFFFF (no handle) omits the line.
func handle(off int, optional bool) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		h := s.U16(off)
		if optional && h == 0xFFFF {
			return b
		}
		return fmt.Appendf(b, "0x%04X", h)
	}
}

// hex32 formats the double word at off as "0x%08X".
func hex32(off int) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte { return fmt.Appendf(b, "0x%08X", s.U32(off)) }
}

// word formats the word at off with format, or as "Unknown" when it holds
// unknown.
func word(off int, unknown uint16, format func([]byte, uint16) []byte) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		if v := s.U16(off); v != unknown {
			return format(b, v)
		}
		return append(b, "Unknown"...)
	}
}

// unit formats a value in decimal followed by suffix.
func unit(suffix string) func([]byte, uint16) []byte {
	return func(b []byte, v uint16) []byte { return append(strconv.AppendUint(b, uint64(v), 10), suffix...) }
}

// flag words the bits mask of the byte at off: set when any is set,
// otherwise clear.
func flag(off int, mask uint8, set, clear string) func([]byte, *dmi.Structure) []byte {
	return func(b []byte, s *dmi.Structure) []byte {
		if s.U8(off)&mask != 0 {
			return append(b, set...)
		}
		return append(b, clear...)
	}
}

// enabledBit words bit of the byte at off as enabled or disabled.
func enabledBit(off int, bit uint) func([]byte, *dmi.Structure) []byte {
	return flag(off, 1<<bit, "Enabled", "Disabled")
}

// enabled words a flag as dmidecode does.
func enabled(b bool) string {
	if b {
		return "Enabled"
	}
	return "Disabled"
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

// memSize64 formats a 64-bit size in bytes, all ones meaning unknown.
func memSize64(v uint64) string {
	switch v {
	case 0xFFFFFFFFFFFFFFFF:
		return "Unknown"
	case 0:
		return "None"
	}
	return memorySize(v, 0)
}

// errorHandle prints a memory error information handle.
func (p *printer) errorHandle(h uint16) {
	switch h {
	case 0xFFFE:
		p.text("Error Information Handle", "Not Provided")
	case 0xFFFF:
		p.text("Error Information Handle", "No Error")
	default:
		p.attr("Error Information Handle", "0x%04X", h)
	}
}

// addressRange prints a memory range as types 19 and 20 do: extended ranges
// are byte addresses, the others KiB addresses (the end inclusive).
func (p *printer) addressRange(extended bool, start, end uint64) {
	if extended {
		p.attr("Starting Address", "0x%016X", start)
		p.attr("Ending Address", "0x%016X", end)
		if start == end {
			p.text("Range Size", "Invalid")
		} else {
			p.text("Range Size", memorySize(end-start+1, 0))
		}
		return
	}
	s, e := uint32(start), uint32(end)
	p.attr("Starting Address", "0x%08X%03X", s>>2, (s&3)<<10)
	p.attr("Ending Address", "0x%08X%03X", e>>2, ((e&3)<<10)+0x3FF)
	if sz := e - s + 1; sz == 0 {
		p.text("Range Size", "Invalid")
	} else {
		p.text("Range Size", memorySize(uint64(sz), 1))
	}
}

// orUnknown formats v with format, or as "Unknown" when it is 0, which
// most SMBIOS numbers use for unknown.
func orUnknown[T uint8 | uint16 | uint32](v T, format string) string {
	if v == 0 {
		return "Unknown"
	}
	return fmt.Sprintf(format, v)
}

// moduleSpeed formats a speed in nanoseconds.
func moduleSpeed(v uint8) string { return orUnknown(v, "%d ns") }

// processorVoltage formats a type 4 voltage byte (also type 5's module
// voltage): bit 7 set, the voltage in tenths of a volt; clear, the
// supported legacy voltages.
func processorVoltage(c uint8) string {
	if c&0x80 != 0 {
		return fmt.Sprintf("%.1f V", float32(c&0x7F)/10)
	}
	if c&7 == 0 {
		return "Unknown"
	}
	return strings.Join(dmi.FlagNames(uint64(c), []string{"5.0 V", "3.3 V", "2.9 V"}, 0), " ")
}

// product prints the four strings types 1 and 2 start with.
func (p *printer) product(v dmi.Product) {
	p.text("Manufacturer", v.Manufacturer)
	p.text("Product Name", v.ProductName)
	p.text("Version", v.Version)
	p.text("Serial Number", v.SerialNumber)
}

// part prints the three strings types 4 and 17 identify a part with.
func (p *printer) part(v dmi.Part) {
	p.text("Serial Number", v.SerialNumber)
	p.text("Asset Tag", v.AssetTag)
	p.text("Part Number", v.PartNumber)
}

// noBusAddress is the all-ones PCI address dmidecode does not print.
const noBusAddress = "ffff:ff:1f.7"

// numbered prints strings as "prefix N: string", N from 1.
func (p *printer) numbered(prefix string, strs []string) {
	for i, s := range strs {
		p.text(prefix+" "+strconv.Itoa(i+1), s)
	}
}

// words reads n words from off.
func words(s *dmi.Structure, off, n int) []uint16 {
	w := make([]uint16, n)
	for i := range w {
		w[i] = s.U16(off + 2*i)
	}
	return w
}

// viewBody adapts a printer of one of package dmi's typed views to a type
// body: the structure is decoded by parse with its strings in dmidecode's
// form; one too short for the view prints only its title, as dmidecode
// does.
func viewBody[V any](parse func(*dmi.Structure) (*V, error), print func(*printer, *dmi.Structure, *V)) func(*printer, *dmi.Structure) {
	return func(p *printer, s *dmi.Structure) {
		d := s.DmidecodeStrings()
		if v, err := parse(&d); err == nil {
			print(p, s, v)
		}
	}
}
