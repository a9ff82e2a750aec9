package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"sigs.k8s.io/yaml"
)

const (
	rulesPath     = "prometheus/rules/bootinfo.rules.yml"
	rulesTestPath = "prometheus/rules/bootinfo.rules.test.yml"
	scrapeConfig  = "prometheus/scrape-config.yml"
	scrapeK8s     = "prometheus/scrape-config-kubernetes.yml"
)

// ruleFile is Prometheus' rule file format, strictly: an unknown field (a
// misspelt "annotations") fails the decode.
type ruleFile struct {
	Groups []struct {
		Name     string `json:"name"`
		Interval string `json:"interval,omitempty"`
		Rules    []struct {
			Alert       string            `json:"alert,omitempty"`
			Record      string            `json:"record,omitempty"`
			Expr        string            `json:"expr"`
			For         string            `json:"for,omitempty"`
			Labels      map[string]string `json:"labels,omitempty"`
			Annotations map[string]string `json:"annotations,omitempty"`
		} `json:"rules"`
	} `json:"groups"`
}

// readYAML decodes file strictly into v: an unknown or misspelt field
// fails.
func readYAML(tb testing.TB, file string, v any) {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err == nil {
		err = yaml.UnmarshalStrict(data, v)
	}
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
}

func readRules(tb testing.TB) ruleFile {
	tb.Helper()
	var rf ruleFile
	readYAML(tb, rulesPath, &rf)
	return rf
}

func promtool(t *testing.T) string { return testutil.Tool(t, "promtool", "prometheus") }

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestRulesCheck(t *testing.T) {
	out := run(t, "", promtool(t), "check", "rules", rulesPath)
	t.Log(strings.TrimSpace(out))
}

// rulesTestPaths are the promtool unit test files: the alerts judged at
// one-minute steps, and those judged against time() in days.
var rulesTestPaths = []string{rulesTestPath, secureBootRulesTestPath}

// TestRulesUnitTests runs promtool's unit tests of every alert.
func TestRulesUnitTests(t *testing.T) {
	for _, p := range rulesTestPaths {
		out := run(t, filepath.Dir(p), promtool(t), "test", "rules", filepath.Base(p))
		if strings.Count(out, "SUCCESS") != 1 {
			t.Errorf("promtool test rules %s:\n%s", p, out)
		}
	}
}

func TestScrapeConfigCheck(t *testing.T) {
	out := run(t, "", promtool(t), "check", "config", scrapeConfig)
	t.Log(strings.TrimSpace(out))
}

// TestKubernetesScrapeConfig checks the kubernetes_sd example. Debian's
// Prometheus is built without Kubernetes discovery, so promtool there
// cannot load it; the file is then decoded strictly into the fields it
// uses and its relabelling checked against the DaemonSet's labels.
func TestKubernetesScrapeConfig(t *testing.T) {
	pt := promtool(t)
	cmd := exec.Command(pt, "check", "config", "--syntax-only", scrapeK8s)
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		t.Log(strings.TrimSpace(string(out)))
	case bytes.Contains(out, []byte("field kubernetes_sd_configs not found")):
		t.Log("this promtool has no Kubernetes service discovery (Debian builds without it); checking the file's structure only")
	default:
		t.Errorf("promtool check config: %v\n%s", err, out)
	}

	var cfg struct {
		ScrapeConfigs []struct {
			JobName             string `json:"job_name"`
			KubernetesSDConfigs []struct {
				Role       string `json:"role"`
				Namespaces struct {
					Names []string `json:"names"`
				} `json:"namespaces"`
			} `json:"kubernetes_sd_configs"`
			RelabelConfigs []relabelConfig `json:"relabel_configs"`
		} `json:"scrape_configs"`
	}
	readYAML(t, scrapeK8s, &cfg)
	if len(cfg.ScrapeConfigs) != 1 || len(cfg.ScrapeConfigs[0].KubernetesSDConfigs) != 1 {
		t.Fatalf("want one job with one kubernetes_sd_config, got %+v", cfg.ScrapeConfigs)
	}
	sc := cfg.ScrapeConfigs[0]
	ds := loadManifests(t).daemonSets[0]
	sd := sc.KubernetesSDConfigs[0]
	if sd.Role != "pod" || !slices.Equal(sd.Namespaces.Names, []string{ds.Namespace}) {
		t.Errorf("discovers %s in %v, want pods in [%s]", sd.Role, sd.Namespaces.Names, ds.Namespace)
	}
	// Simulate the relabelling on the meta labels of a DaemonSet pod: the
	// pod role makes one target per container port, and only the metrics
	// port's must be kept (not the health listener's).
	var kept []map[string]string
	for _, p := range ds.Spec.Template.Spec.Containers[0].Ports {
		meta := map[string]string{"__meta_kubernetes_pod_node_name": "node-1", "job": sc.JobName}
		for k, v := range ds.Spec.Template.Labels {
			meta["__meta_kubernetes_pod_label_"+sanitizeLabel(k)] = v
		}
		meta["__meta_kubernetes_pod_container_port_name"] = p.Name
		if relabel(t, sc.RelabelConfigs, meta) {
			kept = append(kept, meta)
		}
	}
	if len(kept) != 1 || kept[0]["__meta_kubernetes_pod_container_port_name"] != "metrics" {
		t.Fatalf("relabelling keeps %d targets of the pod (%v), want the metrics port's alone", len(kept), kept)
	}
	if meta := kept[0]; meta["job"] != "bootinfo" || meta["instance"] != "node-1" {
		t.Errorf("relabelled job=%q instance=%q, want bootinfo and the node name", meta["job"], meta["instance"])
	}
}

// relabelConfig is the part of Prometheus's relabel_config the job uses.
type relabelConfig struct {
	SourceLabels []string `json:"source_labels,omitempty"`
	Regex        string   `json:"regex,omitempty"`
	Action       string   `json:"action,omitempty"`
	TargetLabel  string   `json:"target_label,omitempty"`
	Replacement  string   `json:"replacement,omitempty"`
}

// relabel applies the keep and replace rules to meta in place, and says
// whether the target is kept.
func relabel(t *testing.T, rules []relabelConfig, meta map[string]string) bool {
	t.Helper()
	for _, r := range rules {
		var vals []string
		for _, l := range r.SourceLabels {
			vals = append(vals, meta[l])
		}
		v := strings.Join(vals, ";")
		switch r.Action {
		case "keep":
			if v != r.Regex {
				return false
			}
		case "", "replace":
			if r.Replacement != "" {
				v = r.Replacement
			}
			meta[r.TargetLabel] = v
		default:
			t.Fatalf("relabel action %s not simulated", r.Action)
		}
	}
	return true
}

func sanitizeLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// TestAlertRules checks what promtool does not: every alert has a
// severity and both annotations, names are unique, and each alert has a
// unit test that expects it to fire.
func TestAlertRules(t *testing.T) {
	rf := readRules(t)
	severities := map[string]bool{"critical": true, "warning": true, "info": true}
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: recording rule %s; this file holds alerts", g.Name, r.Record)
				continue
			}
			if alerts[r.Alert] {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			alerts[r.Alert] = true
			if !severities[r.Labels["severity"]] {
				t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("alert %s has no %s", r.Alert, a)
				}
			}
		}
	}

	fires := map[string]bool{}
	for _, p := range rulesTestPaths {
		alertTests(t, p, alerts, fires)
	}
	for a := range alerts {
		if !fires[a] {
			t.Errorf("alert %s has no unit test in which it fires", a)
		}
	}
}

// alertTests checks the unit test file p: it loads the rules, and tests
// only alerts that exist; fires gains the alerts a test expects to fire.
func alertTests(t *testing.T, p string, alerts, fires map[string]bool) {
	t.Helper()
	var tests struct {
		RuleFiles          []string `json:"rule_files"`
		EvaluationInterval string   `json:"evaluation_interval"`
		Tests              []struct {
			Name          string `json:"name"`
			Interval      string `json:"interval"`
			InputSeries   []any  `json:"input_series"`
			AlertRuleTest []struct {
				EvalTime  string `json:"eval_time"`
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	readYAML(t, p, &tests)
	if !slices.Equal(tests.RuleFiles, []string{filepath.Base(rulesPath)}) {
		t.Errorf("%s: the unit tests load %v, want [%s]", p, tests.RuleFiles, filepath.Base(rulesPath))
	}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if !alerts[a.Alertname] {
				t.Errorf("%s: test %q: no alert %s", p, tc.Name, a.Alertname)
			}
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
}

func TestRulesUseOnlyContractMetrics(t *testing.T) {
	contract := contractMetrics(t)
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			sels, err := selectors(r.Expr)
			if err != nil {
				t.Errorf("alert %s: %v", r.Alert, err)
				continue
			}
			if len(sels) == 0 {
				t.Errorf("alert %s selects no metric", r.Alert)
			}
			checkMetricNames(t, "alert "+r.Alert, sels, contract)
		}
	}
}
