package host

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sharedGlob returns the files of the shared corpus matching the patterns,
// or nothing when the corpus is absent (a user's clone; the committed
// testdata/fuzz seeds still run then).
func sharedGlob(tb testing.TB, patterns ...string) []string {
	base := os.Getenv(testutil.EnvSharedTestdata)
	if base == "" {
		base = filepath.Join(testutil.RepoRoot(tb), "..", "shared", "testdata")
	}
	var files []string
	for _, p := range patterns {
		m, _ := filepath.Glob(filepath.Join(base, p))
		files = append(files, m...)
	}
	return files
}

// corpusCmdlines returns the real kernel command lines of the shared corpus:
// /proc/cmdline of the captured boots, the "Kernel command line:" the kernel
// logged, and what boot loaders pass (GRUB "linux" lines, BLS "options",
// grubenv "kernelopts").
func corpusCmdlines(tb testing.TB) []string {
	var out []string
	for _, p := range sharedGlob(tb, "boots/*/proc-cmdline") {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, string(b))
		}
	}
	files := sharedGlob(tb, "boots/*/dmesg.txt", "dmesg/*/*", "grub/grubby/grub2.*", "grub/grubby/grubenv.*",
		"grub/u-root/grub/testdata_new/*/*/grub.cfg", "grub/u-root/grub/testdata_new/*/*/*/grub.cfg",
		"grub/u-root/grub/testdata_new/*/*/*/*/grub.cfg", "grub/u-root/grub/testdata_new/*/EFI/*/grubenv",
		"grub/u-root/grub/testdata_new/*/boot/loader/entries/*.conf", "grub/u-root/bls/testdata/*/loader/entries/*.conf",
		"grub/u-root/bls/testdata/typeone/*.conf")
	seen := map[string]bool{}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			var cmdline string
			if _, after, ok := strings.Cut(line, "Kernel command line: "); ok {
				cmdline = after
			} else if after, ok := strings.CutPrefix(line, "kernelopts="); ok {
				cmdline = after
			} else if f := strings.Fields(line); len(f) > 1 {
				switch f[0] {
				case "linux", "linux16", "linuxefi":
					cmdline = strings.Join(f[2:], " ") // after the kernel's path
				case "options":
					cmdline = strings.Join(f[1:], " ")
				}
			}
			if cmdline != "" && !seen[cmdline] {
				seen[cmdline] = true
				out = append(out, cmdline)
			}
		}
	}
	return out
}

// FuzzParseCmdline: ParseCmdline splits every line as kernelModel, the
// in-place model of the kernel's next_arg and parse_args, does; and no
// parameter or init argument is longer than the line.
func FuzzParseCmdline(f *testing.F) {
	for _, s := range corpusCmdlines(f) {
		f.Add(s)
	}
	for _, s := range []string{"", "a=b c", `x="y z" -- q`, `"`, "a==b", "\x00=\t", `"" -- "a b"`,
		`a="b c"d`, `"a="b c""`, `"--" x -- y -- z`, "=a=b", "a=\xc3\xa0b", `"a b"=c`, `a=" b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCmdline(s)
		if diff := cmp.Diff(kernelModel(s), c, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("ParseCmdline(%q) differs from the kernel's rules (-kernel +ParseCmdline):\n%s", s, diff)
		}
		for _, p := range c.Params {
			if len(p.Key)+len(p.Value) > len(s) {
				t.Fatalf("parameter %q=%q longer than the line %q", p.Key, p.Value, s)
			}
		}
		for _, a := range c.InitArgs {
			if len(a) > len(s) {
				t.Fatalf("init argument %q longer than the line %q", a, s)
			}
		}
	})
}

// FuzzParseOSRelease: never panic; no field is longer than the input; and
// writing every parsed assignment back in double quotes, escaped as
// os-release(5) says, parses to the same assignments.
//
// The shared corpus holds no os-release file; the seeds are this machine's
// own (read, not copied) and the hand-written ones in testdata/fuzz.
func FuzzParseOSRelease(f *testing.F) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("ID=debian\nPRETTY_NAME=\"Debian\"\n"))
	f.Add([]byte("A='x'\nB=\"\\\"\"\n#c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _ := ParseOSRelease(b)
		keys := make([]string, 0, len(r.All))
		for k, v := range r.All {
			if len(k)+len(v) > len(b) {
				t.Fatalf("field %q=%q longer than input", k, v)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out bytes.Buffer
		esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
		for _, k := range keys {
			out.WriteString(k + `="` + esc.Replace(r.All[k]) + "\"\n")
		}
		again, err := ParseOSRelease(out.Bytes())
		if err != nil {
			t.Fatalf("rewritten file %q: %v", out.Bytes(), err)
		}
		if diff := cmp.Diff(r.All, again.All); diff != "" {
			t.Fatalf("rewritten file %q parses differently (-first +again):\n%s", out.Bytes(), diff)
		}
	})
}

// FuzzParseUptime: never panic; a parsed uptime is never negative.
func FuzzParseUptime(f *testing.F) {
	f.Add([]byte("350735.47 234388.90\n"))
	f.Add([]byte("0.00 0.00"))
	f.Add([]byte("1e12 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseUptime(b)
		if err == nil && d < 0 {
			t.Fatalf("negative uptime %v from %q", d, b)
		}
	})
}

// FuzzParseBootTime: never panic; a boot time found is never before the
// epoch, and written back as the kernel writes it, parses to itself.
func FuzzParseBootTime(f *testing.F) {
	f.Add([]byte("cpu  1 2 3 4 5 6 7 8 9 10\nbtime 1700000000\nprocesses 5\n"))
	f.Add([]byte("btime -1\nbtime 2\n"))
	f.Add([]byte("btime 99999999999999999999\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		bt, err := ParseBootTime(b)
		if err != nil {
			return
		}
		again, err := ParseBootTime([]byte("btime " + strconv.FormatInt(bt.Unix(), 10) + "\n"))
		if bt.Unix() < 0 || err != nil || !again.Equal(bt) {
			t.Fatalf("boot time %v (%d) from %q; written back: %v, %v", bt, bt.Unix(), b, again, err)
		}
	})
}
