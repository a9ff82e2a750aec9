// Package dmitest holds what the tests of package dmi and of its dmidecode
// printer share: the shared corpus's SMBIOS dumps and sysfs copies, and
// helpers to build inputs from them.
package dmitest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// Dumps returns the paths of the corpus's dumps (smbios/dumps/*.bin), each
// beside the dmidecode output it was compared with (NAME.dmidecode.txt).
func Dumps(tb testing.TB) []string {
	tb.Helper()
	dir := testutil.Shared(tb, "smbios", "dumps")
	ents, err := hostfile.NewRoot(dir).ReadDir(".")
	var m []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".bin") {
			m = append(m, filepath.Join(dir, e.Name()))
		}
	}
	if err != nil || len(m) == 0 {
		tb.Fatalf("no dumps in %s: %v", dir, err)
	}
	return m
}

// Dump returns the bytes of the corpus dump smbios/dumps/NAME.bin.
func Dump(tb testing.TB, name string) []byte {
	tb.Helper()
	return ReadFile(tb, filepath.Join(testutil.Shared(tb, "smbios", "dumps"), name+".bin"))
}

// ReadFile returns the bytes of p, failing tb when it cannot be read.
func ReadFile(tb testing.TB, p string) []byte {
	tb.Helper()
	b, err := hostfile.ReadFile(p, hostfile.LimitFirmware)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// SysfsDir is the folder of the corpus's copies of /sys/firmware/dmi/tables.
func SysfsDir(tb testing.TB) string {
	tb.Helper()
	return testutil.Shared(tb, "smbios", "sysfs")
}

// SysfsRoot builds a sysfs tree whose tablesDir (dmi.TablesDir, relative
// to the root) holds a copy of the corpus's tables name, and returns its
// root. A copy, not a link: an absolute link below a sysfs root resolves
// inside that root, as it would on the host.
func SysfsRoot(tb testing.TB, name, tablesDir string) string {
	tb.Helper()
	root := tb.TempDir()
	dst := filepath.Join(root, tablesDir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		tb.Fatal(err)
	}
	src := filepath.Join(SysfsDir(tb), name)
	ents, err := hostfile.NewRoot(src).ReadDir(".")
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		b := ReadFile(tb, filepath.Join(src, e.Name()))
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o444); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// WithChecksum sets b[idx] so that b[from:to] sums to 0, as entry point
// checksums require, and returns b.
func WithChecksum(b []byte, idx, from, to int) []byte {
	b[idx] = 0
	var s byte
	for _, c := range b[from:to] {
		s += c
	}
	b[idx] = -s
	return b
}
