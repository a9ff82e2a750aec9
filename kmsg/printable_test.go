package kmsg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestAppendPrintable(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"title \x1b]0;pwned\x07 after", `title \x1b]0;pwned\x07 after`},
		{"tab\tnl\nvt\vff\fcr\r", "tab\tnl\nvt\vff\fcr\r"},
		{"nul\x00 del\x7f bs\x08", `nul\x00 del\x7f bs\x08`},
		{"é ✓ 😀 \u00a0\u202e\ue000", "é ✓ 😀 \u00a0\u202e\ue000"},
		{"c1 \u0085\u009b", `c1 \xc2\x85\xc2\x9b`},
		{"bad \xff\xc0\x80\xed\xa0\x80", `bad \xff\xc0\x80\xed\xa0\x80`},
		{"unassigned \u0378 \uffff", `unassigned \xcd\xb8 \xef\xbf\xbf`},
		{"\uFFFD replacement", "\uFFFD replacement"},
		{"cut \xe2\x9c", `cut \xe2\x9c`},
	} {
		if got := string(AppendPrintable(nil, tt.in)); got != tt.want {
			t.Errorf("AppendPrintable(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPrintableDmesgOracle prints every byte value, and characters of each
// kind, through util-linux dmesg (-F reads the syslog(2) buffer form,
// "<N>[seconds] message", whose bytes it prints through the same escaping
// as a /dev/kmsg record's decoded text) in a UTF-8 locale, and compares
// each line with AppendPrintable's.
func TestPrintableDmesgOracle(t *testing.T) {
	dmesg := testutil.Tool(t, "dmesg", "util-linux")
	var msgs []string
	for b := 0; b < 256; b++ {
		if b == '\n' {
			continue // a line break: dmesg indents what follows
		}
		msgs = append(msgs, fmt.Sprintf("b%02x=%c.", b, b)[:4]+string([]byte{byte(b)})+".")
	}
	for _, r := range []rune{0x80, 0x85, 0x9f, 0xa0, 0xad, 0xe9, 0x378, 0x5d0, 0x200b, 0x200e, 0x2028, 0x2029,
		0x202e, 0x2066, 0x3000, 0xe000, 0xf8ff, 0xfeff, 0xfffd, 0xfffe, 0xffff, 0x1f600, 0x1fffe, 0xe0001, 0xf0000, 0x10fffd, 0x10ffff} {
		msgs = append(msgs, fmt.Sprintf("U+%04X=%c.", r, r))
	}
	for _, s := range []string{"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x9c", "\xf0\x9f\x98", "\xf8\x88\x80\x80\x80"} {
		msgs = append(msgs, fmt.Sprintf("bad %x=%s.", s, s))
	}
	var in bytes.Buffer
	for i, m := range msgs {
		fmt.Fprintf(&in, "<6>[%5d.%06d] %s\n", i, 0, m)
	}
	path := filepath.Join(t.TempDir(), "syslog.txt")
	if err := os.WriteFile(path, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := testutil.Run(t, "", "env", "LC_ALL=C.UTF-8", dmesg, "-F", path)
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	var got []string
	for i, m := range msgs {
		got = append(got, fmt.Sprintf("[%5d.%06d] %s", i, 0, AppendPrintable(nil, m)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("differs from dmesg -F (-dmesg +AppendPrintable):\n%s", diff)
	}
}

// FuzzAppendPrintable: whatever the input, the output is valid UTF-8 with
// no control character but white space, at most four bytes per input
// byte, and the input itself when nothing needed escaping.
func FuzzAppendPrintable(f *testing.F) {
	f.Add("title \x1b]0;pwned\x07 after")
	f.Add("é ✓ \xff\xc0\x80 \u0085")
	f.Fuzz(func(t *testing.T, in string) {
		out := AppendPrintable(nil, in)
		if !utf8.Valid(out) {
			t.Fatalf("%q -> %q: not UTF-8", in, out)
		}
		for _, r := range string(out) {
			if r < 0x20 && (r < '\t' || r > '\r') || r == 0x7f || r >= 0x80 && r <= 0x9f {
				t.Fatalf("%q -> %q: control character %U", in, out, r)
			}
		}
		if len(out) > 4*len(in) {
			t.Fatalf("%d bytes from %d", len(out), len(in))
		}
		if !bytes.Contains([]byte(in), []byte(`\x`)) && !bytes.Contains(out, []byte(`\x`)) && string(out) != in {
			t.Fatalf("%q -> %q changed without escaping", in, out)
		}
		if p := Printable(in); p != string(out) {
			t.Fatalf("Printable %q, AppendPrintable %q", p, out)
		}
	})
}
