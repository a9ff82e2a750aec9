package dmi

import (
	"os"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
)

// largestDump returns the bytes of the biggest corpus dump.
func largestDump(b *testing.B) []byte {
	var best []byte
	for _, p := range dmitest.Dumps(b) {
		fi, err := os.Stat(p)
		if err == nil && int(fi.Size()) > len(best) {
			best = dmitest.ReadFile(b, p)
		}
	}
	return best
}

func BenchmarkParseLargestDump(b *testing.B) {
	raw := largestDump(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDumpBin(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSummaryLargestDump(b *testing.B) {
	tb, err := ParseDumpBin(largestDump(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tb.Summary(); err != nil {
			b.Fatal(err)
		}
	}
}
