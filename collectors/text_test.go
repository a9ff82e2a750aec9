package collectors

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/gzipcat"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/promslog"
)

// systemdSnapshots are snapshots to encode: the lab manager's recorded
// state, and units with label values the text format must escape.
func systemdSnapshots(t *testing.T) map[string]*systemd.Snapshot {
	raw, err := os.ReadFile("../systemd/testdata/lab-user-manager.input.json")
	if err != nil {
		t.Fatal(err)
	}
	var in systemd.SnapshotInput
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	odd := systemd.SnapshotInput{Scope: systemd.ScopeSystem,
		Manager: systemd.Manager{Version: `25"2\x`, Virtualization: "a\nb", SystemState: "degraded", NFailedUnits: 3},
		Units: []systemd.Unit{
			{Name: `q"uote\.service`, LoadState: "not-found", ActiveState: "reloading", Service: &systemd.Service{NRestarts: 4294967295}},
			{Name: "bad\xffutf8.service", LoadState: "loaded", ActiveState: "failed", DetailError: "NRestarts: denied"},
			{Name: "t.timer", ActiveState: "active", Timer: &systemd.Timer{LastTriggerUSec: 1_733_231_234_567_891, NextElapseRealtimeUSec: 1}},
			{Name: "a.service", ActiveState: "maintenance", Service: &systemd.Service{NRestarts: 1}},
		},
		UnitFiles: map[string]systemd.UnitFile{"x@.service": {Name: "x@.service", State: "indirect"}, "y.service": {Name: "y.service", State: "masked"}},
	}
	return map[string]*systemd.Snapshot{
		"lab":  systemd.BuildSnapshot(in, systemd.Filter{}),
		"odd":  systemd.BuildSnapshot(odd, systemd.Filter{}),
		"none": systemd.BuildSnapshot(systemd.SnapshotInput{}, systemd.Filter{}),
	}
}

// TestSystemdTextIsClientGolangs: the text the systemd collector writes
// itself is, byte for byte, what the client library's registry and expfmt
// make of the same samples as const metrics.
func TestSystemdTextIsClientGolangs(t *testing.T) {
	col, err := NewSystemdCollector(Config{Logger: promslog.NewNopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	c := col.(*systemdCollector)
	snaps := systemdSnapshots(t)
	// One collector, whose text writer is kept between encodings: each
	// snapshot after one with other families, and after itself.
	for _, name := range []string{"lab", "odd", "none", "odd", "lab", "lab", "none"} {
		s := snaps[name]
		fams, err := gatherSnapshot(&Snapshot{Metrics: c.metrics(s)})
		if err != nil {
			t.Fatal(err)
		}
		want, err := EncodeBlock(fams, flate.BestSpeed)
		if err != nil {
			t.Fatal(err)
		}
		got := c.text(s)
		if name != "none" && (len(got.Names) < 8 || !bytes.Contains(got.Text, []byte("bootinfo_systemd_unit_state{"))) {
			t.Errorf("%s: only %d families:\n%s", name, len(got.Names), got.Text)
		}
		if name == "odd" && !bytes.Contains(got.Text, []byte(`name="q\"uote\\.service"`)) {
			t.Errorf("odd: no escaped unit name in\n%s", got.Text)
		}
		if !bytes.Equal(got.Text, want.Text) {
			t.Errorf("%s: text differs from client_golang's (-want +got):\n%s", name, cmp.Diff(string(want.Text), string(got.Text)))
		}
		if diff := cmp.Diff(want.Names, got.Names); diff != "" {
			t.Errorf("%s: family names (-want +got):\n%s", name, diff)
		}
	}
}

// BenchmarkSystemdText compares the two ways of encoding a snapshot of
// 5,000 units.
func BenchmarkSystemdText(b *testing.B) {
	col, _ := NewSystemdCollector(Config{Logger: promslog.NewNopLogger()})
	c := col.(*systemdCollector)
	in := systemd.SnapshotInput{Scope: systemd.ScopeUser, UnitFiles: map[string]systemd.UnitFile{}}
	for i := range 5000 {
		u := systemd.Unit{Name: "lab-gen-inst@" + string(rune('a'+i%26)) + itoa(uint64(i)) + ".target", LoadState: "loaded", ActiveState: "active"}
		if i%5 == 0 {
			u.Name = "lab-gen-" + itoa(uint64(i)) + ".service"
			u.Service = &systemd.Service{NRestarts: uint32(i)}
		}
		in.Units = append(in.Units, u)
	}
	s := systemd.BuildSnapshot(in, systemd.Filter{})
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			blk := c.text(s)
			blk.Gzip = gzipcat.Compress(blk.Text, flate.BestSpeed)
		}
	})
	b.Run("client_golang", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			fams, _ := gatherSnapshot(&Snapshot{Metrics: c.metrics(s)})
			if _, err := EncodeBlock(fams, flate.BestSpeed); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestScrapeBlockIsClientGolangs: the per-collector success, duration,
// blocked and abandoned series a scrape writes are, byte for byte, what the
// client library's registry and expfmt make of scrapeMetrics' Collect, for
// outcomes that succeeded, failed, and have odd collector names.
func TestScrapeBlockIsClientGolangs(t *testing.T) {
	s := NewSet(map[string]Collector{
		"b": funcCollector(func(context.Context) (*Snapshot, error) { return &Snapshot{}, nil }),
		"a": funcCollector(func(context.Context) (*Snapshot, error) { return nil, errors.New("no") }),
	}, time.Minute, promslog.NewNopLogger())
	outcomes := []Outcome{
		{Name: "b", Duration: 1234567 * time.Nanosecond},
		{Name: "a", Duration: 0, Err: errors.New("no")},
		{Name: "odd\"\\\nname", Duration: time.Second},
	}
	runners := append(slices.Clone(s.runners), nil)
	m := scrapeMetrics{s, outcomes, runners}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want, err := EncodeBlock(fams, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	got := m.block()
	if diff := cmp.Diff(string(want.Text), string(got.Text)); diff != "" {
		t.Errorf("scrape block differs from the client library's (-want +got):\n%s", diff)
	}
	if !slices.Equal(got.Names, want.Names) {
		t.Errorf("names %v, want %v", got.Names, want.Names)
	}
	if !bytes.Equal(gzipcat.Compress(got.Text, flate.BestSpeed).Deflate, got.Gzip.Deflate) {
		t.Error("the block's gzip segment is not its text's")
	}
}
