package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/testing/ovmfvars"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/yaml"
)

const (
	secureBootRulesTestPath = "prometheus/rules/bootinfo.secureboot.rules.test.yml"
	// realStoreTest is the test in it whose input is bootinfo's output on
	// Debian's Microsoft-enrolled OVMF store.
	realStoreTest     = "Debian's Microsoft-enrolled OVMF store, as bootinfo reports it"
	realStoreInstance = "ovmf-ms:19117"
	// realStoreSamples makes every series reach past the tests' last
	// evaluation (20790d, 2026-12-03) at one sample every 30 days.
	realStoreSamples = "x700"
)

// metricSlice is a collector of fixed metrics.
type metricSlice []prometheus.Metric

func (m metricSlice) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(m, ch) }
func (m metricSlice) Collect(ch chan<- prometheus.Metric) {
	for _, x := range m {
		ch <- x
	}
}

// realStoreSeries is the firmware collector's output on the
// Microsoft-enrolled store with Secure Boot on, as promtool input series:
// bootinfo_firmware_info and the Secure Boot trust metrics, each value
// held for the whole test.
func realStoreSeries(t *testing.T) []string {
	t.Helper()
	sys := t.TempDir()
	vars := filepath.Join(sys, "firmware", "efi", "efivars")
	ovmfvars.WriteEfivars(t, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", vars)
	// The firmware sets SecureBoot at boot; the store does not hold it.
	if err := os.WriteFile(filepath.Join(vars, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"), []byte{6, 0, 0, 0, 1}, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := collectors.NewFirmwareCollector(collectors.Config{Paths: collectors.Paths{SysFS: sys}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(metricSlice(snap.Metrics))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		name := mf.GetName()
		if name != "bootinfo_firmware_info" && !strings.HasPrefix(name, "bootinfo_secure_boot_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := []string{"instance=" + strconv.Quote(realStoreInstance), `job="bootinfo"`}
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+strconv.Quote(l.GetValue()))
			}
			slices.Sort(labels)
			v := strconv.FormatFloat(m.GetGauge().GetValue(), 'f', -1, 64)
			out = append(out, fmt.Sprintf("%s{%s} %s%s", name, strings.Join(labels, ", "), v, realStoreSamples))
		}
	}
	slices.Sort(out)
	return out
}

// TestSecureBootRulesInputIsRealOutput: the promtool test of the alerts on
// the Microsoft-enrolled store is fed exactly what bootinfo reports for
// that store today. When the collector's output changes, the test prints
// the input series to put in the file.
func TestSecureBootRulesInputIsRealOutput(t *testing.T) {
	want := realStoreSeries(t)
	var tests struct {
		Tests []struct {
			Name        string `json:"name"`
			InputSeries []struct {
				Series string `json:"series"`
				Values string `json:"values"`
			} `json:"input_series"`
		} `json:"tests"`
	}
	data, err := os.ReadFile(secureBootRulesTestPath)
	if err == nil {
		err = yaml.Unmarshal(data, &tests)
	}
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	found := false
	for _, tc := range tests.Tests {
		if tc.Name != realStoreTest {
			continue
		}
		found = true
		for _, s := range tc.InputSeries {
			got = append(got, s.Series+" "+s.Values)
		}
	}
	if !found {
		t.Fatalf("%s has no test %q", secureBootRulesTestPath, realStoreTest)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		var b strings.Builder
		for _, s := range want {
			i := strings.LastIndexByte(s, ' ')
			fmt.Fprintf(&b, "  - series: '%s'\n    values: '%s'\n", s[:i], s[i+1:])
		}
		t.Errorf("%s: test %q's input differs from bootinfo's output (-output +file):\n%s\nthe input series:\n%s", secureBootRulesTestPath, realStoreTest, diff, b.String())
	}
}
