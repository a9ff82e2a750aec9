package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/prometheus/common/promslog"
)

// waitingQuerier answers its section at once and every query only when
// gate closes, counting the queries that entered.
type waitingQuerier struct {
	gate    chan struct{}
	entered atomic.Int32
}

func (q *waitingQuerier) Collect(context.Context) (*collectors.Snapshot, error) {
	return &collectors.Snapshot{Section: map[string]int{"n": 1}}, nil
}

func (q *waitingQuerier) Query(ctx context.Context, path string, _ url.Values) (any, error) {
	q.entered.Add(1)
	select {
	case <-q.gate:
		return map[string]string{"path": path}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMaxRequestsBoundsBootinfo: --web.max-requests holds /bootinfo and
// /bootinfo/... as it holds /metrics: with that many requests in flight
// below /bootinfo, one more is refused with 503 at once (it never reaches
// the collector), while /metrics, limited on its own, still answers.
func TestMaxRequestsBoundsBootinfo(t *testing.T) {
	const limit = 3
	q := &waitingQuerier{gate: make(chan struct{})}
	set := collectors.NewSet(map[string]collectors.Collector{"q": q}, time.Minute, promslog.NewNopLogger())
	h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true, maxRequests: limit})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var once sync.Once
	open := func() { once.Do(func() { close(q.gate) }) }
	defer open() // before Close, which waits for the requests in flight

	codes := make(chan int, limit+1)
	for range limit {
		go func() {
			resp, err := http.Get(srv.URL + "/bootinfo/q/wait")
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	testutil.WaitFor(t, fmt.Sprintf("%d queries in flight", limit), func() error {
		select {
		case c := <-codes:
			t.Fatalf("a request within the limit returned %d before the gate opened", c)
		default:
		}
		if n := q.entered.Load(); n != limit {
			return fmt.Errorf("%d in flight", n)
		}
		return nil
	})

	// One more query: refused, or (the defect) let through to the collector.
	extra := make(chan int, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/bootinfo/q/wait")
		if err != nil {
			extra <- 0
			return
		}
		resp.Body.Close()
		extra <- resp.StatusCode
	}()
	testutil.WaitFor(t, "the request over the limit to be answered", func() error {
		select {
		case c := <-extra:
			if c != http.StatusServiceUnavailable {
				t.Fatalf("request over the limit: %d, want 503", c)
			}
			return nil
		default:
		}
		if n := q.entered.Load(); n > limit {
			t.Fatalf("%d queries reached the collector with --web.max-requests=%d", n, limit)
		}
		return errors.New("not answered yet")
	})
	for _, path := range []string{"/bootinfo", "/bootinfo/q", "/bootinfo?pretty"} {
		code, body := get(t, srv.URL+path)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "Limit of concurrent requests reached (3)") || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s with the limit reached: %d %s, want a JSON 503", path, code, body)
		}
	}
	if code, body := get(t, srv.URL+"/metrics"); code != 200 {
		t.Errorf("/metrics while /bootinfo is at its limit: %d %s", code, body)
	}
	if code, _ := get(t, srv.URL+"/healthz"); code != 200 {
		t.Errorf("/healthz while /bootinfo is at its limit: %d", code)
	}

	open()
	for range limit {
		if c := <-codes; c != 200 {
			t.Errorf("request within the limit: %d", c)
		}
	}
	if code, body := get(t, srv.URL+"/bootinfo/q"); code != 200 {
		t.Errorf("after the limit cleared: %d %s", code, body)
	}
}

// TestMaxRequestsBoundsMetricsEveryFormat: the /metrics limit holds for
// the protobuf format too, served by the client library's handler.
func TestMaxRequestsBoundsMetricsEveryFormat(t *testing.T) {
	gate := make(chan struct{})
	var entered atomic.Int32
	slow := funcCollector(func(ctx context.Context) (*collectors.Snapshot, error) {
		entered.Add(1)
		<-gate
		return &collectors.Snapshot{Section: 1}, nil
	})
	set := collectors.NewSet(map[string]collectors.Collector{"slow": slow}, time.Minute, promslog.NewNopLogger())
	h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true, maxRequests: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	defer open()
	done := make(chan int, 1)
	go func() {
		code, _ := get(t, srv.URL+"/metrics")
		done <- code
	}()
	testutil.WaitFor(t, "the first scrape to reach the collector", func() error {
		if entered.Load() == 0 {
			return errors.New("not yet")
		}
		return nil
	})
	proto := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
		req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			proto <- 0
			return
		}
		resp.Body.Close()
		proto <- resp.StatusCode
	}()
	// Let through, it would wait for the collection in flight: the wait
	// ends only at the test's -timeout.
	testutil.WaitFor(t, "the protobuf scrape over the limit to be refused", func() error {
		select {
		case c := <-proto:
			if c != http.StatusServiceUnavailable {
				t.Errorf("protobuf scrape over the limit: %d, want 503", c)
			}
			return nil
		default:
			return errors.New("not answered")
		}
	})
	open()
	if c := <-done; c != 200 {
		t.Errorf("first scrape: %d", c)
	}
}

// TestHealthListenerServesOnlyHealthz: the --web.health-address mux
// answers /healthz and nothing else.
func TestHealthListenerServesOnlyHealthz(t *testing.T) {
	srv := httptest.NewServer(onlyGetHead(healthMux()))
	defer srv.Close()
	if code, body := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	for _, p := range []string{"/metrics", "/bootinfo", "/bootinfo/host", "/"} {
		if code, _ := get(t, srv.URL+p); code != 404 {
			t.Errorf("health listener serves %s: %d, want 404", p, code)
		}
	}
}

// TestUnitNamesSystemdCannotCarry: /bootinfo/systemd/units/NAME answers 400
// for a name D-Bus cannot carry or systemd would refuse, whatever the state
// of the connection, instead of 503 "disconnected"; a well-formed name is
// passed on (503 here, with no manager to ask).
func TestUnitNamesSystemdCannotCarry(t *testing.T) {
	sc, err := collectors.NewSystemdCollector(collectors.Config{Logger: promslog.NewNopLogger(), Systemd: collectors.SystemdConfig{
		Address: "unix:path=" + t.TempDir() + "/no-manager", Timeout: time.Second, Include: ".+", Exclude: "^$",
	}})
	if err != nil {
		t.Fatal(err)
	}
	set := collectors.NewSet(map[string]collectors.Collector{"systemd": sc}, 5*time.Second, promslog.NewNopLogger())
	h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for path, want := range map[string]int{
		"a%00.service":                        400,
		"%ff.service":                         400,
		"a%20b.service":                       400,
		"foo@.service":                        400,
		"nosuffix":                            400,
		"x.nosuchtype":                        400,
		strings.Repeat("a", 300) + ".service": 400,
		"web.service":                         503,
	} {
		code, body := get(t, srv.URL+"/bootinfo/systemd/units/"+path)
		if code != want {
			t.Errorf("units/%.40s: %d %s, want %d", path, code, body, want)
		}
		if want == 400 && !strings.Contains(body, "unit name") {
			t.Errorf("units/%.40s: %s does not say what is wrong", path, body)
		}
	}
}
