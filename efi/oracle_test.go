package efi

// The oracle for load options and device path text is Debian's libefivar and
// libefiboot (efivar 37, the library under efibootmgr), driven by
// testdata/oracle/efivar-oracle.c because the efivar command cannot decode a
// variable from a file. Its output over the shared corpus is kept in
// testdata/efivar-oracle-*.tsv; TestEfivarOracleLive rebuilds the program and
// proves the files are what the library prints (-update rewrites them).
//
// libefivar departs from the UEFI text notation in known ways, which the
// comparison normalises rather than copies:
//   - it prints hex in lower case and some numbers in decimal (USB(11,1),
//     Sata(2,65535,0)); both sides are compared with every 0x number turned
//     to decimal, case-insensitively;
//   - it names the firmware volume node FvVol(), the specification Fv();
//   - it wraps file path nodes in File(), the specification gives the bare
//     path (Table 10.67);
//   - it prints ACPI nodes whose _HID has no short form as the raw number
//     (Acpi(0x030341d0,0x0)), the specification as the EISA ID (PNP0303);
//   - it prints only the first instance of a multi-instance path;
//   - its IPv4()/IPv6() text is broken (IPv4(0.0.0.00.0.0.0,0,0) runs the
//     two addresses together), so paths are compared up to those nodes.

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/efivar-oracle-*.tsv from the efivar oracle")

var (
	hexNumber = regexp.MustCompile(`\b0x([0-9a-f]+)\b`)
	rawACPI   = regexp.MustCompile(`acpi\(0x([0-9a-f]{8}),`)
	fileNode  = regexp.MustCompile(`file\(([^)]*)\)`)
)

func normaliseDevicePathText(s string) string {
	s = strings.ToLower(s)
	if i := strings.Index(s, "/ipv"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "fvvol(", "fv(")
	s = fileNode.ReplaceAllString(s, "$1")
	s = rawACPI.ReplaceAllStringFunc(s, func(m string) string {
		v, _ := strconv.ParseUint(rawACPI.FindStringSubmatch(m)[1], 16, 32)
		return "acpi(" + strings.ToLower(eisaID(uint32(v))) + ","
	})
	return hexNumber.ReplaceAllStringFunc(s, func(m string) string {
		v, _ := strconv.ParseUint(m[2:], 16, 64)
		return strconv.FormatUint(v, 10)
	})
}

// firstInstance is the text of p up to its first end-of-instance node.
func firstInstance(p DevicePath) string {
	for i, n := range p {
		if n.IsEndInstance() {
			return p[:i].String()
		}
	}
	return p.String()
}

func readOracle(t *testing.T, name string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	return rows
}

func readValue(t testing.TB, base, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(base, rel))
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := ParseVariable(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEfivarOracleLoadOptions(t *testing.T) {
	base := testutil.Shared(t)
	rows := readOracle(t, "efivar-oracle-loadopt.tsv")
	var exact, partial int
	for _, r := range rows {
		if len(r) != 5 {
			t.Fatalf("bad oracle row %q", r)
		}
		o, err := ParseLoadOption(readValue(t, base, r[0]))
		if err != nil {
			t.Errorf("%s: %v", r[0], err)
			continue
		}
		if got := fmt.Sprintf("%#x", o.Attributes); got != r[1] {
			t.Errorf("%s: attributes %s, efivar %s", r[0], got, r[1])
		}
		if o.Description != r[2] {
			t.Errorf("%s: description %q, efivar %q", r[0], o.Description, r[2])
		}
		if got := strconv.Itoa(len(o.OptionalData)); got != r[4] {
			t.Errorf("%s: optional data %s bytes, efivar %s", r[0], got, r[4])
		}
		got := firstInstance(o.FilePaths[0])
		if g, w := normaliseDevicePathText(got), normaliseDevicePathText(r[3]); g != w {
			t.Errorf("%s: device path\n ours   %s\n efivar %s\n normalised %s vs %s", r[0], got, r[3], g, w)
		} else if strings.Contains(r[3], "IPv") {
			partial++
		} else {
			exact++
		}
	}
	t.Logf("%d load options agree with libefiboot (%d of them up to an IPv4/IPv6 node)", exact+partial, partial)
	if exact+partial != len(rows) || len(rows) < 40 {
		t.Errorf("only %d of %d rows compared", exact+partial, len(rows))
	}
}

func TestEfivarOracleDevicePaths(t *testing.T) {
	base := testutil.Shared(t)
	rows := readOracle(t, "efivar-oracle-devpath.tsv")
	for _, r := range rows {
		p, err := ParseDevicePath(readValue(t, base, r[0]))
		if err != nil {
			t.Errorf("%s: %v", r[0], err)
			continue
		}
		got := firstInstance(p)
		if g, w := normaliseDevicePathText(got), normaliseDevicePathText(r[1]); g != w {
			t.Errorf("%s: device path\n ours   %s\n efivar %s", r[0], got, r[1])
		}
	}
	t.Logf("%d console device paths agree with libefivar", len(rows))
}

// TestEfivarOracleLive rebuilds the oracle against the installed libefiboot
// (Debian packages libefiboot-dev and a C compiler) and checks that the
// recorded outputs are exactly what it prints today.
func TestEfivarOracleLive(t *testing.T) {
	base := testutil.Shared(t)
	cc, err := exec.LookPath("cc")
	if err != nil {
		testutil.SkipOrFail(t, "no C compiler for the efivar oracle: %v", err)
	}
	if _, err := os.Stat("/usr/include/efivar/efiboot.h"); err != nil {
		testutil.SkipOrFail(t, "libefiboot-dev not installed: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "efivar-oracle")
	src, _ := filepath.Abs(filepath.Join("testdata", "oracle", "efivar-oracle.c"))
	if out, err := exec.Command(cc, "-o", bin, src, "-lefiboot", "-lefivar").CombinedOutput(); err != nil {
		t.Fatalf("building the oracle: %v\n%s", err, out)
	}
	run := func(args ...string) []byte {
		cmd := exec.Command(bin, args...)
		cmd.Dir = base
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("oracle %v: %v", args, err)
		}
		return out
	}
	globRel := func(patterns ...string) []string {
		var files []string
		for _, p := range patterns {
			m, err := filepath.Glob(filepath.Join(base, p))
			if err != nil || len(m) == 0 {
				t.Fatalf("glob %s: %v", p, err)
			}
			for _, f := range m {
				rel, _ := filepath.Rel(base, f)
				files = append(files, rel)
			}
		}
		return files
	}
	outputs := map[string][]byte{
		"efivar-oracle-loadopt.tsv": run(globRel("efivars/foxboron-go-uefi/boot/*", "boots/ovmf-*/efivars/Boot0*", "boots/ovmf-*/efivars/PlatformRecovery*")...),
		"efivar-oracle-devpath.tsv": run(append([]string{"-p"}, globRel(
			"boots/ovmf-*/efivars/ConIn-*", "boots/ovmf-*/efivars/ConOut-*", "boots/ovmf-*/efivars/ErrOut-*",
			"boots/ovmf-*/efivars/ConInDev-*", "boots/ovmf-*/efivars/ConOutDev-*", "boots/ovmf-*/efivars/ErrOutDev-*")...)...),
	}
	for name, out := range outputs {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%s differs from what the oracle prints now; run go test -run EfivarOracleLive -update", name)
		}
	}
}
