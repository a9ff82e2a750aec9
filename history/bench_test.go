package history

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkParseFile(b *testing.B) {
	base := loadRecord(b, "r640-base")
	var rs []Record
	for i := range 50 {
		r := base.clone()
		r.BootID = fmt.Sprintf("boot-%03d", i)
		rs = append(rs, r)
	}
	data, err := MarshalFile(rs)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFile(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiff(b *testing.B) {
	prev, cur := loadRecord(b, "r640-kernel-upgrade"), loadRecord(b, "r640-host-moved")
	b.ReportAllocs()
	for b.Loop() {
		Diff(prev, cur)
	}
}

// BenchmarkStoreRecord includes the fsyncs of an atomic write, so it
// measures the disk under the test's temporary directory as much as the code.
func BenchmarkStoreRecord(b *testing.B) {
	s, err := Open(b.TempDir(), 10)
	if err != nil {
		b.Fatal(err)
	}
	r := loadRecord(b, "r640-base")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.BootID = fmt.Sprintf("boot-%d", i)
		r.BootTime = r.BootTime.Add(time.Hour)
		i++
		if _, err := s.Record(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreviousBootEndEFI(b *testing.B) {
	dir, _ := stageCapture(b, "efi-6.1.0-56")
	prev := &Record{BootID: "x", BootTime: time.Unix(1795609900, 0)}
	b.ReportAllocs()
	for b.Loop() {
		if e := PreviousBootEnd(prev, dir); e.State != EndCrashed {
			b.Fatal(e)
		}
	}
}
