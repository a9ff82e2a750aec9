package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/promslog"
)

// BenchmarkScrape measures one /metrics and one /bootinfo request, with the
// host and firmware collectors on a fixture root holding a real OVMF boot's
// variables: what a scrape costs once boot facts are cached.
func BenchmarkScrape(b *testing.B) {
	root := agent.FixtureRoot(b)
	enabled := map[string]*bool{}
	for _, f := range collectors.Factories() {
		on := f.Name == "host" || f.Name == "firmware"
		enabled[f.Name] = &on
	}
	o := options{enabled: enabled, timeout: 5 * time.Second}
	o.paths = collectors.Paths{RootFS: root, ProcFS: root + "/proc", SysFS: root + "/sys", DevFS: root + "/dev", Boot: root + "/boot"}
	o.collectorConfig.Paths = o.paths
	logger := promslog.NewNopLogger()
	set := buildSet(logger, o)
	h, err := newHandler(logger, set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/metrics", "/bootinfo"} {
		b.Run(path[1:], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}

// staticCollector returns one unchanging snapshot, as the systemd collector
// does between two changes of the manager.
type staticCollector struct{ snap *collectors.Snapshot }

func (s staticCollector) Collect(context.Context) (*collectors.Snapshot, error) { return s.snap, nil }

// BenchmarkScrapeUnchangedUnits measures /metrics over a collector whose
// snapshot holds n units' worth of series (five state series each plus one
// unit file state, about what the systemd collector exports) and does not
// change between scrapes.
func BenchmarkScrapeUnchangedUnits(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			state := prometheus.NewDesc("bootinfo_systemd_unit_state", "x", []string{"name", "state"}, nil)
			file := prometheus.NewDesc("bootinfo_systemd_unit_file_state", "x", []string{"name", "state"}, nil)
			var ms []prometheus.Metric
			for i := 0; i < n; i++ {
				name := fmt.Sprintf("lab-gen-%04d.service", i)
				for _, st := range []string{"active", "activating", "deactivating", "inactive", "failed"} {
					ms = append(ms, prometheus.MustNewConstMetric(state, prometheus.GaugeValue, 0, name, st))
				}
				ms = append(ms, prometheus.MustNewConstMetric(file, prometheus.GaugeValue, 1, name, "enabled"))
			}
			set := collectors.NewSet(map[string]collectors.Collector{"systemd": staticCollector{&collectors.Snapshot{Metrics: ms}}}, 5*time.Second, promslog.NewNopLogger())
			h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", "/metrics", nil)
				req.Header.Set("Accept-Encoding", "gzip")
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
