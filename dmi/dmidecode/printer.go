package dmidecode

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// printer accumulates dmidecode-formatted text.
type printer struct {
	w   *bufio.Writer
	t   *dmi.Table
	ver uint32
	// vendor comes from the last type 1 structure walked.
	vendor vendor
	// buf is scratch space for field values.
	buf []byte
	// withhold prints Withheld as the value of the withheldFields.
	withhold bool
}

// secret reports whether the field name's value is withheld.
func (p *printer) secret(name string) bool { return p.withhold && withheldFields[name] }

func (p *printer) f(format string, a ...any) { fmt.Fprintf(p.w, format, a...) }

// attr prints "\tname: value" with value formatted.
func (p *printer) attr(name, format string, a ...any) {
	if p.secret(name) {
		p.text(name, Withheld)
		return
	}
	p.w.WriteString("\t" + name + ": ")
	fmt.Fprintf(p.w, format, a...)
	p.w.WriteString("\n")
}

// text prints "\tname: value".
func (p *printer) text(name, value string) {
	if p.secret(name) {
		value = Withheld
	}
	p.w.WriteString("\t")
	p.w.WriteString(name)
	p.w.WriteString(": ")
	p.w.WriteString(value)
	p.w.WriteString("\n")
}

// listStart prints "\tname:" with an optional value.
func (p *printer) listStart(name string, value string) {
	if value != "" {
		p.text(name, value)
		return
	}
	p.w.WriteString("\t" + name + ":\n")
}

func (p *printer) item(format string, a ...any) {
	p.w.WriteString("\t\t")
	fmt.Fprintf(p.w, format, a...)
	p.w.WriteString("\n")
}

// list prints "\tname:" and one line per item.
func (p *printer) list(name string, items []string) {
	p.listStart(name, "")
	for _, it := range items {
		p.w.WriteString("\t\t")
		p.w.WriteString(it)
		p.w.WriteString("\n")
	}
}

// flags prints the names of a flag field: "None" when there are none,
// otherwise on one line separated by spaces (flat) or as a list.
func (p *printer) flags(name string, names []string, flat bool) {
	switch {
	case len(names) == 0:
		p.text(name, "None")
	case flat:
		p.text(name, strings.Join(names, " "))
	default:
		p.list(name, names)
	}
}

// handles prints a counted list of handles, as types 2, 5 and 45 do.
func (p *printer) handles(name string, hs []uint16) {
	p.listStart(name, fmt.Sprint(len(hs)))
	for _, h := range hs {
		p.item("0x%04X", h)
	}
}

func hexRow(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02X", c)
	}
	return sb.String()
}

// dumpWith prints a structure's "Header and Data:" and "Strings:" blocks:
// with hexStrings each string's bytes (NUL included) in hex before its text,
// as dmidecode -u does; without, only the text, as dmidecode prints types it
// cannot decode.
func (p *printer) dumpWith(s *dmi.Structure, hexStrings bool) {
	d := s.Data()
	p.listStart("Header and Data", "")
	for off := 0; off < len(d); off += 16 {
		p.item("%s", hexRow(d[off:min(off+16, len(d))]))
	}
	r := s.Raw
	l := int(s.Length)
	if l+1 < len(r) && (r[l] != 0 || r[l+1] != 0) {
		p.listStart("Strings", "")
		for i := 1; i < 256; i++ {
			str, ok := s.RawString(uint8(i))
			if !ok {
				break
			}
			if hexStrings {
				sb := append([]byte(str), 0)
				for off := 0; off < len(sb); off += 16 {
					p.item("%s", hexRow(sb[off:min(off+16, len(sb))]))
				}
			}
			p.item("%s", s.String(uint8(i)))
		}
	}
}

// dump prints a structure as dmidecode -u does.
func (p *printer) dump(s *dmi.Structure) { p.dumpWith(s, true) }
