package kmsg

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// benchRecords returns the raw records of the shared corpus with distinct
// sequence numbers.
func benchRecords(b *testing.B) [][]byte {
	recs := corpusRecords(b)
	if len(recs) == 0 {
		b.Skip("shared corpus not available")
	}
	return recs
}

// BenchmarkParseRecord decodes real records one at a time, as the device
// reader does after each read(2).
func BenchmarkParseRecord(b *testing.B) {
	recs := benchRecords(b)
	var total int
	for _, r := range recs {
		total += len(r)
	}
	b.ReportAllocs()
	b.SetBytes(int64(total / len(recs)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseRecord(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// ringCapture builds a capture of about size bytes (a full kernel log
// buffer) from the corpus records, in the newline or NUL form.
func ringCapture(b *testing.B, size int, sep byte) ([]byte, int) {
	recs := benchRecords(b)
	var buf bytes.Buffer
	n := 0
	for seq := uint64(0); buf.Len() < size; seq++ {
		r, err := ParseRecord(recs[int(seq)%len(recs)])
		if err != nil {
			b.Fatal(err)
		}
		r.Seq = seq
		raw := formatRecord(r)
		if sep == 0 {
			raw = append(raw, 0)
		}
		buf.Write(raw)
		n++
	}
	return buf.Bytes(), n
}

// BenchmarkReadFullRing reads a capture file the size of a 1 MiB kernel
// log buffer (CONFIG_LOG_BUF_SHIFT=20) through CaptureReader and Summary:
// one op is one full buffer.
func BenchmarkReadFullRing(b *testing.B) {
	for _, form := range []struct {
		name string
		sep  byte
	}{{"newline", '\n'}, {"nul", 0}} {
		b.Run(form.name, func(b *testing.B) {
			capture, n := ringCapture(b, 1<<20, form.sep)
			path := filepath.Join(b.TempDir(), "capture")
			if err := os.WriteFile(path, capture, 0o600); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(capture)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				s := NewSummary()
				got := 0
				for r, err := range NewCaptureReader(f).All() {
					if err != nil {
						b.Fatal(err)
					}
					s.Add(r)
					got++
				}
				f.Close()
				if got != n {
					b.Fatalf("read %d of %d records", got, n)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(n), "records/ring")
		})
	}
}

// BenchmarkFollowFlood is what a follower does per record in a flood:
// decode, count in the Summary, keep in a bounded Ring. One op is one
// record; allocs/op is the allocation per record.
func BenchmarkFollowFlood(b *testing.B) {
	recs := benchRecords(b)
	s := NewSummary()
	g := NewRing(1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := ParseRecord(recs[i%len(recs)])
		if err != nil {
			b.Fatal(err)
		}
		r.Seq = uint64(i)
		s.Add(r)
		g.Add(r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkClassify runs the problem classifier alone, one record per op:
// over the real boots' kernel records (ordinary lines, as most of a log
// is) and over the classification cases (problem lines and their
// neighbours).
func BenchmarkClassify(b *testing.B) {
	var boots, cases []Record
	for _, raw := range benchRecords(b) {
		r, err := ParseRecord(raw)
		if err != nil {
			b.Fatal(err)
		}
		if r.Facility == FacilityKern {
			boots = append(boots, r)
		}
	}
	for _, tc := range classifyCases {
		cases = append(cases, Record{Facility: FacilityKern, Level: LevelErr, Message: tc.msg})
	}
	for _, set := range []struct {
		name string
		recs []Record
	}{{"boots", boots}, {"cases", cases}} {
		b.Run(set.name, func(b *testing.B) {
			var c classifier
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := set.recs[i%len(set.recs)]
				r.Seq = uint64(i)
				r.TimestampUsec = uint64(i) * 1000
				c.classify(r)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
