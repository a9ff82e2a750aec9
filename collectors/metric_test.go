package collectors

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestConstMetricRepairsLabels(t *testing.T) {
	d := prometheus.NewDesc("bootinfo_test_info", "x", []string{"a", "b"}, nil)
	labels := []string{"web\xff01", "ok"}
	m := gauge(d, 1, labels...)
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range pb.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	if got["a"] != "web\uFFFD01" || got["b"] != "ok" {
		t.Errorf("labels %q", got)
	}
	if labels[0] != "web\xff01" {
		t.Errorf("the caller's labels were changed: %q", labels)
	}
}
