package grub

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// compareVersionsCases are RPM's own documented comparisons (rpm's
// tests/rpmvercmp.at); the oracle test checks them against rpm itself.
var compareVersionsCases = []struct {
	a, b string
	want int
}{
	{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0", "1.0", 1},
	{"2.0.1", "2.0.1", 0}, {"2.0", "2.0.1", -1}, {"2.0.1", "2.0", 1},
	{"2.0.1a", "2.0.1a", 0}, {"2.0.1a", "2.0.1", 1}, {"2.0.1", "2.0.1a", -1},
	{"5.5p1", "5.5p1", 0}, {"5.5p1", "5.5p2", -1}, {"5.5p2", "5.5p1", 1},
	{"5.5p10", "5.5p10", 0}, {"5.5p1", "5.5p10", -1}, {"5.5p10", "5.5p1", 1},
	{"10xyz", "10.1xyz", -1}, {"10.1xyz", "10xyz", 1},
	{"xyz10", "xyz10", 0}, {"xyz10", "xyz10.1", -1}, {"xyz10.1", "xyz10", 1},
	{"xyz.4", "xyz.4", 0}, {"xyz.4", "8", -1}, {"8", "xyz.4", 1},
	{"xyz.4", "2", -1}, {"2", "xyz.4", 1},
	{"5.5p2", "5.6p1", -1}, {"5.6p1", "5.5p2", 1},
	{"5.6p1", "6.5p1", -1}, {"6.5p1", "5.6p1", 1},
	{"6.0.rc1", "6.0", 1}, {"6.0", "6.0.rc1", -1},
	{"10b2", "10a1", 1}, {"10a2", "10b2", -1},
	{"1.0aa", "1.0aa", 0}, {"1.0a", "1.0aa", -1}, {"1.0aa", "1.0a", 1},
	{"10.0001", "10.0001", 0}, {"10.0001", "10.1", 0}, {"10.1", "10.0001", 0},
	{"10.0001", "10.0039", -1}, {"10.0039", "10.0001", 1},
	{"4.999.9", "5.0", -1}, {"5.0", "4.999.9", 1},
	{"20101121", "20101121", 0}, {"20101121", "20101122", -1},
	{"2_0", "2_0", 0}, {"2.0", "2_0", 0}, {"2_0", "2.0", 0},
	{"a", "a", 0}, {"a+", "a+", 0}, {"a+", "a_", 0}, {"+a", "+a", 0},
	{"+a", "_a", 0}, {"+_", "_+", 0}, {"_+", "+_", 0}, {"_+", "_+", 0},
	{"1.0~rc1", "1.0~rc1", 0}, {"1.0~rc1", "1.0", -1}, {"1.0", "1.0~rc1", 1},
	{"1.0~rc1", "1.0~rc2", -1}, {"1.0~rc2", "1.0~rc1", 1},
	{"1.0~rc1~git123", "1.0~rc1~git123", 0}, {"1.0~rc1~git123", "1.0~rc1", -1},
	{"1.0^", "1.0^", 0}, {"1.0^", "1.0", 1}, {"1.0", "1.0^", -1},
	{"1.0^git1", "1.0^git1", 0}, {"1.0^git1", "1.0", 1}, {"1.0^git1", "1.0^git2", -1},
	{"1.0^git1", "1.01", -1}, {"1.0^20160101", "1.0.1", -1},
	{"1.0~rc1^git1", "1.0~rc1", 1}, {"1.0^git1~pre", "1.0^git1", -1},
	{"0-rescue-9af7b02ac08149d985841c07c8ff366e", "5.18.0", -1},
}

func TestCompareVersions(t *testing.T) {
	for _, c := range compareVersionsCases {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestCompareVersionsOracle checks every case, both ways round, against RPM's own
// rpm.vercmp (Debian package rpm), and a set of kernel version strings of
// the kind BLS entries carry.
func TestCompareVersionsOracle(t *testing.T) {
	bin, err := exec.LookPath("rpm")
	if err != nil {
		testutil.SkipOrFail(t, "rpm (Debian package rpm) not installed")
	}
	type pair struct{ a, b string }
	var pairs []pair
	for _, c := range compareVersionsCases {
		pairs = append(pairs, pair{c.a, c.b}, pair{c.b, c.a})
	}
	kernels := []string{"5.14.0-70.el9", "5.14.0-162.6.1.el9_1", "0-rescue-0123", "6.1.0-13-amd64",
		"6.1.0-rc7", "6.10.0-0.rc1.fc41", "4.18.0-553.el8_10", "4.18.0-80.el8", "5.18.0", "3.10.0-957.el7.x86_64"}
	for _, a := range kernels {
		for _, b := range kernels {
			pairs = append(pairs, pair{a, b})
		}
	}
	// One rpm run: a Lua loop printing each result on its own line.
	var lua strings.Builder
	lua.WriteString("%{lua:\n")
	for _, p := range pairs {
		fmt.Fprintf(&lua, "io.write(rpm.vercmp(%q, %q), \"\\n\")\n", p.a, p.b)
	}
	lua.WriteString("}")
	out, err := exec.Command(bin, "--eval", lua.String()).Output()
	if err != nil {
		t.Fatalf("rpm: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(pairs) {
		t.Fatalf("rpm printed %d results for %d pairs", len(lines), len(pairs))
	}
	for i, p := range pairs {
		want, _ := strconv.Atoi(lines[i])
		if got := CompareVersions(p.a, p.b); got != want {
			t.Errorf("CompareVersions(%q, %q) = %d, rpm says %d", p.a, p.b, got, want)
		}
	}
	t.Logf("%d comparisons agree with rpm", len(pairs))
}

func TestKernelRelease(t *testing.T) {
	for in, want := range map[string]string{
		"/boot/vmlinuz-6.1.0-27-amd64":            "6.1.0-27-amd64",
		"vmlinux-5.18.0":                          "5.18.0",
		"(hd0,gpt2)/kernel-3.10.0-957.el7.x86_64": "3.10.0-957.el7.x86_64",
		`\EFI\Linux\bzImage-6.6`:                  "6.6",
		"/boot/Image-6.1.0-rc7":                   "6.1.0-rc7",
		"/boot/config-7.0":                        "",
		"/boot/initrd.img-6.1.0-27-amd64":         "",
	} {
		if got := KernelRelease(in); got != want {
			t.Errorf("KernelRelease(%q) = %q, want %q", in, got, want)
		}
	}
}

// kernelSets are sets of installed kernel releases the tests of this
// package and of the collectors use.
var kernelSets = [][]string{
	{"6.1.0-9-amd64", "6.1.0-10-amd64", "5.10.0-28-amd64"},
	{"6.1.0-12-amd64", "6.1.0-13-amd64", "6.1.0-17-amd64", "6.1.0-18-amd64", "6.1.0-27-amd64"},
	{"6.1.0-13-amd64", "6.1.0-rc7", "6.1"},
	{"4.19.0-9-amd64", "4.9.0-3-amd64", "4.10.0-42-generic"},
	{"6.12.73+deb13-amd64", "6.1.0-27-amd64"},
	{"0-rescue-95c8409b55ce443baf15cad9e750348d", "3.10.0-957.el7.x86_64"},
	{"3.10.0-1127.el7.x86_64", "3.10.0-297.el7.x86_64", "3.10.0-957.el7.x86_64"},
	{"3.15.0-0.rc5.git2.10.fc21.x86_64", "3.15.0-0.rc7.git2.1.fc21.x86_64", "3.3.0-0.rc4.git1.4.fc17.x86_64"},
	{"5.14.0-70.el9", "5.14.0-162.6.1.el9_1", "4.18.0-553.el8_10"},
}

func TestNewestKernel(t *testing.T) {
	paths := []string{"/boot/vmlinuz-6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-10-amd64", "/boot/vmlinuz-5.10.0-28-amd64", "/boot/config-7.0"}
	if got := NewestKernel(paths); got != "6.1.0-10-amd64" {
		t.Errorf("NewestKernel = %q", got)
	}
	if got := NewestKernel([]string{"/boot/config-7.0"}); got != "" {
		t.Errorf("no kernel image: %q", got)
	}
}

// TestNewestKernelAgainstGrubMkconfig compares NewestKernel with the kernel
// grub-mkconfig puts first in the menu (version_find_latest of
// grub-mkconfig_lib, package grub-common, as 10_linux calls it) for the
// kernel sets above and for those installed in the shared corpus.
func TestNewestKernelAgainstGrubMkconfig(t *testing.T) {
	lib := "/usr/share/grub/grub-mkconfig_lib"
	if _, err := os.Stat(lib); err != nil {
		testutil.SkipOrFail(t, "grub-mkconfig_lib (package grub-common) not installed")
	}
	sets := append([][]string(nil), kernelSets...)
	layouts, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "grub", "u-root", "grub", "testdata_new"), "*"))
	for _, dir := range layouts {
		ks, _ := NewFS(dir).InstalledKernels()
		var rels []string
		for _, k := range ks {
			rels = append(rels, KernelRelease(k))
		}
		if len(rels) > 1 {
			sets = append(sets, rels)
		}
	}
	for _, set := range sets {
		var paths []string
		for _, rel := range set {
			paths = append(paths, "/boot/vmlinuz-"+rel)
		}
		out, err := exec.Command("sh", append([]string{"-c", `. "$0"; version_find_latest "$@"`, lib}, paths...)...).Output()
		if err != nil {
			t.Fatalf("%v: %v", set, err)
		}
		want := KernelRelease(strings.TrimSpace(string(out)))
		if got := NewestKernel(paths); got != want {
			t.Errorf("%v: NewestKernel %q, grub-mkconfig %q", set, got, want)
		}
	}
	t.Logf("%d kernel sets agree with grub-mkconfig", len(sets))
}
