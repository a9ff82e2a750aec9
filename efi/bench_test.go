package efi

import (
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// BenchmarkBootState reads and decodes a whole efivarfs tree, as one scrape
// of the firmware collector does.
func BenchmarkBootState(b *testing.B) {
	for _, set := range []struct{ name, dir string }{
		{"lenovo", ""},
		{"ovmf-nic", "ovmf-q35-shellboot-nic"},
	} {
		b.Run(set.name, func(b *testing.B) {
			var root string
			if set.dir == "" {
				root = lenovoSysfs(b)
			} else {
				root = fakeSysfs(b, "64\n", glob(b, filepath.Join(testutil.Shared(b, "boots", set.dir), "efivars", "*"))...)
			}
			fs := newFS(b, root)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fs.BootState(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseLoadOption decodes and renders every real load option.
func BenchmarkParseLoadOption(b *testing.B) {
	base := testutil.Shared(b, "efivars", "foxboron-go-uefi", "boot")
	var vals [][]byte
	for _, f := range glob(b, filepath.Join(base, "*")) {
		vals = append(vals, readValue(b, "", f))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range vals {
			o, err := ParseLoadOption(v)
			if err != nil {
				b.Fatal(err)
			}
			_ = o.DevicePath()
		}
	}
}
