package e2e

// The Secure Boot lab's /metrics: the trust metrics the guest's agent served,
// against the host's decode of the same variables, and the promtool input
// built from them for alert rule tests.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
)

// The trust metrics (issue 16).
const (
	metricCertNotAfter = "bootinfo_secure_boot_certificate_not_after_seconds"
	metricSignatures   = "bootinfo_secure_boot_signatures"
	metricKnownCA      = "bootinfo_secure_boot_known_ca"
)

// contractLists reports whether deploy/metrics.txt, the metric names
// contract, lists name: the agent must then serve it.
func contractLists(t *testing.T, name string) bool {
	t.Helper()
	f, err := os.Open(filepath.Join(testutil.RepoRoot(t), "deploy", "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == name {
			return true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return false
}

// checkTrustMetrics compares the trust metrics the guest served with what
// the host decoded from its variables: one not_after series per distinct
// certificate of a store (the earliest expiry of duplicates), the
// signatures of each store by type (x509 counting certificates), and each
// known CA's presence, 1 or 0; every series both ways.
func checkTrustMetrics(t *testing.T, body []byte, tr *efi.Trust) {
	t.Helper()
	if !contractLists(t, metricCertNotAfter) {
		t.Logf("deploy/metrics.txt does not list %s yet: trust metrics not checked", metricCertNotAfter)
		return
	}
	m, err := agent.ParseMetrics(body)
	if err != nil {
		t.Fatalf("the guest's /metrics: %v", err)
	}
	served := func(name string, labels ...string) map[string]float64 {
		out := map[string]float64{}
		for _, s := range m.Samples(name) {
			var key []string
			for _, l := range labels {
				key = append(key, s.Labels[l])
			}
			out[strings.Join(key, " | ")] = s.Value
		}
		return out
	}
	notAfter, sigs, known := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, c := range tr.Certificates {
		k := c.Store + " | " + c.Subject + " | " + c.Serial
		if v, ok := notAfter[k]; !ok || float64(c.NotAfter.Unix()) < v {
			notAfter[k] = float64(c.NotAfter.Unix())
		}
		sigs[c.Store+" | x509"]++
	}
	for _, h := range tr.Hashes {
		if h.Type != "x509" {
			sigs[h.Store+" | "+h.Type] += float64(h.Count)
		}
	}
	for _, p := range tr.KnownCAs {
		v := 0.0
		if p.Present {
			v = 1
		}
		known[p.Store+" | "+p.CA] = v
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   map[string]float64
	}{
		{metricCertNotAfter, []string{"store", "subject", "serial"}, notAfter},
		{metricSignatures, []string{"store", "type"}, sigs},
		{metricKnownCA, []string{"store", "ca"}, known},
	} {
		if d := cmp.Diff(c.want, served(c.name, c.labels...)); d != "" {
			t.Errorf("%s (-host decode +guest /metrics):\n%s", c.name, d)
		}
	}
}

// promtoolInputSeries renders every series of the named families in a
// /metrics body as promtool input_series entries, each with the labels
// extra adds and the same value at every step, so that a rule test
// evaluates the rules over what a real agent served.
func promtoolInputSeries(body []byte, extra map[string]string, steps int, families ...string) (string, error) {
	m, err := agent.ParseMetrics(body)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, name := range families {
		for _, s := range m.Samples(name) {
			labels := model.LabelSet{}
			for k, v := range s.Labels {
				labels[model.LabelName(k)] = model.LabelValue(v)
			}
			for k, v := range extra {
				labels[model.LabelName(k)] = model.LabelValue(v)
			}
			keys := make([]string, 0, len(labels))
			for k := range labels {
				keys = append(keys, string(k))
			}
			sort.Strings(keys)
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s=%q", k, string(labels[model.LabelName(k)])))
			}
			// A series selector in double quotes inside a YAML single
			// quoted scalar: only ' needs doubling.
			sel := strings.ReplaceAll(name+"{"+strings.Join(parts, ", ")+"}", "'", "''")
			fmt.Fprintf(&b, "  - series: '%s'\n    values: '%sx%d'\n", sel, strconv.FormatFloat(s.Value, 'f', -1, 64), steps)
		}
	}
	return b.String(), nil
}

// daysSinceEpoch is the number of whole days from the epoch to now: with
// evaluation_interval 1d, a promtool test's eval_time of that many days
// makes time() a date within the last day (promtool 2.42 starts every
// test at the epoch and has no option to start elsewhere).
func daysSinceEpoch(now time.Time) int {
	return int(now.Unix() / 86400)
}

// checkExpiryWithPromtool proves the promtool input built from the guest's
// real /metrics on a rule of the test's own: with time() brought to today,
// the certificates whose not_after has passed, and only those, are expired.
// Alert rule tests of deploy/prometheus/rules can be built the same way.
func checkExpiryWithPromtool(t *testing.T, body []byte, tr *efi.Trust) {
	t.Helper()
	if !contractLists(t, metricCertNotAfter) {
		return
	}
	promtool := testutil.Tool(t, "promtool", "prometheus")
	now := time.Now()
	days := daysSinceEpoch(now)
	series, err := promtoolInputSeries(body, map[string]string{"instance": "lab:19117", "job": "bootinfo"}, days+1, metricCertNotAfter)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rules := `groups:
- name: lab
  rules:
  - alert: LabCertificateExpired
    expr: ` + metricCertNotAfter + ` < time()
`
	var exp []string
	for _, c := range tr.Certificates {
		// The evaluation runs at midnight UTC today, not now.
		if c.NotAfter.Unix() < int64(days)*86400 {
			exp = append(exp, fmt.Sprintf("    - exp_labels: {instance: 'lab:19117', job: bootinfo, store: %q, subject: %q, serial: %q}\n", c.Store, c.Subject, c.Serial))
		}
	}
	exp = slices.Compact(slices.Sorted(slices.Values(exp)))
	expAlerts := "    exp_alerts: []\n"
	if len(exp) > 0 {
		expAlerts = "    exp_alerts:\n" + strings.Join(exp, "")
	}
	test := `rule_files: [rules.yml]
evaluation_interval: 1d
tests:
- interval: 1d
  input_series:
` + series + `  alert_rule_test:
  - eval_time: ` + fmt.Sprint(days) + `d
    alertname: LabCertificateExpired
` + expAlerts
	for n, s := range map[string]string{"rules.yml": rules, "test.yml": test} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool test rules on the guest's /metrics: %v\n%s\ntest.yml:\n%s", err, out, test)
	} else {
		t.Logf("promtool: %d of %d certificates expired at day %d since the epoch", len(exp), len(tr.Certificates), days)
	}
}
