package main

import (
	"context"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/prometheus/common/promslog"
)

// hrefRE finds the targets of the landing page's links.
var hrefRE = regexp.MustCompile(`(?i)<a\s[^>]*href="([^"]*)"`)

// TestLandingPageLinksAnswer follows every link of the landing page, for
// the default and a custom --web.telemetry-path: each must answer 200, and
// the page must link the metrics, the document and /healthz (README.md,
// "Endpoints"). Links to pages the agent does not serve (the exporter
// toolkit's /debug/pprof/ by default) fail it.
func TestLandingPageLinksAnswer(t *testing.T) {
	for _, telemetry := range []string{"/metrics", "/custom/metrics"} {
		t.Run(telemetry, func(t *testing.T) {
			set := collectors.NewSet(map[string]collectors.Collector{"host": funcCollector(func(context.Context) (*collectors.Snapshot, error) {
				return &collectors.Snapshot{Section: map[string]string{"hostname": "h"}}, nil
			})}, time.Minute, promslog.NewNopLogger())
			h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: telemetry, disableExporterMetrics: true})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			code, page := get(t, srv.URL+"/")
			if code != 200 {
				t.Fatalf("/: %d", code)
			}
			base, _ := url.Parse(srv.URL + "/")
			linked := map[string]bool{}
			for _, m := range hrefRE.FindAllStringSubmatch(page, -1) {
				ref, err := url.Parse(m[1])
				if err != nil {
					t.Errorf("link %q: %v", m[1], err)
					continue
				}
				u := base.ResolveReference(ref)
				if u.Host != base.Host {
					t.Errorf("link %q leaves the agent", m[1])
					continue
				}
				linked[u.Path] = true
				if code, body := get(t, u.String()); code != 200 {
					t.Errorf("link %q answers %d: %.80s", m[1], code, body)
				}
			}
			for _, p := range []string{telemetry, "/bootinfo", "/healthz"} {
				if !linked[p] {
					t.Errorf("the landing page does not link %s; it links %v", p, linked)
				}
			}
		})
	}
}
