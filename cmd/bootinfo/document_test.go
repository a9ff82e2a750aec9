package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/promslog"
)

// answerCollector has a section and answers every query with answer.
type answerCollector struct {
	section any
	answer  any
}

func (a answerCollector) Collect(context.Context) (*collectors.Snapshot, error) {
	return &collectors.Snapshot{Section: a.section}, nil
}

func (a answerCollector) Query(context.Context, string, url.Values) (any, error) {
	return a.answer, nil
}

// rawClient keeps what the server sent: no transparent gzip decoding.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// response is one answer as it came over the wire, with its body decoded.
type response struct {
	status int
	header http.Header
	body   string
}

// fetch GETs base+path, asking for gzip when gz is set, and checks what
// every answer must hold: a JSON content type, a Content-Length that is
// the body's, a gzip body only when asked for, and never a 200 with an
// empty body.
func fetch(t *testing.T, base, path string, gz bool) response {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	wire, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(wire)) {
		t.Errorf("%s: Content-Length %q, body %d bytes", path, cl, len(wire))
	}
	body := wire
	switch ce := resp.Header.Get("Content-Encoding"); {
	case ce == "gzip" && gz:
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		zr.Multistream(false)
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	case ce != "":
		t.Errorf("%s: Content-Encoding %q, gzip asked for: %v", path, ce, gz)
	}
	if resp.StatusCode == http.StatusOK && len(body) == 0 {
		t.Errorf("%s: 200 with an empty body", path)
	}
	return response{resp.StatusCode, resp.Header, string(body)}
}

// encoderOutput is v as encoding/json's Encoder writes it: what these
// endpoints wrote before they spliced cached sections.
func encoderOutput(t *testing.T, v any, pretty bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestJSONEndpointsAsEncoderWrites: /bootinfo, /bootinfo/SECTION, their
// errors and query answers are, plain, gzipped and ?pretty, byte for byte
// what json.Encoder writes for the same values; /bootinfo and sections come
// gzipped whenever asked, answers made per request only when large enough
// to gain from it.
func TestJSONEndpointsAsEncoderWrites(t *testing.T) {
	root := agent.BareFixtureRoot(t)
	host, err := collectors.NewHostCollector(collectors.Config{Paths: collectors.Paths{RootFS: root, ProcFS: filepath.Join(root, "proc")}})
	if err != nil {
		t.Fatal(err)
	}
	records := make([]map[string]any, 50)
	for i := range records {
		records[i] = map[string]any{"seq": i, "message": fmt.Sprintf("record <%d> & \u2028 more", i)}
	}
	// A section large enough to be kept only compressed (see
	// collectors.Block), which plain and ?pretty answers inflate.
	big := make([]string, 2000)
	for i := range big {
		big[i] = fmt.Sprintf("unit-%04d.service <active> & running", i)
	}
	set := collectors.NewSet(map[string]collectors.Collector{
		"host":  host,
		"big":   answerCollector{section: big},
		"q":     answerCollector{section: map[string]string{"html": "<b>&</b>"}, answer: map[string]any{"records": records}},
		"small": answerCollector{section: 1, answer: map[string]int{"n": 1}},
		"partial": funcCollector(func(context.Context) (*collectors.Snapshot, error) {
			return &collectors.Snapshot{Section: []int{1}}, errors.New("half")
		}),
		"broken": funcCollector(func(context.Context) (*collectors.Snapshot, error) { return nil, errors.New("no <source>") }),
	}, time.Minute, promslog.NewNopLogger())
	h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	outcomes := set.Gather(context.Background())
	section := func(name string) any {
		for _, o := range outcomes {
			if o.Name == name {
				return o.Snapshot.Section
			}
		}
		t.Fatalf("no section %s", name)
		return nil
	}
	for _, tc := range []struct {
		path       string
		status     int
		want       any
		gzipAlways bool // served from cached blocks
	}{
		{"/bootinfo", 200, collectors.NewDocument(outcomes), true},
		{"/bootinfo/host", 200, section("host"), true},
		{"/bootinfo/big", 200, big, true},
		{"/bootinfo/q", 200, section("q"), true},
		{"/bootinfo/small", 200, 1, true},
		{"/bootinfo/partial", 200, []int{1}, true},
		{"/bootinfo/q/records", 200, map[string]any{"records": records}, false},
		{"/bootinfo/small/n", 200, map[string]int{"n": 1}, false},
		{"/bootinfo/broken", 503, map[string]string{"error": "no <source>"}, false},
		{"/bootinfo/nosuch", 404, map[string]string{"error": "no such section: nosuch", "sections": "big,broken,host,partial,q,small"}, false},
	} {
		for _, pretty := range []bool{false, true} {
			path := tc.path
			if pretty {
				path += "?pretty"
			}
			want := encoderOutput(t, tc.want, pretty)
			for _, gz := range []bool{false, true} {
				r := fetch(t, srv.URL, path, gz)
				if r.status != tc.status || r.body != want {
					t.Errorf("%s (gzip %v): %d, want %d; body:\n%s", path, gz, r.status, tc.status, cmp.Diff(want, r.body))
				}
				wantGzip := gz && (tc.gzipAlways && !pretty || len(want) >= minGzip)
				if got := r.header.Get("Content-Encoding") == "gzip"; got != wantGzip {
					t.Errorf("%s (gzip %v, %d bytes): gzipped %v", path, gz, len(want), got)
				}
			}
		}
	}
}

// TestJSONEncodeFailureIs500: a section or an answer JSON has no form for
// (a time past year 9999, as logind could once hand the document; NaN) is
// answered 500 with the reason, and logged, never 200 with a body cut
// short; the whole document is served without that section, naming it in
// its errors, and the other sections are still served.
func TestJSONEncodeFailureIs500(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	year10000 := struct {
		At time.Time `json:"at"`
	}{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	set := collectors.NewSet(map[string]collectors.Collector{
		"bad": answerCollector{section: year10000, answer: map[string]float64{"x": math.NaN()}},
		"ok":  answerCollector{section: "fine"},
	}, time.Minute, logger)
	h, err := newHandler(logger, set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for path, want := range map[string]string{
		"/bootinfo/bad":      "cannot encode the section: encoding section bad: json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]",
		"/bootinfo/bad/item": "cannot encode the answer: json: unsupported value: NaN",
	} {
		for _, gz := range []bool{false, true} {
			r := fetch(t, srv.URL, path, gz)
			var body map[string]string
			if err := json.Unmarshal([]byte(r.body), &body); err != nil || r.status != http.StatusInternalServerError || body["error"] != want {
				t.Errorf("%s (gzip %v): %d %q (%v), want 500 saying %q", path, gz, r.status, r.body, err, want)
			}
		}
	}
	// The whole document leaves the section out and says why.
	for _, path := range []string{"/bootinfo", "/bootinfo?pretty"} {
		for _, gz := range []bool{false, true} {
			r := fetch(t, srv.URL, path, gz)
			var doc struct {
				OK     string            `json:"ok"`
				Bad    any               `json:"bad"`
				Errors map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(r.body), &doc); err != nil || r.status != 200 || doc.OK != "fine" || doc.Bad != nil ||
				doc.Errors["bad"] != "cannot encode the section: encoding section bad: json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]" {
				t.Errorf("%s (gzip %v): %d %q (%v), want 200 without bad, saying why in errors", path, gz, r.status, r.body, err)
			}
		}
	}
	for _, msg := range []string{"cannot encode a section of the document", "cannot encode a section", "cannot encode the answer"} {
		if !strings.Contains(logs.String(), "level=ERROR msg=\""+msg) {
			t.Errorf("not logged: %q\n%s", msg, &logs)
		}
	}
	if r := fetch(t, srv.URL, "/bootinfo/ok", true); r.status != 200 || r.body != "\"fine\"\n" {
		t.Errorf("/bootinfo/ok beside it: %d %q", r.status, r.body)
	}
}
