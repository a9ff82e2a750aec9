package dmi

import (
	"encoding/binary"
	"fmt"
)

// Structure is one SMBIOS structure (DSP0134 6.1): a formatted area that
// starts with a 4-byte header, followed by a set of NUL-terminated strings and
// a final NUL.
type Structure struct {
	// Type is the structure type (header byte 00h).
	Type uint8
	// DeclaredLength is the formatted area length byte (01h) as stored.
	DeclaredLength uint8
	// Length is the formatted area length used for decoding: DeclaredLength,
	// except for type 34 structures that declare 0x10 over an 0x0B-byte
	// formatted area followed by printable text, which are fixed up to 0x0B
	// as dmidecode does.
	Length uint8
	// Handle is the structure handle (02h).
	Handle uint16
	// Offset is the structure's offset in the table.
	Offset int
	// Raw is the whole structure: formatted area, strings and terminator.
	Raw []byte

	// dmidecodeStrings selects the string form of the typed views, see
	// DmidecodeStrings.
	dmidecodeStrings bool
}

// DmidecodeStrings returns a copy of s for which the typed views (ParseBIOS,
// ParseMemoryDevice, ...) hold every string field as String gives it, the
// way dmidecode prints it, instead of cleaned up for the Go API. A string
// field beyond the formatted area is "" in both forms.
func (s *Structure) DmidecodeStrings() Structure {
	c := *s
	c.dmidecodeStrings = true
	return c
}

// Data returns the formatted area (header included), Length bytes.
func (s *Structure) Data() []byte { return s.Raw[:s.Length] }

// Strings returns the structure's strings, as raw bytes, in order; string
// number n (1-based) is Strings()[n-1].
func (s *Structure) Strings() []string {
	var out []string
	b := s.Raw[s.Length:]
	for len(b) > 0 && b[0] != 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		out = append(out, string(b[:i]))
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}

// RawString returns string number n (1-based) as stored, and whether it
// exists. n == 0 means "no string" and returns false.
func (s *Structure) RawString(n uint8) (string, bool) {
	if n == 0 {
		return "", false
	}
	b := s.Raw[s.Length:]
	for ; n > 1 && len(b) > 0 && b[0] != 0; n-- {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if i == len(b) {
			return "", false
		}
		b = b[i+1:]
	}
	if len(b) == 0 || b[0] == 0 {
		return "", false
	}
	i := 0
	for i < len(b) && b[i] != 0 {
		i++
	}
	return string(b[:i]), true
}

// Not-specified and bad-index markers, as dmidecode prints them.
const (
	NotSpecified = "Not Specified"
	BadIndex     = "<BAD INDEX>"
)

// String returns string number n the way dmidecode prints it: "Not
// Specified" for n == 0, "<BAD INDEX>" for a number past the last string, and
// otherwise the string with every byte outside printable ASCII (below 0x20,
// 0x7F and above) replaced by '.'.
func (s *Structure) String(n uint8) string {
	if n == 0 {
		return NotSpecified
	}
	r, ok := s.RawString(n)
	if !ok {
		return BadIndex
	}
	return filterASCII(r)
}

func filterASCII(r string) string {
	b := []byte(r)
	for i, c := range b {
		if c < 0x20 || c >= 0x7F {
			b[i] = '.'
		}
	}
	return string(b)
}

// U8, U16, U32 and U64 read the little-endian field at offset off of the
// formatted area. A field the formatted area is too short to hold reads as
// 0: where 0 is a meaningful value, check Length first.
func (s *Structure) U8(off int) uint8 {
	if off < 0 || off+1 > int(s.Length) {
		return 0
	}
	return s.Raw[off]
}

// U16 reads a little-endian word; see U8.
func (s *Structure) U16(off int) uint16 {
	if off < 0 || off+2 > int(s.Length) {
		return 0
	}
	return binary.LittleEndian.Uint16(s.Raw[off:])
}

// U32 reads a little-endian double word; see U8.
func (s *Structure) U32(off int) uint32 {
	if off < 0 || off+4 > int(s.Length) {
		return 0
	}
	return binary.LittleEndian.Uint32(s.Raw[off:])
}

// U64 reads a little-endian quad word; see U8.
func (s *Structure) U64(off int) uint64 {
	if off < 0 || off+8 > int(s.Length) {
		return 0
	}
	return binary.LittleEndian.Uint64(s.Raw[off:])
}

// str returns the string whose number is stored at off, "" when the field is
// beyond the formatted area. In the API form (the default) the string is
// cleaned by cleanString and a number that is 0 or bad gives ""; in the
// dmidecode form it is what String returns.
func (s *Structure) str(off int) string {
	if off >= int(s.Length) {
		return ""
	}
	n := s.Raw[off]
	if s.dmidecodeStrings {
		return s.String(n)
	}
	if n == 0 {
		return ""
	}
	r, ok := s.RawString(n)
	if !ok {
		return ""
	}
	return cleanString(r)
}

// Table is a decoded SMBIOS structure table.
type Table struct {
	// EntryPoint is nil for a raw table parsed without one.
	EntryPoint *EntryPoint
	// Version is the (fixed-up) SMBIOS version the table is decoded as.
	Version Version
	// VersionFixed reports that the entry point's version was fixed up.
	VersionFixed bool
	// Structures holds every structure decoded, in table order, including
	// the end-of-table (127) record when present.
	Structures []Structure
	// Raw is the table's bytes (after clamping to the available data).
	Raw []byte
	// Warnings lists non-fatal findings (type 34 length fix-ups, structure
	// count or length mismatches).
	Warnings []string
}

// TableOptions tunes ParseTable.
type TableOptions struct {
	// Count is the structure count the entry point announces (2.x); 0 means
	// unknown (3.x).
	Count int
	// StopAtEnd stops at the first end-of-table (127) structure, as SMBIOS
	// 3.x requires.
	StopAtEnd bool
}

// ParseTable walks the structure table in b the way dmidecode 3.4 does:
//
//   - it stops after opts.Count structures when a count is known, or when
//     fewer than 4 bytes remain;
//   - a structure whose header declares a length below 4 stops the walk with
//     ErrBrokenTable (the next structure cannot be found);
//   - a structure whose strings run past the end stops it with ErrTruncated;
//   - type 34 structures declaring 0x10 bytes over printable text are fixed
//     up to 0x0B;
//   - with opts.StopAtEnd (3.x), the walk stops after the first type 127.
//
// The returned table always holds every structure decoded before a fault,
// even when err is non-nil: Linux exports tables without an end-of-table
// record, and a broken tail must not cost the valid head.
//
// digitalocean/go-smbios's Decoder is not used for this walk: it returns no
// structures at all when the table ends without a type 127 record or when any
// structure is malformed, and it does not apply dmidecode's rules above.
func ParseTable(b []byte, v Version, opts TableOptions) (*Table, error) {
	t := &Table{Version: v, Raw: b}
	off := 0
	for (opts.Count == 0 || len(t.Structures) < opts.Count) && off+4 <= len(b) {
		typ, l := b[off], b[off+1]
		handle := binary.LittleEndian.Uint16(b[off+2:])
		if l < 4 {
			return t, fmt.Errorf("%w: structure at offset %#x (handle %#04x, type %d) declares length %d", ErrBrokenTable, off, handle, typ, l)
		}
		next := off + int(l)
		for next+1 < len(b) && (b[next] != 0 || b[next+1] != 0) {
			next++
		}
		next += 2
		if next > len(b) {
			return t, fmt.Errorf("%w: structure at offset %#x (handle %#04x, type %d) runs past the table end (%d bytes)", ErrTruncated, off, handle, typ, len(b))
		}
		s := Structure{Type: typ, DeclaredLength: l, Length: l, Handle: handle, Offset: off, Raw: b[off:next:next]}
		if typ == 34 && l == 0x10 && isPrintable(b[off+0x0B:off+0x10]) {
			s.Length = 0x0B
			t.Warnings = append(t.Warnings, fmt.Sprintf("type 34 handle %#04x: invalid entry length 16, fixed up to 11", handle))
		}
		t.Structures = append(t.Structures, s)
		off = next
		if typ == 127 && opts.StopAtEnd {
			break
		}
	}
	if opts.Count != 0 && len(t.Structures) != opts.Count {
		t.Warnings = append(t.Warnings, fmt.Sprintf("wrong structure count: %d announced, %d decoded", opts.Count, len(t.Structures)))
	}
	return t, nil
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

// ParseTableWithEntryPoint parses table bytes found through ep, clamping them
// to the entry point's declared length (a shorter b is accepted: SMBIOS 3.x
// gives only a maximum size, and the kernel may truncate a table).
func ParseTableWithEntryPoint(ep *EntryPoint, table []byte) (*Table, error) {
	if uint64(len(table)) > uint64(ep.TableLength) {
		table = table[:ep.TableLength]
	}
	v, fixed := ep.Version()
	opts := TableOptions{Count: int(ep.StructureCount), StopAtEnd: ep.Kind == EntryPoint64}
	t, err := ParseTable(table, v, opts)
	t.EntryPoint = ep
	t.VersionFixed = fixed
	return t, err
}

// ParseDumpBin parses a file written by "dmidecode --dump-bin" (or
// WriteDumpBin): an entry point at offset 0 whose table address is the
// table's offset in the file (0x20).
func ParseDumpBin(b []byte) (*Table, error) {
	ep, err := ParseEntryPoint(b)
	if err != nil {
		return nil, err
	}
	if ep.TableAddress > uint64(len(b)) {
		return nil, fmt.Errorf("%w: table offset %#x beyond the %d-byte dump", ErrEntryPoint, ep.TableAddress, len(b))
	}
	return ParseTableWithEntryPoint(ep, b[ep.TableAddress:])
}

// ParseSysfs parses the kernel's export: the entry point file and the DMI
// table file (which starts at offset 0 whatever address the entry point
// states).
func ParseSysfs(entryPoint, table []byte) (*Table, error) {
	ep, err := ParseEntryPoint(entryPoint)
	if err != nil {
		return nil, err
	}
	return ParseTableWithEntryPoint(ep, table)
}

// ParseRawTable parses a table without an entry point, as the given SMBIOS
// version. The walk stops at the first end-of-table record for 3.x.
func ParseRawTable(table []byte, v Version) (*Table, error) {
	return ParseTable(table, v, TableOptions{StopAtEnd: v.Major >= 3})
}

// ByType returns the structures of type typ, in table order.
func (t *Table) ByType(typ uint8) []*Structure {
	var out []*Structure
	for i := range t.Structures {
		if t.Structures[i].Type == typ {
			out = append(out, &t.Structures[i])
		}
	}
	return out
}

// ByHandle returns the structure with handle h, or nil.
func (t *Table) ByHandle(h uint16) *Structure {
	for i := range t.Structures {
		if t.Structures[i].Handle == h {
			return &t.Structures[i]
		}
	}
	return nil
}
