package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
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

// benchUnit is one unit of unitsSection, shaped like the systemd section's
// units (name, states, a description, timestamps).
type benchUnit struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Load        string    `json:"load_state"`
	Active      string    `json:"active_state"`
	Sub         string    `json:"sub_state"`
	FileState   string    `json:"unit_file_state"`
	Restarts    int       `json:"restarts"`
	Entered     time.Time `json:"active_enter_timestamp"`
	Fragment    string    `json:"fragment_path"`
}

// unitsSnapshot is a snapshot shaped like the systemd collector's with n
// units: a section of about 400 bytes of JSON a unit and six series a unit,
// made on demand and keyed like systemd's.
func unitsSnapshot(n int) *collectors.Snapshot {
	state := prometheus.NewDesc("bootinfo_systemd_unit_state", "x", []string{"name", "state"}, nil)
	file := prometheus.NewDesc("bootinfo_systemd_unit_file_state", "x", []string{"name", "state"}, nil)
	units := make([]benchUnit, n)
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range units {
		name := fmt.Sprintf("lab-gen-%04d.service", i)
		units[i] = benchUnit{Name: name, Description: "Generated unit " + name + " of the load test's systemd lab",
			Load: "loaded", Active: "active", Sub: "running", FileState: "enabled", Entered: at.Add(time.Duration(i) * time.Millisecond),
			Fragment: "/run/systemd/generator/" + name}
	}
	return &collectors.Snapshot{
		Section: map[string]any{"units": units},
		MetricsFunc: func() []prometheus.Metric {
			var ms []prometheus.Metric
			for _, u := range units {
				for _, st := range []string{"active", "activating", "deactivating", "inactive", "failed"} {
					ms = append(ms, prometheus.MustNewConstMetric(state, prometheus.GaugeValue, boolValue(st == u.Active), u.Name, st))
				}
				ms = append(ms, prometheus.MustNewConstMetric(file, prometheus.GaugeValue, 1, u.Name, u.FileState))
			}
			return ms
		},
		MetricsKey: n,
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// BenchmarkScrapeConcurrent measures /metrics and /bootinfo under 64
// concurrent clients asking for gzip, as the soak's Go clients do, with
// the collectors that change between scrapes (host on the fixture root,
// kmsg following this machine's /dev/kmsg) beside an unchanging
// systemd-shaped collector of 1000 units. ns/op is the wall time per
// request of all clients together: the inverse of throughput.
func BenchmarkScrapeConcurrent(b *testing.B) {
	root := agent.FixtureRoot(b)
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		b.Skip("no /dev/kmsg")
	}
	logger := promslog.NewNopLogger()
	cfg := collectors.Config{Logger: logger, Paths: collectors.Paths{RootFS: root, ProcFS: root + "/proc", SysFS: root + "/sys", DevFS: "/dev", Boot: root + "/boot"}}
	cfg.Kmsg.Keep = collectors.DefaultKmsgKeep
	host, err := collectors.NewHostCollector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	km, err := collectors.NewKmsgCollector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	units := staticCollector{unitsSnapshot(1000)}
	set := collectors.NewSet(map[string]collectors.Collector{"host": host, "kmsg": km, "systemd": units}, 5*time.Second, logger)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	set.Run(ctx)
	h, err := newHandler(logger, set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/metrics", "/bootinfo"} {
		b.Run(path[1:], func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(64 / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rec := httptest.NewRecorder()
					req := httptest.NewRequest("GET", path, nil)
					req.Header.Set("Accept-Encoding", "gzip")
					h.ServeHTTP(rec, req)
					if rec.Code != 200 || rec.Body.Len() == 0 {
						b.Errorf("%s: %d, %d bytes", path, rec.Code, rec.Body.Len())
						return
					}
				}
			})
		})
	}
}
