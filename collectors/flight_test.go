package collectors

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestFlightDoPanics: a panic in a call run by do reaches the caller that
// ran it, and the call is forgotten all the same: the next do runs anew.
func TestFlightDoPanics(t *testing.T) {
	f := flight[int]{fn: func(time.Time) int { panic("gatherer broke") }}
	func() {
		defer func() {
			if p := recover(); p != "gatherer broke" {
				t.Errorf("recovered %v", p)
			}
		}()
		f.do()
	}()
	f.fn = func(time.Time) int { return 7 }
	if v := f.do(); v != 7 {
		t.Errorf("do after a panic = %d, want a new call's 7", v)
	}
}

// TestConstantGathererGathersOnce: a constant registry is gathered and
// encoded on the first scrape only, and every scrape gets that block.
func TestConstantGathererGathersOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bootinfo_test_constant", Help: "x"}, func() float64 { return 1 }))
	var calls atomic.Int32
	g := NewConstantGatherer(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		calls.Add(1)
		return reg.Gather()
	}))
	first, err := g.Block()
	if err != nil || !strings.Contains(string(first.Text), "bootinfo_test_constant 1\n") {
		t.Fatalf("%v: %q", err, first.Text)
	}
	for range 3 {
		if b, _ := g.Block(); b != first {
			t.Error("a later scrape got another block")
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("gathered %d times, want once", n)
	}
}
