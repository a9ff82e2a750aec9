package host

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// TestParseCmdline: each case is one of the kernel's rules for splitting
// its command line (lib/cmdline.c next_arg, kernel/params.c parse_args),
// with what the kernel makes of the line. The VM test in test/e2e checks a
// line holding most of these against a real kernel.
func TestParseCmdline(t *testing.T) {
	p := func(k, v string) Param { return Param{Key: k, Value: v, HasValue: true} }
	flag := func(k string) Param { return Param{Key: k} }
	tests := []struct {
		name string
		in   string
		want Cmdline
	}{
		{"empty", "", Cmdline{}},
		{"only white space", " \t\n ", Cmdline{}},
		{"flags and values", "BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=UUID=abc ro quiet\n", Cmdline{Params: []Param{
			p("BOOT_IMAGE", "/vmlinuz-6.1.0-13-amd64"), p("root", "UUID=abc"), flag("ro"), flag("quiet"),
		}}},
		// A quote opening the value is removed with the word's last byte.
		{"quoted value", `dyndbg="file drivers/usb/* +p" single`, Cmdline{Params: []Param{
			p("dyndbg", "file drivers/usb/* +p"), flag("single"),
		}}},
		// A quote opening the word is removed with the word's last byte.
		{"quoted whole word", `"acpi_osi=!Windows 2012" x=`, Cmdline{Params: []Param{
			p("acpi_osi", "!Windows 2012"), p("x", ""),
		}}},
		{"quoted flag", `"a b" "c"`, Cmdline{Params: []Param{flag("a b"), flag("c")}}},
		// The value's closing quote is the word's last byte only: what
		// follows the quote stays, with the quote.
		{"text after the closing quote", `a="b c"d e`, Cmdline{Params: []Param{p("a", `b c"d`), flag("e")}}},
		// A quote inside a value groups white space but is not removed.
		{"quote in the middle of a value", `a=b"c d" e`, Cmdline{Params: []Param{p("a", `b"c d"`), flag("e")}}},
		{"quote in the middle of a key", `a"b c"=d`, Cmdline{Params: []Param{p(`a"b c"`, "d")}}},
		// A quoted word's closing quote before "=" is not removed: only the
		// word's last byte is.
		{"quoted key", `"a b"=c`, Cmdline{Params: []Param{p(`a b"`, "c")}}},
		// A quote closing the value's quote also closes the word's.
		{"quoted word with quoted value", `"a="b c""`, Cmdline{Params: []Param{p("a", "b"), flag(`c""`)}}},
		{"unterminated quote runs to the end", `a="b c  d=e`, Cmdline{Params: []Param{p("a", "b c  d=e")}}},
		{"unterminated leading quote", `x "a b`, Cmdline{Params: []Param{flag("x"), flag("a b")}}},
		{"lone quote at the end", `x "`, Cmdline{Params: []Param{flag("x"), flag("")}}},
		{"empty quotes", `"" a=""`, Cmdline{Params: []Param{flag(""), p("a", "")}}},
		{"value of one quote", `a=" b`, Cmdline{Params: []Param{p("a", " b")}}},
		{"quoted value of one quote", `"a="`, Cmdline{Params: []Param{p("a", "")}}},
		// The first "=" at the word's first byte does not count.
		{"leading equals", "=a =a=b == =", Cmdline{Params: []Param{flag("=a"), p("=a", "b"), p("=", ""), flag("=")}}},
		{"quoted leading equals", `"=a"`, Cmdline{Params: []Param{flag("=a")}}},
		{"init args after dashes", "console=ttyS0 -- --addr 0.0.0.0:2024 single", Cmdline{
			Params:   []Param{p("console", "ttyS0")},
			InitArgs: []string{"--addr", "0.0.0.0:2024", "single"},
		}},
		// The kernel compares the word after removing its quotes.
		{"quoted dashes end the parameters", `a "--" x`, Cmdline{Params: []Param{flag("a")}, InitArgs: []string{"x"}}},
		{"half-quoted dashes end the parameters", `a "--`, Cmdline{Params: []Param{flag("a")}}},
		{"an open quote takes the dashes in", `a "-- x`, Cmdline{Params: []Param{flag("a"), flag("-- x")}}},
		{"dashes with a value are a parameter", `--= x`, Cmdline{Params: []Param{p("--", ""), flag("x")}}},
		{"dashes with a trailing quote are not dashes", `--" x" y`, Cmdline{Params: []Param{flag(`--" x"`), flag("y")}}},
		// Init receives a word with a value as key=value, with the
		// quotes removed as for a parameter.
		{"init args with values and quotes", `q -- a="b c"d "e=f g" h`, Cmdline{
			Params:   []Param{flag("q")},
			InitArgs: []string{`a=b c"d`, "e=f g", "h"},
		}},
		// parse_args stops at "--" in the init arguments too; start_kernel
		// ignores the rest.
		{"second dashes end the init args", "a -- b -- c", Cmdline{Params: []Param{flag("a")}, InitArgs: []string{"b"}}},
		{"dashes at the end", "a --", Cmdline{Params: []Param{flag("a")}}},
		{"tabs, newlines and repeated spaces", "a=1\t\t b\n\v\f\rc=  ", Cmdline{Params: []Param{p("a", "1"), flag("b"), p("c", "")}}},
		{"quoted white space", "a=\"1\t2\n3\"", Cmdline{Params: []Param{p("a", "1\t2\n3")}}},
		// The kernel's ctype is Latin-1: 0xA0 is white space, so is the
		// second byte of UTF-8 "à" (c3 a0); other UTF-8 is not.
		{"no-break space separates", "a=\xc3\xa0b c=\u00e9", Cmdline{Params: []Param{p("a", "\xc3"), flag("b"), p("c", "\u00e9")}}},
		{"NUL ends the line", "a=b\x00c d", Cmdline{Params: []Param{p("a", "b")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseCmdline(tt.in)); diff != "" {
				t.Errorf("ParseCmdline(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.want, kernelModel(tt.in)); diff != "" {
				t.Errorf("the model of next_arg disagrees with the table on %q (-table +model):\n%s", tt.in, diff)
			}
		})
	}
}

func TestCmdlineMapLastWins(t *testing.T) {
	c := ParseCmdline("console=tty0 console=ttyS0,115200 quiet")
	want := map[string]string{"console": "ttyS0,115200", "quiet": ""}
	if diff := cmp.Diff(want, c.Map()); diff != "" {
		t.Errorf("Map mismatch (-want +got):\n%s", diff)
	}
	if v, ok := c.Get("console"); !ok || v != "ttyS0,115200" {
		t.Errorf("Get(console) = %q, %v", v, ok)
	}
	if _, ok := c.Get("root"); ok {
		t.Error("Get(root) found a parameter that is not there")
	}
}

// TestParseCmdlineRealBoots parses the command lines of the real QEMU boots in
// the shared corpus and checks them against the kernel's own echo of the line
// in the same boot's log ("Kernel command line: ...").
func TestParseCmdlineRealBoots(t *testing.T) {
	boots, err := filepath.Glob(filepath.Join(testutil.Shared(t, "boots"), "*", "proc-cmdline"))
	if err != nil || len(boots) == 0 {
		t.Fatalf("no proc-cmdline files: %v", err)
	}
	for _, p := range boots {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := ParseCmdline(string(b))
		if len(c.Params) == 0 {
			t.Errorf("%s: no parameters parsed from %q", p, b)
		}
		if _, ok := c.Get("console"); !ok {
			t.Errorf("%s: console= missing from %q", p, b)
		}
	}
}

func TestCmdlineFacts(t *testing.T) {
	ro, rw := true, false
	tests := []struct {
		in   string
		want CmdlineFacts
	}{
		{"BOOT_IMAGE=/vmlinuz-6.1.0-27-amd64 root=UUID=abc ro quiet", CmdlineFacts{BootMode: "normal", Root: "UUID=abc", ReadOnly: &ro, BootImage: "/vmlinuz-6.1.0-27-amd64"}},
		{"root=/dev/sda1 rw single", CmdlineFacts{BootMode: "single", Root: "/dev/sda1", ReadOnly: &rw}},
		{"S", CmdlineFacts{BootMode: "single"}},
		{"1 debug", CmdlineFacts{BootMode: "single", Debug: true}},
		{"systemd.unit=rescue.target", CmdlineFacts{BootMode: "rescue"}},
		{"systemd.unit=emergency.target", CmdlineFacts{BootMode: "emergency"}},
		{"emergency", CmdlineFacts{BootMode: "emergency"}},
		{"systemd.unit=multi-user.target init=/bin/bash", CmdlineFacts{BootMode: "unit:multi-user.target", Init: "/bin/bash"}},
		{"console=ttyS0 -- single", CmdlineFacts{BootMode: "normal"}}, // after "--" it is init's
		{"single=1", CmdlineFacts{BootMode: "normal"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParseCmdline(tt.in).Facts()); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}

// kernelModel is a second, independent statement of the kernel's rules,
// written as the kernel works: on a NUL-terminated byte buffer that each
// word is cut out of in place, by overwriting bytes with NULs and moving a
// pointer (an index here), then reading C strings back. ParseCmdline states
// the same rules on Go strings; the table and the fuzz target compare them.
func kernelModel(line string) Cmdline {
	buf := append([]byte(line), 0)
	cstr := func(i int) string { // the C string at buf[i]
		j := i
		for buf[j] != 0 {
			j++
		}
		return string(buf[i:j])
	}
	space := func(c byte) bool { return c == 0xA0 || c == ' ' || (c >= 9 && c <= 13) }
	skip := func(i int) int {
		for space(buf[i]) {
			i++
		}
		return i
	}
	var c Cmdline
	dashes := 0
	for at := skip(0); buf[at] != 0; {
		// next_arg
		in, quoted := false, false
		if buf[at] == '"' {
			at++
			in, quoted = true, true
		}
		i, equals := 0, 0
		for ; buf[at+i] != 0; i++ {
			if space(buf[at+i]) && !in {
				break
			}
			if equals == 0 && buf[at+i] == '=' {
				equals = i
			}
			if buf[at+i] == '"' {
				in = !in
			}
		}
		param, val := at, -1
		if equals != 0 {
			buf[at+equals] = 0
			val = at + equals + 1
			if buf[val] == '"' {
				val++
				if buf[at+i-1] == '"' {
					buf[at+i-1] = 0
				}
			}
		}
		if quoted && i > 0 && buf[at+i-1] == '"' {
			buf[at+i-1] = 0
		}
		next := at + i
		if buf[next] != 0 {
			buf[next] = 0
			next++
		}
		at = skip(next)
		// parse_args and what start_kernel does with the words
		key := cstr(param)
		if val < 0 && key == "--" {
			dashes++
			if dashes == 2 {
				break
			}
			continue
		}
		switch {
		case dashes == 1 && val < 0:
			c.InitArgs = append(c.InitArgs, key)
		case dashes == 1:
			c.InitArgs = append(c.InitArgs, key+"="+cstr(val))
		case val < 0:
			c.Params = append(c.Params, Param{Key: key})
		default:
			c.Params = append(c.Params, Param{Key: key, Value: cstr(val), HasValue: true})
		}
	}
	return c
}
