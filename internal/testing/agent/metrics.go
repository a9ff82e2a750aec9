package agent

import (
	"bytes"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is a /metrics body in the text format, parsed: the metric
// families by name.
type Metrics map[string]*dto.MetricFamily

// ParseMetrics parses a body in the Prometheus text format.
func ParseMetrics(body []byte) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(bytes.NewReader(body))
}

// Sample is one series of a counter, gauge or untyped family.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Samples returns the series of family name whose labels include match,
// given as name and value pairs ("collector", "dmi").
func (m Metrics) Samples(name string, match ...string) []Sample {
	var out []Sample
	for _, metric := range m[name].GetMetric() {
		s := Sample{Labels: map[string]string{}}
		for _, l := range metric.GetLabel() {
			s.Labels[l.GetName()] = l.GetValue()
		}
		matches := true
		for i := 0; i+1 < len(match); i += 2 {
			matches = matches && s.Labels[match[i]] == match[i+1]
		}
		switch {
		case !matches:
			continue
		case metric.Gauge != nil:
			s.Value = metric.GetGauge().GetValue()
		case metric.Counter != nil:
			s.Value = metric.GetCounter().GetValue()
		case metric.Untyped != nil:
			s.Value = metric.GetUntyped().GetValue()
		default:
			continue // a summary or histogram
		}
		out = append(out, s)
	}
	return out
}

// Sum adds up the values of Samples(name, match...); found is false when
// there is none.
func (m Metrics) Sum(name string, match ...string) (sum float64, found bool) {
	for _, s := range m.Samples(name, match...) {
		sum += s.Value
		found = true
	}
	return sum, found
}

// Value is Sum without found: zero when there is no such series.
func (m Metrics) Value(name string, match ...string) float64 {
	v, _ := m.Sum(name, match...)
	return v
}

// ByLabel maps the value of label to the series' value, over
// Samples(name, match...).
func (m Metrics) ByLabel(name, label string, match ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range m.Samples(name, match...) {
		out[s.Labels[label]] = s.Value
	}
	return out
}
