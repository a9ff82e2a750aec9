package collectors

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/promslog"
)

// benchSet is a Set over this machine's host facts and kernel log
// (followed, as in serve) and an unchanging collector of n units' series
// keyed like systemd's: the collectors /metrics serves under load.
func benchSet(b *testing.B, n int) *Set {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		b.Skip("no /dev/kmsg")
	}
	logger := promslog.NewNopLogger()
	cfg := Config{Logger: logger, Paths: Paths{RootFS: "/", ProcFS: "/proc", DevFS: "/dev"}}
	host, err := NewHostCollector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	km, err := NewKmsgCollector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	state := prometheus.NewDesc("bootinfo_systemd_unit_state", "x", []string{"name", "state"}, nil)
	var ms []prometheus.Metric
	for i := 0; i < n; i++ {
		for _, st := range []string{"active", "activating", "deactivating", "inactive", "failed"} {
			ms = append(ms, prometheus.MustNewConstMetric(state, prometheus.GaugeValue, 0, fmt.Sprintf("lab-gen-%04d.service", i), st))
		}
	}
	units := &Snapshot{Metrics: ms, MetricsKey: n}
	s := NewSet(map[string]Collector{
		"host": host, "kmsg": km,
		"systemd": funcCollector(func(context.Context) (*Snapshot, error) { return units, nil }),
	}, 5*time.Second, logger)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	s.Run(ctx)
	return s
}

// BenchmarkExposition measures Set.Exposition one scrape at a time, and
// with 64 scrapes at once (ns/op is then the wall time per scrape of all
// together).
func BenchmarkExposition(b *testing.B) {
	s := benchSet(b, 1000)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Exposition(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel64", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(64 / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Exposition(context.Background()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
