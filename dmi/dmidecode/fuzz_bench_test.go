package dmidecode

import (
	"io"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
)

// FuzzWrite renders arbitrary dump-bin input with every option: it must never
// panic, whatever the table holds.
func FuzzWrite(f *testing.F) {
	for _, p := range dmitest.Dumps(f) {
		f.Add(dmitest.ReadFile(f, p))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, _ := dmi.ParseDumpBin(b)
		if tb == nil {
			return
		}
		src := Source{Table: tb, DumpFile: "f.bin"}
		for _, o := range []Options{{}, {Dump: true}, {Types: []int{4, 17}}} {
			if err := Write(io.Discard, src, o); err != nil {
				t.Fatal(err)
			}
		}
		for _, kw := range Keywords() {
			if _, err := String(tb, kw); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func BenchmarkRenderAllDumps(b *testing.B) {
	var tables []*dmi.Table
	size := 0
	for _, p := range dmitest.Dumps(b) {
		raw := dmitest.ReadFile(b, p)
		tb, _ := dmi.ParseDumpBin(raw)
		tables = append(tables, tb)
		size += len(raw)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, tb := range tables {
			if err := Write(io.Discard, Source{Table: tb, DumpFile: "x.bin"}, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
