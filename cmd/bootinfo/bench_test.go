package main

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/prometheus/common/promslog"
)

// BenchmarkScrape measures one /metrics and one /bootinfo request, with the
// host and firmware collectors on a fixture root holding a real OVMF boot's
// variables: what a scrape costs once boot facts are cached.
func BenchmarkScrape(b *testing.B) {
	root := fixtureRootB(b)
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
