package dmidecode

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// dmidecodeBin finds the real dmidecode, which these tests compare with.
func dmidecodeBin(t *testing.T) string {
	p, err := exec.LookPath("dmidecode")
	if err != nil {
		testutil.SkipOrFail(t, "dmidecode not installed: %v", err)
	}
	out, _ := exec.Command(p, "--version").Output()
	if strings.TrimSpace(string(out)) != Version {
		testutil.SkipOrFail(t, "dmidecode is %q, these tests need %s", strings.TrimSpace(string(out)), Version)
	}
	return p
}

// runDmidecode runs dmidecode --from-dump name in dir with extra args and
// returns its standard output.
func runDmidecode(t *testing.T, bin, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--from-dump", name}, args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("dmidecode: %v", err)
		}
	}
	return out.String()
}

// TestAgainstDmidecodeOptions compares -t (every keyword), -s and -u output
// with the real dmidecode for every dump. -s runs every keyword on a quarter
// of the dumps and a fifth of the keywords on the rest, unless
// DMIDECODE_ALL_STRINGS is set.
func TestAgainstDmidecodeOptions(t *testing.T) {
	bin := dmidecodeBin(t)
	if testing.Short() {
		t.Skip("runs dmidecode about 3000 times")
	}
	for i, p := range dmitest.Dumps(t) {
		dir, name := filepath.Dir(p), filepath.Base(p)
		allStrings := os.Getenv("DMIDECODE_ALL_STRINGS") != "" || i%4 == 0 // -s for every keyword on a quarter of the dumps keeps the run short
		t.Run(name, func(t *testing.T) {
			raw, _ := os.ReadFile(p)
			tb, _ := dmi.ParseDumpBin(raw)
			src := Source{Table: tb, DumpFile: name}
			check := func(what, want string, opts Options) {
				var buf bytes.Buffer
				if err := Write(&buf, src, opts); err != nil {
					t.Fatal(err)
				}
				if got := buf.String(); got != want {
					wb, gb := splitBlocks(want), splitBlocks(got)
					for i := 0; i < min(len(wb), len(gb)); i++ {
						if wb[i].text != gb[i].text && requiredTypes[wb[i].typ] || i == 0 && wb[0].text != gb[0].text {
							t.Errorf("%s: block %d differs:\n%s", what, i, lineDiff(wb[i].text, gb[i].text))
						}
					}
					if len(wb) != len(gb) {
						t.Errorf("%s: %d blocks, dmidecode %d", what, len(gb), len(wb))
					}
				}
			}
			for _, kw := range TypeKeywords() {
				types, err := ParseTypes([]string{kw})
				if err != nil {
					t.Fatal(err)
				}
				check("-t "+kw, runDmidecode(t, bin, dir, name, "-t", kw), Options{Types: types})
			}
			check("-t 17,19", runDmidecode(t, bin, dir, name, "-t", "17,19"), Options{Types: []int{17, 19}})
			check("-u", runDmidecode(t, bin, dir, name, "-u"), Options{Dump: true})
			for j, kw := range Keywords() {
				if !allStrings && j%5 != i%5 {
					continue
				}
				want := runDmidecode(t, bin, dir, name, "-s", kw)
				got, err := String(tb, kw)
				if err != nil {
					t.Fatal(err)
				}
				if got != strings.TrimSuffix(want, "\n") {
					t.Errorf("-s %s: got %q, dmidecode %q", kw, got, want)
				}
			}
		})
	}
}

// TestSysfsAgainstDmidecode reads each sysfs copy through dmi.NewFS, writes
// it with WriteDumpBin, runs the real dmidecode on that file and compares
// its output with ours for the same file.
func TestSysfsAgainstDmidecode(t *testing.T) {
	bin := dmidecodeBin(t)
	entries, err := os.ReadDir(dmitest.SysfsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			tb, err := dmi.NewFS(dmitest.SysfsRoot(t, e.Name(), dmi.TablesDir)).Table()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			f, err := os.Create(filepath.Join(dir, "t.bin"))
			if err != nil {
				t.Fatal(err)
			}
			if err := tb.WriteDumpBin(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			want := runDmidecode(t, bin, dir, "t.bin")
			var buf bytes.Buffer
			if err := Write(&buf, Source{Table: tb, DumpFile: "t.bin"}, Options{}); err != nil {
				t.Fatal(err)
			}
			wb, gb := splitBlocks(want), splitBlocks(buf.String())
			if len(wb) != len(gb) {
				t.Fatalf("%d blocks, dmidecode %d", len(gb), len(wb))
			}
			var same int
			for i := range wb {
				if wb[i].text == gb[i].text {
					same++
				} else if i == 0 || requiredTypes[wb[i].typ] {
					t.Errorf("block %d (type %d) differs:\n%s", i, wb[i].typ, lineDiff(wb[i].text, gb[i].text))
				}
			}
			t.Logf("%d/%d structures match", same-1, len(wb)-1)
		})
	}
}

// The sysfs header names the source and the table address, as dmidecode
// does when it reads /sys/firmware/dmi/tables.
func TestSysfsHeader(t *testing.T) {
	base := testutil.Shared(t, "smbios", "sysfs")
	tests := map[string]string{
		"qemu-ovmf-q35":      "# dmidecode 3.4\nGetting SMBIOS data from sysfs.\nSMBIOS 2.8 present.\n9 structures occupying 383 bytes.\nTable at 0x3F51F000.\n\n",
		"qemu-ovmf-q35-ep64": "# dmidecode 3.4\nGetting SMBIOS data from sysfs.\nSMBIOS 3.0.0 present.\nTable at 0x3F51D000.\n\n",
	}
	for name, want := range tests {
		ep, _ := os.ReadFile(filepath.Join(base, name, "smbios_entry_point"))
		table, _ := os.ReadFile(filepath.Join(base, name, "DMI"))
		tb, err := dmi.ParseSysfs(ep, table)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, Source{Table: tb}, Options{Types: nil}); err != nil {
			t.Fatal(err)
		}
		if got := splitBlocks(buf.String())[0].text + "\n"; got != want {
			t.Errorf("%s: header\n%q\nwant\n%q", name, got, want)
		}
	}
}

// TestMalformedAgainstDmidecode builds malformed dumps from real ones (a
// 2.x table length cutting the last structures, a 3.x table cut in the
// middle of a structure, a 3.x table without its end-of-table record, a
// 2.x count larger than the table) and compares stdout and stderr with the
// real dmidecode.
func TestMalformedAgainstDmidecode(t *testing.T) {
	bin := dmidecodeBin(t)
	cases := map[string][]byte{}
	{
		b := dmitest.Dump(t, "qemu-seabios-pc")
		b[0x16] -= 10 // table length
		dmitest.WithChecksum(b, 0x15, 0x10, 0x1F)
		dmitest.WithChecksum(b, 0x04, 0, int(b[5]))
		cases["2x-short-length"] = b
	}
	{
		b := dmitest.Dump(t, "qemu-seabios-pc")
		b[0x1C] += 3 // structure count
		dmitest.WithChecksum(b, 0x15, 0x10, 0x1F)
		dmitest.WithChecksum(b, 0x04, 0, int(b[5]))
		cases["2x-count-too-large"] = b
	}
	{
		b := dmitest.Dump(t, "u-root-Lenovo-ThinkPad-T480")
		cases["2x-file-cut"] = b[:len(b)-300]
	}
	{
		b := dmitest.Dump(t, "qemu-ovmf-q35-ep64")
		cases["3x-cut-mid-structure"] = b[:len(b)-20]
	}
	{
		b := dmitest.Dump(t, "qemu-ovmf-q35-ep64")
		tb, _ := dmi.ParseDumpBin(b)
		last := tb.Structures[len(tb.Structures)-1]
		cases["3x-no-end-of-table"] = b[:0x20+last.Offset]
	}
	{
		// A DMI 2.0 legacy entry point ("_DMI_") in front of a real table.
		b := dmitest.Dump(t, "dell-libsmbios-PE2650")
		ep := make([]byte, 0x20)
		copy(ep, "_DMI_")
		copy(ep[6:8], b[0x16:0x18])   // table length
		ep[8] = 0x20                  // table address
		copy(ep[0x0C:0x0E], b[0x1C:]) // structure count
		ep[0x0E] = 0x20               // BCD revision 2.0
		dmitest.WithChecksum(ep, 0x05, 0, 0x0F)
		cases["legacy-dmi-entry-point"] = append(ep, b[0x20:]...)
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			if err := os.WriteFile(filepath.Join(tmp, "m.bin"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "--from-dump", "m.bin")
			cmd.Dir = tmp
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			_ = cmd.Run()
			tb, _ := dmi.ParseDumpBin(b)
			if tb == nil {
				t.Fatal("no table")
			}
			var got, gotErr bytes.Buffer
			if err := Write(&got, Source{Table: tb, DumpFile: "m.bin"}, Options{Stderr: &gotErr}); err != nil {
				t.Fatal(err)
			}
			if got.String() != out.String() {
				t.Errorf("stdout differs:\n%s", lineDiff(out.String(), got.String()))
			}
			if gotErr.String() != errOut.String() {
				t.Errorf("stderr %q, dmidecode %q", gotErr.String(), errOut.String())
			}
		})
	}
}
