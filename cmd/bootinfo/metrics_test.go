package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/promslog"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                              false,
		"gzip":                          true,
		"GZIP":                          true,
		"x-gzip":                        true,
		"identity":                      false,
		"deflate, gzip;q=0.5":           true,
		"gzip;q=0":                      false,
		"gzip; q=0.0, *":                false,
		"*":                             true,
		"*;q=0":                         false,
		"br;q=1.0, gzip;q=0.8, *;q=0.1": true,
		"gzip;q=bogus":                  false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

type funcCollector func(context.Context) (*collectors.Snapshot, error)

func (f funcCollector) Collect(ctx context.Context) (*collectors.Snapshot, error) { return f(ctx) }

// decode parses a /metrics response in whatever format it came, with the
// durations zeroed (they differ from scrape to scrape).
func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]*dto.MetricFamily {
	t.Helper()
	wire := rec.Body.Bytes()
	if cl := rec.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(wire)) {
		t.Errorf("Content-Length %s, body %d bytes", cl, len(wire))
	}
	raw := wire
	if rec.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		if raw, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	dec := expfmt.NewDecoder(bytes.NewReader(raw), expfmt.Format(rec.Header().Get("Content-Type")))
	fams := map[string]*dto.MetricFamily{}
	for {
		f := &dto.MetricFamily{}
		if err := dec.Decode(f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding %s: %v\n%s", rec.Header().Get("Content-Type"), err, raw)
		}
		if _, dup := fams[f.GetName()]; dup {
			t.Errorf("family %s twice", f.GetName())
		}
		if f.GetName() == "bootinfo_scrape_collector_duration_seconds" {
			for _, m := range f.GetMetric() {
				m.Gauge.Value = new(float64)
			}
		}
		fams[f.GetName()] = f
	}
	return fams
}

func scrape(t *testing.T, h http.Handler, accept, encoding string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("Accept %q Accept-Encoding %q: %d %s", accept, encoding, rec.Code, rec.Body)
	}
	return rec
}

// TestMetricsFormatsAgree: the text format spliced from cached blocks,
// plain and gzip, says the same as the client library's handler over the
// merged families (protobuf), for what Prometheus 2 and 3 ask for and for a
// bare curl; and a collector whose snapshot changes is seen to change.
func TestMetricsFormatsAgree(t *testing.T) {
	state := prometheus.NewDesc("bootinfo_test_unit_state", "A state set.", []string{"name", "state"}, nil)
	info := prometheus.NewDesc("bootinfo_test_info", "Facts; value 1.", []string{"v"}, nil)
	counter := prometheus.NewDesc("bootinfo_test_restarts_total", "A counter.", []string{"name"}, nil)
	var restarts float64
	// Enough units for the block to pass packAt, so that it is kept
	// compressed and a plain scrape inflates it.
	names := []string{"a.service", "b.service", "c\"quoted\".service"}
	for i := range 1000 {
		names = append(names, fmt.Sprintf("unit-%04d.service", i))
	}
	units := funcCollector(func(context.Context) (*collectors.Snapshot, error) {
		r := restarts
		return &collectors.Snapshot{MetricsFunc: func() []prometheus.Metric {
			var ms []prometheus.Metric
			for _, n := range names {
				for _, st := range []string{"active", "failed"} {
					ms = append(ms, prometheus.MustNewConstMetric(state, prometheus.GaugeValue, 0, n, st))
				}
				ms = append(ms, prometheus.MustNewConstMetric(counter, prometheus.CounterValue, r, n))
			}
			return ms
		}}, nil
	})
	fixed := &collectors.Snapshot{Metrics: []prometheus.Metric{prometheus.MustNewConstMetric(info, prometheus.GaugeValue, 1, "x\ny")}}
	facts := funcCollector(func(context.Context) (*collectors.Snapshot, error) { return fixed, nil })
	failing := funcCollector(func(context.Context) (*collectors.Snapshot, error) { return nil, io.ErrUnexpectedEOF })
	set := collectors.NewSet(map[string]collectors.Collector{"units": units, "facts": facts, "broken": failing}, time.Minute, promslog.NewNopLogger())
	h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	const protobuf = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3"
	want := decode(t, scrape(t, h, protobuf, "gzip"))
	for _, f := range []string{"bootinfo_test_unit_state", "bootinfo_test_info", "bootinfo_test_restarts_total", "bootinfo_scrape_collector_success", "bootinfo_build_info"} {
		if want[f] == nil {
			t.Fatalf("protobuf scrape lacks %s", f)
		}
	}
	for _, tc := range []struct{ name, accept, encoding string }{
		{"curl", "", ""},
		{"curl --compressed", "*/*", "deflate, gzip, br, zstd"},
		{"prometheus 2", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "gzip"},
		{"prometheus 3", "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2", "gzip"},
	} {
		rec := scrape(t, h, tc.accept, tc.encoding)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		// Only the spliced body knows its length before writing it.
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("%s: Content-Length %q for a body of %d bytes (none: not served from the cached blocks)", tc.name, cl, rec.Body.Len())
		}
		if got := decode(t, rec); !cmp.Equal(want, got, protocmp.Transform()) {
			t.Errorf("%s: spliced text differs from merged families:\n%s", tc.name, cmp.Diff(want, got, protocmp.Transform()))
		}
	}
	restarts = 3
	got := decode(t, scrape(t, h, "", "gzip"))
	for _, m := range got["bootinfo_test_restarts_total"].GetMetric() {
		if m.GetCounter().GetValue() != 3 {
			t.Errorf("changed snapshot not served: %v", m)
		}
	}
}

// blockingGatherer counts its calls and holds each until released.
type blockingGatherer struct {
	calls   atomic.Int32
	release chan struct{}
}

func (g *blockingGatherer) Gather() ([]*dto.MetricFamily, error) {
	g.calls.Add(1)
	<-g.release
	return nil, nil
}

// TestSharedGatherCoalesces: scrapes that arrive while the agent's own
// metrics are being gathered share that gathering; the next one after it
// gathers anew.
func TestSharedGatherCoalesces(t *testing.T) {
	g := &blockingGatherer{release: make(chan struct{})}
	s := collectors.NewSharedGatherer(g)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.Block(); err != nil {
				t.Error(err)
			}
		})
	}
	for g.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// A gathering is in flight; let the other seven reach it before it ends.
	time.Sleep(50 * time.Millisecond)
	close(g.release)
	wg.Wait()
	if n := g.calls.Load(); n >= 8 {
		t.Errorf("8 concurrent scrapes gathered %d times, want them to share", n)
	}
	if _, err := s.Block(); err != nil || g.calls.Load() < 2 {
		t.Errorf("a later scrape did not gather anew (%d calls, %v)", g.calls.Load(), err)
	}
}
