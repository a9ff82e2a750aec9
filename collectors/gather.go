package collectors

import (
	"compress/flate"
	"context"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bootinfo/bootinfo/internal/gzipcat"
)

// GatherFamilies implements prometheus.Gatherer for the Set: every
// collector's metrics and the scrape's success and duration, gathered by one
// registry, so that families of the same name merge and clashes are errors.
// It gathers the snapshots' metrics anew each time; the text-format
// /metrics is served from Exposition, which keeps the encoded form of
// unchanged snapshots, and this is for the other formats and the fallback.
func (s *Set) GatherFamilies() ([]*dto.MetricFamily, error) {
	outcomes := s.Gather(context.Background())
	reg := prometheus.NewRegistry()
	for _, o := range outcomes {
		if o.Snapshot != nil {
			reg.MustRegister(snapshotMetrics{o.Snapshot})
		}
	}
	reg.MustRegister(scrapeMetrics{s, outcomes, s.runners})
	return reg.Gather()
}

// gatherSnapshot returns snap's metrics as families sorted by name.
func gatherSnapshot(snap *Snapshot) ([]*dto.MetricFamily, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(snapshotMetrics{snap})
	return reg.Gather()
}

// snapshotMetrics exposes a snapshot's metrics as an unchecked collector.
type snapshotMetrics struct{ snap *Snapshot }

func (snapshotMetrics) Describe(chan<- *prometheus.Desc) {}
func (s snapshotMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, m := range s.snap.AllMetrics() {
		ch <- m
	}
}

// scrapeMetrics are the per-collector success and duration of one scrape,
// and how many of each collector's collections were abandoned; runners[i]
// is outcomes[i]'s.
type scrapeMetrics struct {
	s        *Set
	outcomes []Outcome
	runners  []*runner
}

func (scrapeMetrics) Describe(chan<- *prometheus.Desc) {}

// each gives every series of the scrape, in Collect's order.
func (m scrapeMetrics) each(f func(d *prometheus.Desc, t prometheus.ValueType, v float64, name string)) {
	for i, o := range m.outcomes {
		success := 1.0
		if o.Err != nil {
			success = 0
		}
		f(m.s.durationDesc, prometheus.GaugeValue, o.Duration.Seconds(), o.Name)
		f(m.s.successDesc, prometheus.GaugeValue, success, o.Name)
		if r := m.runners[i]; r != nil {
			blocked, abandoned := r.blockedCount()
			f(m.s.blockedDesc, prometheus.GaugeValue, float64(blocked), o.Name)
			f(m.s.abandonedDesc, prometheus.CounterValue, float64(abandoned), o.Name)
		}
	}
}

// block writes the scrape's series with a textWriter, byte for byte what
// Collect's metrics gathered by a registry and encoded would be, without
// a registry or a metric per series: a registry's Gather alone allocated
// two channels for a thousand metrics, most of a scrape's garbage.
func (m scrapeMetrics) block() *Block {
	w := newTextWriter()
	m.each(func(d *prometheus.Desc, t prometheus.ValueType, v float64, name string) { w.add(d, t, v, name) })
	b := w.Block()
	b.Gzip = gzipcat.Compress(b.Text, flate.BestSpeed)
	return b
}

func (m scrapeMetrics) Collect(ch chan<- prometheus.Metric) {
	m.each(func(d *prometheus.Desc, t prometheus.ValueType, v float64, name string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, name)
	})
}
