package dmidecode

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bootinfo/bootinfo/dmi"
)

// Withheld is what the output shows in place of a serial number, UUID or
// asset tag when Options.WithholdSerials is set, in the style of
// dmidecode's own "<BAD INDEX>" and "<OUT OF SPEC>".
const Withheld = "<WITHHELD>"

// ErrWithheld is returned for output that cannot be given without the
// serial numbers, UUIDs and asset tags Options.WithholdSerials withholds: a
// -s keyword that names one, or the hex dump (-u), which holds them all.
var ErrWithheld = errors.New("dmidecode: serial numbers, UUIDs and asset tags are withheld")

// withheldFields are the names of the fields that hold serial numbers,
// UUIDs and asset tags, in every type that has one (1, 2, 3, 4, 17, 22, 39
// and HP's OEM type 204).
var withheldFields = map[string]bool{
	"Serial Number":      true,
	"Asset Tag":          true,
	"UUID":               true,
	"SBDS Serial Number": true,
	"Enclosure Serial":   true,
}

// withheldKeywords are the -s keywords that print one.
var withheldKeywords = map[string]bool{
	"system-serial-number": true, "system-uuid": true,
	"baseboard-serial-number": true, "baseboard-asset-tag": true,
	"chassis-serial-number": true, "chassis-asset-tag": true,
}

// WithheldKeyword reports whether the -s keyword kw prints a serial number,
// UUID or asset tag.
func WithheldKeyword(kw string) bool { return withheldKeywords[kw] }

// serialStrings are the string fields holding serial numbers and asset
// tags, by type: their offsets in the formatted area.
var serialStrings = map[uint8][]int{
	1:  {0x07},
	2:  {0x07, 0x08},
	3:  {0x07, 0x08},
	4:  {0x20, 0x21},
	17: {0x18, 0x19},
	22: {0x07},
	39: {0x08, 0x09},
}

// Serials returns the serial numbers, UUIDs and asset tags t holds, in the
// forms output can show them (as dmidecode prints them, as stored, trimmed;
// a UUID in either byte order and case), longest first, leaving out
// placeholders ("To Be Filled By O.E.M.", "Not Specified") and values too
// short to tell from other text. Withholding replaces these wherever they
// appear, not only in their own fields: firmware copies serials into OEM
// strings and other types.
func Serials(t *dmi.Table) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) < 4 || dmi.IsPlaceholder(v) || seen[v] || oneRune(v) {
			return
		}
		seen[v] = true
		out = append(out, v)
	}
	for i := range t.Structures {
		s := &t.Structures[i]
		for _, off := range serialStrings[s.Type] {
			if off >= int(s.Length) {
				continue
			}
			n := s.U8(off)
			if raw, ok := s.RawString(n); ok {
				add(raw)
				add(s.String(n))
				// The Go API's form (dmi's cleanString): invalid UTF-8
				// and control characters dropped.
				add(strings.Map(func(r rune) rune {
					if unicode.IsControl(r) {
						return -1
					}
					return r
				}, strings.ToValidUTF8(raw, "")))
			}
		}
		if s.Type == 1 && s.Length >= 0x18 {
			for _, v := range []dmi.Version{{Major: 2, Minor: 5}, {Major: 2, Minor: 6}} {
				if u, st := dmi.FormatUUID(s.Raw[0x08:0x18], v); st == dmi.UUIDPresent {
					add(u)
					add(strings.ToUpper(u))
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// oneRune reports whether s is one character repeated ("XXXXXXXX",
// "00000000"), a placeholder too.
func oneRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.TrimLeft(s, string(r)) == ""
}

// NewRedacter returns a function that replaces each of secrets (see
// Serials) wherever it appears in a string with Withheld.
func NewRedacter(secrets []string) func(string) string {
	if len(secrets) == 0 {
		return func(s string) string { return s }
	}
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, Withheld)
	}
	return strings.NewReplacer(pairs...).Replace
}

// redactWriter passes text on line by line, each through redact. Lines are
// whole when redacted, however the writer above it splits them.
type redactWriter struct {
	w       io.Writer
	redact  func(string) string
	partial []byte
}

func (r *redactWriter) Write(p []byte) (int, error) {
	r.partial = append(r.partial, p...)
	i := bytes.LastIndexByte(r.partial, '\n')
	if i < 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(r.w, r.redact(string(r.partial[:i+1]))); err != nil {
		return 0, err
	}
	r.partial = append(r.partial[:0], r.partial[i+1:]...)
	return len(p), nil
}

// flush writes what remains of a last line without newline.
func (r *redactWriter) flush() error {
	if len(r.partial) == 0 {
		return nil
	}
	_, err := io.WriteString(r.w, r.redact(string(r.partial)))
	r.partial = r.partial[:0]
	return err
}
