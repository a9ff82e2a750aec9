package build

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// readmeMetric is one mention of a metric in README.md.
type readmeMetric struct {
	name    string
	labels  []string // sorted; nil when the mention gives none
	section string   // the "### NAME" section it is in, if any
}

// metricSpanRE is the start of a code span that names a metric.
var metricSpanRE = regexp.MustCompile("`(bootinfo_[^`]*)`")

// readmeMetrics returns every metric README.md names in a code span:
// "bootinfo_x", "bootinfo_x{a, b}", "bootinfo_{last,next}_y{name}",
// "bootinfo_x 0".
func readmeMetrics(t *testing.T, text string) []readmeMetric {
	t.Helper()
	var out []readmeMetric
	heading := regexp.MustCompile(`(?m)^(#+) (.*)$`)
	heads := heading.FindAllStringSubmatchIndex(text, -1)
	sectionAt := func(pos int) string {
		sec := ""
		for _, h := range heads {
			if h[0] > pos {
				break
			}
			if text[h[2]:h[3]] == "###" {
				sec = text[h[4]:h[5]]
			} else {
				sec = ""
			}
		}
		return sec
	}
	for _, m := range metricSpanRE.FindAllStringSubmatchIndex(text, -1) {
		span := strings.Join(strings.Fields(text[m[2]:m[3]]), " ")
		// "bootinfo_x 0", "bootinfo_x{a, b} 1": a value follows.
		if i := strings.LastIndex(span, "}"); i >= 0 {
			span = span[:i+1]
		} else {
			span, _, _ = strings.Cut(span, " ")
		}
		// The label group is the last brace group when the span ends
		// with it and it is not followed by more of the name.
		namePart, labelPart := span, ""
		if strings.HasSuffix(span, "}") {
			if i := strings.LastIndex(span, "{"); i >= 0 {
				namePart, labelPart = span[:i], span[i+1:len(span)-1]
			}
		}
		// A brace group in the name ("timer_{last,next}_trigger")
		// is followed by more name; one at the end is the labels.
		if strings.HasSuffix(namePart, "_") {
			namePart, labelPart = span, ""
		}
		var labels []string
		if labelPart != "" {
			for _, l := range strings.Split(labelPart, ",") {
				l, _, _ = strings.Cut(strings.TrimSpace(l), "=")
				labels = append(labels, l)
			}
			sort.Strings(labels)
		}
		for _, n := range expand(namePart) {
			out = append(out, readmeMetric{name: n, labels: labels, section: sectionAt(m[0])})
		}
	}
	return out
}

// TestReadmeMetrics holds the metrics README.md names to those the
// collectors declare and to what a real /metrics serves: every declared
// metric is named, each name exists, labels given are the metric's, every
// metric with labels is named with them at least once, and a metric named
// in a collector's "### NAME" section is declared in collectors/NAME.go.
// The agent's own series (bootinfo_build_info) come from the client
// library, so /metrics is their source.
func TestReadmeMetrics(t *testing.T) {
	declared := testutil.DeclaredMetrics(t)

	// What the binary serves on a fixture host: every family it has
	// series for must be declared with these labels, or be the library's.
	a := agent.Start(t, agent.FixtureArgs(agent.FixtureRoot(t))...)
	served := a.Metrics(t)
	for name, fam := range served {
		if !strings.HasPrefix(name, "bootinfo_") {
			continue
		}
		labels := map[string]bool{}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		got := keys(labels)
		d, ok := declared[name]
		if !ok {
			declared[name] = testutil.DeclaredMetric{Labels: got}
			continue
		}
		if len(fam.GetMetric()) > 0 && !slices.Equal(got, d.Labels) && !(len(got) == 0 && len(d.Labels) == 0) {
			t.Errorf("%s: /metrics has labels %v, the collectors declare %v", name, got, d.Labels)
		}
	}
	if _, ok := served["bootinfo_build_info"]; !ok {
		t.Error("/metrics has no bootinfo_build_info")
	}
	// "unless --web.disable-exporter-metrics, the Go runtime's go_* and
	// the process's process_* metrics".
	if served["go_goroutines"] == nil || served["process_resident_memory_bytes"] == nil {
		t.Error("/metrics lacks the Go runtime's or the process's metrics")
	}

	mentions := readmeMetrics(t, readme(t))
	if len(mentions) < len(declared) {
		t.Fatalf("read %d metric mentions from README.md for %d metrics", len(mentions), len(declared))
	}
	withLabels := map[string]bool{}
	named := map[string]bool{}
	for _, m := range mentions {
		named[m.name] = true
		d, ok := declared[m.name]
		if !ok {
			t.Errorf("README.md names %s, which bootinfo does not export", m.name)
			continue
		}
		if m.labels != nil {
			withLabels[m.name] = true
			if !slices.Equal(m.labels, d.Labels) {
				t.Errorf("README.md gives %s the labels %v; it has %v", m.name, m.labels, d.Labels)
			}
		}
		if m.section != "" && d.File != "" && d.File != m.section+".go" {
			t.Errorf("README.md names %s in the %s collector's section; collectors/%s declares it", m.name, m.section, d.File)
		}
	}
	for _, n := range keys(declared) {
		switch {
		case !named[n]:
			t.Errorf("README.md does not name %s", n)
		case len(declared[n].Labels) > 0 && !withLabels[n]:
			t.Errorf("README.md never gives the labels of %s: %v", n, declared[n].Labels)
		}
	}
}
