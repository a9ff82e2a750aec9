package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// BareFixtureRoot returns a fresh copy of this package's testdata/root, a
// host tree for the --path flags that the test may change: what the host
// collector reads, and empty sys, dev and boot.
func BareFixtureRoot(tb testing.TB) string {
	tb.Helper()
	dst := tb.TempDir()
	src := filepath.Join(testutil.RepoRoot(tb), "internal", "testing", "agent", "testdata", "root")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		tb.Fatal(err)
	}
	return filepath.Clean(dst)
}

// FixtureRoot returns a fresh BareFixtureRoot plus the UEFI variables and
// SMBIOS tables of one real OVMF boot from the shared corpus (copied).
func FixtureRoot(tb testing.TB) string {
	tb.Helper()
	dst := BareFixtureRoot(tb)
	boot := testutil.Shared(tb, "boots", "ovmf-q35-shellboot")
	// The same machine's SMBIOS tables, as the kernel exported them.
	tables := testutil.Shared(tb, "smbios", "sysfs", "qemu-ovmf-q35-shellboot")
	links := map[string]string{
		"sys/firmware/efi/fw_platform_size":          filepath.Join(boot, "sys-firmware-efi-fw_platform_size"),
		"sys/firmware/dmi/tables/smbios_entry_point": filepath.Join(tables, "smbios_entry_point"),
		"sys/firmware/dmi/tables/DMI":                filepath.Join(tables, "DMI"),
	}
	vars, err := os.ReadDir(filepath.Join(boot, "efivars"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, v := range vars {
		links["sys/firmware/efi/efivars/"+v.Name()] = filepath.Join(boot, "efivars", v.Name())
	}
	for name, target := range links {
		p := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		// A copy, not a link: an absolute link below a --path root
		// resolves inside that root, as it would on the host.
		b, err := os.ReadFile(target)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dst
}
