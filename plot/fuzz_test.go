package plot

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// xmlText is what an XML parser reads back from s as esc writes it: s with
// every byte that is not UTF-8, and every character XML 1.0 cannot carry,
// replaced by U+FFFD.
func xmlText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		ok := r == 0x09 || r == 0x0A || r == 0x0D ||
			r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
		if !ok || r == utf8.RuneError && n == 1 {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FuzzSVG draws host-supplied strings (a unit name, a kernel message, the
// kernel release) and times, and checks that the picture is always
// well-formed XML of the allowed elements whose data attributes and titles
// read back as the strings themselves.
func FuzzSVG(f *testing.F) {
	for _, s := range []string{
		"a.service", `<script>alert(1)</script>`, `x" onload="alert(1)`, "a&amp;b", "'single'", "]]>", "<!--", "<?xml version=\"1.0\"?>",
		"\xff\xfe\x80", "ok\x00nul", "\x1b[31mred", "tab\there\nnewline\rcr", "\uFFFE\uFFFF", "\xed\xa0\x80", strings.Repeat("é", 300),
	} {
		f.Add(s, s, s, int64(1_000_000), uint64(2_000_000), uint64(3_000_000))
	}
	f.Add("a.service", "msg", "6.1.0", int64(-1), uint64(1<<63), uint64(1<<64-1))
	f.Fuzz(func(t *testing.T, name, msg, release string, at int64, activating, activated uint64) {
		in := Input{
			Title:      "Boot timeline: Linux " + release,
			Origin:     OriginKernel,
			Phases:     []Phase{{Name: "kernel", StartUSec: min(at, 0), EndUSec: max(at, 0)}, {Name: name, StartUSec: max(at, 0), EndUSec: max(at, 0) + 5}},
			Units:      []Unit{{Name: name, ActivatingUSec: activating, ActivatedUSec: activated, TimeUSec: activated - activating}},
			Milestones: []Milestone{{Name: name, AtUSec: at, Message: msg}},
			Notes:      []string{msg},
		}
		var b bytes.Buffer
		if err := SVG(&b, in); err != nil {
			t.Fatal(err)
		}
		d, err := parseSVG(b.Bytes())
		if err != nil {
			t.Fatalf("%v\n%s", err, b.Bytes())
		}
		if !utf8.Valid(b.Bytes()) {
			t.Fatal("the picture is not UTF-8")
		}
		if d.Title != xmlText(in.Title) {
			t.Errorf("title %q, want %q", d.Title, xmlText(in.Title))
		}
		want := xmlText(name)
		if want == "" {
			return // an empty key: the group is not found by it
		}
		if len(d.Units) != 1 || d.Units[0].Name != want || d.Units[0].ActivatingUSec != activating || d.Units[0].TimeUSec != activated-activating {
			t.Errorf("units %+v, want %q", d.Units, want)
		}
		if len(d.Milestones) != 1 || d.Milestones[0].Name != want || d.Milestones[0].AtUSec != at {
			t.Errorf("milestones %+v, want %q at %d", d.Milestones, want, at)
		}
		if !strings.HasSuffix(d.Titles["milestone:"+want], ": "+xmlText(msg)) && msg != "" {
			t.Errorf("milestone title %q, want the message %q", d.Titles["milestone:"+want], xmlText(msg))
		}
	})
}
