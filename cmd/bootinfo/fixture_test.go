package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testutil"
)

// fixtureRoot builds the host tree every end-to-end test points the --path
// flags at: testdata/root, plus the UEFI variables and SMBIOS tables of one
// real OVMF boot from the shared corpus (linked, not copied) under sys.
func fixtureRoot(t *testing.T) string { return fixtureRootB(t) }

func fixtureRootB(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS("testdata/root")); err != nil {
		t.Fatal(err)
	}
	boot := testutil.Shared(t, "boots", "ovmf-q35-shellboot")
	efiDir := filepath.Join(dst, "sys", "firmware", "efi")
	if err := os.MkdirAll(filepath.Join(efiDir, "efivars"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(boot, "sys-firmware-efi-fw_platform_size"), filepath.Join(efiDir, "fw_platform_size")); err != nil {
		t.Fatal(err)
	}
	vars, err := os.ReadDir(filepath.Join(boot, "efivars"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		if err := os.Symlink(filepath.Join(boot, "efivars", v.Name()), filepath.Join(efiDir, "efivars", v.Name())); err != nil {
			t.Fatal(err)
		}
	}
	// The same machine's SMBIOS tables, as the kernel exported them.
	tables := testutil.Shared(t, "smbios", "sysfs", "qemu-ovmf-q35-shellboot")
	dmiDir := filepath.Join(dst, "sys", "firmware", "dmi", "tables")
	if err := os.MkdirAll(dmiDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		if err := os.Symlink(filepath.Join(tables, f), filepath.Join(dmiDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Clean(dst)
}
