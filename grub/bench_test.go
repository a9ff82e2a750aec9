package grub

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// largestConfig returns the largest grub.cfg in the shared corpus.
func largestConfig(b *testing.B) (string, []byte) {
	base := testutil.Shared(b, "grub")
	var best string
	var data []byte
	_ = filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && (filepath.Ext(p) == ".cfg" || filepath.Dir(p) == filepath.Join(base, "grubby")) &&
			filepath.Base(p) != "loader.conf" && fi.Size() > int64(len(data)) {
			if d, err := os.ReadFile(p); err == nil {
				best, data = p, d
			}
		}
		return nil
	})
	return best, data
}

func BenchmarkParseConfigLargest(b *testing.B) {
	name, data := largestConfig(b)
	b.Logf("%s, %d bytes", name, len(data))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseConfig(data, ConfigOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEnv(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "mkconfig", "saved-path.grubenv"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEnv(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	_, data := largestConfig(b)
	cfg, _ := ParseConfig(data, ConfigOptions{})
	b.ReportAllocs()
	for b.Loop() {
		Resolve(cfg, LoaderVars{})
	}
}
