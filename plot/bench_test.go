package plot

import (
	"fmt"
	"io"
	"testing"

	"github.com/bootinfo/bootinfo/systemd"
)

// BenchmarkSVG5000Units draws a host with 5,000 units that all took time
// to start, of which the default number, the slowest, are drawn: the cost
// of one /bootinfo/plot.svg from a snapshot in hand.
func BenchmarkSVG5000Units(b *testing.B) {
	bt := systemd.BootTimes{FirmwareUSec: 3_000_000, LoaderUSec: 1_000_000, InitRDUSec: 900_000, UserspaceUSec: 2_000_000, FinishUSec: 30_000_000, SecurityStartUSec: 1}
	units := map[string][4]uint64{}
	for i := range 5000 {
		start := bt.UserspaceUSec + uint64(i)*5_000
		units[fmt.Sprintf("unit-%04d.service", i)] = [4]uint64{start, start + uint64(i*7919%100_000) + 1, 0, 0}
	}
	s := systemSnapshot(bt, units)
	if len(s.Blame) != 5000 {
		b.Fatalf("blame has %d units", len(s.Blame))
	}
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		w := &countWriter{}
		if err := SVG(w, NewInput(s, nil, DefaultSlowest)); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(size), "bytes/svg")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)
