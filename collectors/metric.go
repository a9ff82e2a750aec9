package collectors

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// desc describes the metric Namespace_name with its help and variable
// labels. What it was made of is kept (descMetas), for the collectors that
// write the text format themselves.
func desc(name, help string, labels ...string) *prometheus.Desc {
	d := prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
	descMetas.Store(d, &descMeta{name: Namespace + "_" + name, help: help, labels: labels})
	return d
}

// constMetric makes a sample of d. Label values come from hosts and
// firmware, which owe us nothing: Linux allows any bytes in a host name,
// SMBIOS strings and grub.cfg titles are whatever the vendor wrote. A value
// that is not valid UTF-8, which the client library refuses (it panics),
// has each invalid sequence replaced by U+FFFD instead, so one odd byte
// costs a character, not the collector.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	for i, l := range labels {
		if !utf8.ValidString(l) {
			labels = append([]string(nil), labels...)
			labels[i] = strings.ToValidUTF8(l, "\uFFFD")
		}
	}
	return prometheus.MustNewConstMetric(d, t, v, labels...)
}

// gauge makes a gauge sample of d (see constMetric).
func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return constMetric(d, prometheus.GaugeValue, v, labels...)
}

// counter makes a counter sample of d (see constMetric).
func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return constMetric(d, prometheus.CounterValue, v, labels...)
}

// boolFloat is a boolean as a sample value: 1 or 0.
func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// descMeta is what a desc was made of: prometheus.Desc does not say.
type descMeta struct {
	name, help string
	labels     []string
}

// descMetas maps each *prometheus.Desc desc made to its descMeta.
var descMetas sync.Map
