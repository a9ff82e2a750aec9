package collectors

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// GatherFamilies implements prometheus.Gatherer for the Set. A collector
// that returns the very same *Snapshot as last time (nothing changed: the
// facts of this boot, a systemd manager between two signals) reuses the
// metric families gathered from it then, so an unchanged source costs
// nothing to gather again, however many series it has.
func (s *Set) GatherFamilies() ([]*dto.MetricFamily, error) {
	outcomes := s.Gather(context.Background())
	var (
		all  []*dto.MetricFamily
		errs []error
	)
	for i, o := range outcomes {
		if o.Snapshot == nil {
			continue
		}
		fams, err := s.runnerFor(outcomes[i].Name).families(o.Snapshot)
		if err != nil {
			errs = append(errs, fmt.Errorf("collector %s: %w", o.Name, err))
		}
		all = append(all, fams...)
	}
	scrape := prometheus.NewRegistry()
	scrape.MustRegister(scrapeMetrics{s, outcomes})
	fams, err := scrape.Gather()
	if err != nil {
		errs = append(errs, err)
	}
	all = append(all, fams...)
	sort.Slice(all, func(i, j int) bool { return all[i].GetName() < all[j].GetName() })
	return all, errors.Join(errs...)
}

func (s *Set) runnerFor(name string) *runner {
	for _, r := range s.runners {
		if r.name == name {
			return r
		}
	}
	return nil
}

// families returns snap's metrics as families, from the cache when snap is
// the snapshot they were last gathered from. The cached families are never
// modified, only encoded.
func (r *runner) families(snap *Snapshot) ([]*dto.MetricFamily, error) {
	r.mu.Lock()
	if r.famSnap == snap {
		fams := r.fams
		r.mu.Unlock()
		return fams, nil
	}
	r.mu.Unlock()
	reg := prometheus.NewRegistry()
	reg.MustRegister(snapshotMetrics{snap})
	fams, err := reg.Gather()
	if err == nil {
		r.mu.Lock()
		r.famSnap, r.fams = snap, fams
		r.mu.Unlock()
	}
	return fams, err
}

// snapshotMetrics exposes a snapshot's metrics as an unchecked collector.
type snapshotMetrics struct{ snap *Snapshot }

func (snapshotMetrics) Describe(chan<- *prometheus.Desc) {}
func (s snapshotMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, m := range s.snap.Metrics {
		ch <- m
	}
}

// scrapeMetrics are the per-collector success and duration of one scrape.
type scrapeMetrics struct {
	s        *Set
	outcomes []Outcome
}

func (scrapeMetrics) Describe(chan<- *prometheus.Desc) {}
func (m scrapeMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, o := range m.outcomes {
		success := 1.0
		if o.Err != nil {
			success = 0
		}
		ch <- prometheus.MustNewConstMetric(m.s.durationDesc, prometheus.GaugeValue, o.Duration.Seconds(), o.Name)
		ch <- prometheus.MustNewConstMetric(m.s.successDesc, prometheus.GaugeValue, success, o.Name)
	}
}
