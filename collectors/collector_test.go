package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/promslog"
)

type funcCollector func(ctx context.Context) (*Snapshot, error)

func (f funcCollector) Collect(ctx context.Context) (*Snapshot, error) { return f(ctx) }

var testDesc = prometheus.NewDesc("bootinfo_test_value", "test", nil, nil)

func okCollector(v float64) Collector {
	return funcCollector(func(context.Context) (*Snapshot, error) {
		return &Snapshot{Section: map[string]float64{"v": v}, Metrics: []prometheus.Metric{
			prometheus.MustNewConstMetric(testDesc, prometheus.GaugeValue, v),
		}}, nil
	})
}

// TestSetHungCollectorDoesNotBlockOthers: a collector that never returns is
// reported as timed out, the others are served, and repeated gatherings do
// not pile up copies of the hung collection: each one past its deadline is
// abandoned, and at most MaxBlocked are left running.
func TestSetHungCollectorDoesNotBlockOthers(t *testing.T) {
	var started atomic.Int32
	release := make(chan struct{})
	defer close(release)
	hung := funcCollector(func(ctx context.Context) (*Snapshot, error) {
		started.Add(1)
		<-release // ignores ctx, as a buggy source might
		return nil, nil
	})
	s := NewSet(map[string]Collector{"good": okCollector(7), "hung": hung}, 50*time.Millisecond, promslog.NewNopLogger())
	for i := 0; i < 5; i++ {
		out := s.Gather(context.Background())
		if len(out) != 2 || out[0].Name != "good" || out[1].Name != "hung" {
			t.Fatalf("outcomes = %+v", out)
		}
		if out[0].Err != nil || out[0].Snapshot == nil {
			t.Errorf("good collector: %+v", out[0])
		}
		if !errors.Is(out[1].Err, ErrTimeout) {
			t.Errorf("hung collector error = %v, want ErrTimeout", out[1].Err)
		}
	}
	if n := started.Load(); n != MaxBlocked {
		t.Errorf("hung collector started %d times in 5 gatherings, want %d (one fresh attempt per deadline, up to MaxBlocked)", n, MaxBlocked)
	}
}

func TestSetPanicIsAnError(t *testing.T) {
	p := funcCollector(func(context.Context) (*Snapshot, error) { panic("firmware lied") })
	s := NewSet(map[string]Collector{"p": p, "good": okCollector(1)}, time.Minute, promslog.NewNopLogger())
	out := s.Gather(context.Background())
	if out[1].Err == nil || !strings.Contains(out[1].Err.Error(), "firmware lied") {
		t.Errorf("panic error = %v", out[1].Err)
	}
	if out[0].Err != nil {
		t.Errorf("good collector failed: %v", out[0].Err)
	}
}

func TestSetConcurrentCallersShareOneCollection(t *testing.T) {
	var calls atomic.Int32
	gate := make(chan struct{})
	slow := funcCollector(func(context.Context) (*Snapshot, error) {
		calls.Add(1)
		<-gate
		return &Snapshot{Section: "x"}, nil
	})
	s := NewSet(map[string]Collector{"slow": slow}, time.Minute, promslog.NewNopLogger())
	var wg sync.WaitGroup
	results := make([]Outcome, 8)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = s.Gather(context.Background())[0] }()
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the other callers join
	close(gate)
	wg.Wait()
	for _, r := range results {
		if r.Err != nil || r.Snapshot == nil || r.Snapshot.Section != "x" {
			t.Errorf("outcome %+v", r)
		}
	}
	if n := calls.Load(); n < 1 || n > 8 {
		t.Errorf("collect called %d times", n)
	}
}

func TestSetMetricsAndDocumentAgree(t *testing.T) {
	failing := funcCollector(func(context.Context) (*Snapshot, error) {
		return &Snapshot{Section: map[string]string{"partial": "yes"}}, errors.New("half broken")
	})
	s := NewSet(map[string]Collector{"a": okCollector(42), "b": failing}, time.Minute, promslog.NewNopLogger())
	const want = `
# HELP bootinfo_scrape_collector_success Whether a collector succeeded in this scrape (1) or not (0).
# TYPE bootinfo_scrape_collector_success gauge
bootinfo_scrape_collector_success{collector="a"} 1
bootinfo_scrape_collector_success{collector="b"} 0
# HELP bootinfo_test_value test
# TYPE bootinfo_test_value gauge
bootinfo_test_value 42
`
	if err := testutil.GatherAndCompare(prometheus.GathererFunc(s.GatherFamilies), strings.NewReader(want), "bootinfo_scrape_collector_success", "bootinfo_test_value"); err != nil {
		t.Error(err)
	}
	doc := NewDocument(s.Gather(context.Background()))
	if got := doc["errors"].(map[string]string)["b"]; got != "half broken" {
		t.Errorf("errors[b] = %q", got)
	}
	if _, ok := doc["b"]; !ok {
		t.Error("partial section of a failing collector was dropped")
	}
	if got := doc.Sections(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Sections() = %v", got)
	}
}

type queryCollector struct{ funcCollector }

func (queryCollector) Query(_ context.Context, path string, params url.Values) (any, error) {
	switch {
	case path == "items/a":
		return map[string]string{"limit": params.Get("limit")}, nil
	case path == "items/bad":
		return nil, fmt.Errorf("%w: limit must be a number", ErrBadRequest)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
}

func TestSetQuery(t *testing.T) {
	s := NewSet(map[string]Collector{"q": queryCollector{}, "plain": okCollector(1)}, time.Minute, promslog.NewNopLogger())
	v, err := s.Query(context.Background(), "q", "items/a", url.Values{"limit": {"5"}})
	if err != nil || v.(map[string]string)["limit"] != "5" {
		t.Errorf("Query = %v, %v", v, err)
	}
	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"q", "items/bad", ErrBadRequest},
		{"q", "items/zzz", ErrNotFound},
		{"plain", "anything", ErrNotFound},
		{"nosuch", "x", ErrNotFound},
	} {
		if _, err := s.Query(context.Background(), tc.name, tc.path, nil); !errors.Is(err, tc.want) {
			t.Errorf("Query(%s, %s) error %v, want %v", tc.name, tc.path, err, tc.want)
		}
	}
}

// collectorBlock returns the block of the one collector of s, after
// checking that Exposition returned it and the scrape's block.
func collectorBlock(t *testing.T, s *Set) *Block {
	t.Helper()
	blocks, err := s.Exposition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 {
		t.Fatalf("%d blocks, want the collector's and the scrape's", len(blocks))
	}
	if got := strings.Join(blocks[1].Names, ","); got != "bootinfo_scrape_collector_abandoned_total,bootinfo_scrape_collector_blocked,bootinfo_scrape_collector_duration_seconds,bootinfo_scrape_collector_success" {
		t.Errorf("scrape block holds %s", got)
	}
	return blocks[0]
}

// TestExpositionReusesUnchangedSnapshots: a collector that returns the
// same snapshot is not encoded again; a new snapshot is, and a snapshot
// whose metrics are made on demand is encoded like one that holds them.
func TestExpositionReusesUnchangedSnapshots(t *testing.T) {
	made := 0
	snap := &Snapshot{MetricsFunc: func() []prometheus.Metric {
		made++
		return []prometheus.Metric{prometheus.MustNewConstMetric(testDesc, prometheus.GaugeValue, 1)}
	}}
	cur := snap
	c := funcCollector(func(context.Context) (*Snapshot, error) { return cur, nil })
	s := NewSet(map[string]Collector{"c": c}, time.Minute, promslog.NewNopLogger())
	block := func() *Block { return collectorBlock(t, s) }
	first := block()
	if !strings.Contains(string(first.Text), "\nbootinfo_test_value 1\n") {
		t.Errorf("block text:\n%s", first.Text)
	}
	if again := block(); again != first || made != 1 {
		t.Errorf("an unchanged snapshot was encoded again (metrics made %d times)", made)
	}
	// Served again once old enough, it is compressed thoroughly once,
	// from the same text, in the background.
	recompressFrom(t, 0)
	for range recompressAfter {
		block()
	}
	s.runners[0].blocks.recompressing.Wait()
	if b := block(); &b.Text[0] != &first.Text[0] || bytes.Equal(b.Gzip.Deflate, first.Gzip.Deflate) || b.Gzip.CRC != first.Gzip.CRC || made != 1 {
		t.Errorf("a lasting block was not recompressed from its text (metrics made %d times)", made)
	}
	first = block()
	cur = &Snapshot{Metrics: []prometheus.Metric{prometheus.MustNewConstMetric(testDesc, prometheus.GaugeValue, 2)}}
	if changed := block(); changed == first || !strings.Contains(string(changed.Text), "\nbootinfo_test_value 2\n") {
		t.Errorf("a new snapshot was not encoded: %s", changed.Text)
	}
}

// TestExpositionReusesEqualMetricsKeys: a new snapshot whose MetricsKey
// equals the last one's (a systemd snapshot only confirmed fresh) is served
// from the same block; a new key is encoded.
func TestExpositionReusesEqualMetricsKeys(t *testing.T) {
	made := 0
	metrics := func(v float64) func() []prometheus.Metric {
		return func() []prometheus.Metric {
			made++
			return []prometheus.Metric{prometheus.MustNewConstMetric(testDesc, prometheus.GaugeValue, v)}
		}
	}
	cur := &Snapshot{Section: 1, MetricsFunc: metrics(1), MetricsKey: 1}
	c := funcCollector(func(context.Context) (*Snapshot, error) { return cur, nil })
	s := NewSet(map[string]Collector{"c": c}, time.Minute, promslog.NewNopLogger())
	block := func() *Block { return collectorBlock(t, s) }
	first := block()
	cur = &Snapshot{Section: 2, MetricsFunc: metrics(1), MetricsKey: 1}
	if block() != first || made != 1 {
		t.Errorf("an equal key was encoded again (%d times)", made)
	}
	cur = &Snapshot{Section: 3, MetricsFunc: metrics(2), MetricsKey: 2}
	if b := block(); b == first || !strings.Contains(string(b.Text), "\nbootinfo_test_value 2\n") {
		t.Errorf("a new key was not encoded: %s", b.Text)
	}
}

// TestDuplicateFamiliesAreRefused: two collectors exporting the same
// family cannot be spliced; CheckDisjoint over Exposition's blocks says so
// and where, and GatherFamilies (the fallback) still reports the clash as
// an error rather than hiding it.
func TestDuplicateFamiliesAreRefused(t *testing.T) {
	one := func(v float64) Collector {
		return funcCollector(func(context.Context) (*Snapshot, error) {
			return &Snapshot{Metrics: []prometheus.Metric{prometheus.MustNewConstMetric(testDesc, prometheus.GaugeValue, v)}}, nil
		})
	}
	s := NewSet(map[string]Collector{"a": one(1), "b": one(2)}, time.Minute, promslog.NewNopLogger())
	blocks, err := s.Exposition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = CheckDisjoint(blocks...)
	var dup *DuplicateFamilyError
	if !errors.Is(err, ErrDuplicateFamily) || !errors.As(err, &dup) || dup.Family != "bootinfo_test_value" || dup.Block != 1 {
		t.Errorf("CheckDisjoint error %v, want bootinfo_test_value again in block 1", err)
	}
	if err.Error() != "metric family in more than one block: bootinfo_test_value" {
		t.Errorf("error reads %q", err)
	}
	if _, err := s.GatherFamilies(); err == nil || !strings.Contains(err.Error(), "bootinfo_test_value") {
		t.Errorf("GatherFamilies error %v, want the duplicate series named", err)
	}
}

// TestGatherFamiliesMergesSameName: a family two collectors share, with
// distinct series, comes out as one family holding both.
func TestGatherFamiliesMergesSameName(t *testing.T) {
	desc := prometheus.NewDesc("bootinfo_test_shared", "Shared.", []string{"from"}, nil)
	from := func(name string) Collector {
		return funcCollector(func(context.Context) (*Snapshot, error) {
			return &Snapshot{Metrics: []prometheus.Metric{prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, name)}}, nil
		})
	}
	s := NewSet(map[string]Collector{"a": from("a"), "b": from("b")}, time.Minute, promslog.NewNopLogger())
	fams, err := s.GatherFamilies()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fams {
		if f.GetName() == "bootinfo_test_shared" {
			n++
			if len(f.GetMetric()) != 2 {
				t.Errorf("merged family has %d series, want 2", len(f.GetMetric()))
			}
		}
	}
	if n != 1 {
		t.Errorf("%d families named bootinfo_test_shared, want 1", n)
	}
}

// TestFaultsLoggedOnChange: a collector that succeeds with faults beside
// its data has each logged once when it appears or changes, and its
// clearing logged once, however many times it is collected.
func TestFaultsLoggedOnChange(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	faults := map[string]string{"uptime": "read proc/uptime: is a directory"}
	c := funcCollector(func(context.Context) (*Snapshot, error) { return &Snapshot{Faults: faults}, nil })
	s := NewSet(map[string]Collector{"host": c}, time.Minute, logger)
	for range 3 {
		s.Gather(context.Background())
	}
	if n := strings.Count(buf.String(), "is a directory"); n != 1 {
		t.Errorf("fault logged %d times, want once:\n%s", n, &buf)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "collector=host field=uptime") {
		t.Errorf("log line lacks level, collector or field:\n%s", &buf)
	}
	faults = nil
	for range 3 {
		s.Gather(context.Background())
	}
	if n := strings.Count(buf.String(), "fault cleared"); n != 1 {
		t.Errorf("clearing logged %d times, want once:\n%s", n, &buf)
	}
}
