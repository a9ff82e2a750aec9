package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"sigs.k8s.io/yaml"
)

func TestMain(m *testing.M) { agent.Main(m) }

// fixtureCollectors are the collectors the fixture root feeds.
var fixtureCollectors = map[string]bool{"host": true, "firmware": true, "dmi": true}

// collectorFlag matches a collector's enable flag in serve --help, not its
// options (--collector.dmi.serials).
var collectorFlag = regexp.MustCompile(`--\[no-\]collector\.([a-z_]+)\s`)

// client talks to the servers the tests start; its timeout turns a request
// that hangs into an error that the wait for an answer reports.
var client = &http.Client{Timeout: 10 * time.Second}

// promAPI GETs a Prometheus HTTP API path and decodes its data field.
func promAPI(base, path string, query url.Values, data any) error {
	u := base + path
	if query != nil {
		u += "?" + query.Encode()
	}
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s: %s: %w", u, resp.Status, err)
	}
	if env.Status != "success" {
		return &apiError{msg: fmt.Sprintf("%s: %s", u, env.Error)}
	}
	return json.Unmarshal(env.Data, data)
}

type apiError struct{ msg string }

func (e *apiError) Error() string { return e.msg }

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func query(base, q string) ([]sample, error) {
	var d struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := promAPI(base, "/api/v1/query", url.Values{"query": {q}}, &d); err != nil {
		return nil, err
	}
	if d.ResultType != "vector" {
		return nil, nil
	}
	var s []sample
	return s, json.Unmarshal(d.Result, &s)
}

// TestPrometheusScrapesBootinfo runs the real thing: bootinfo built from
// this tree serving the fixture root, and Debian's Prometheus scraping it
// every second with the example scrape configuration and the alert rules.
func TestPrometheusScrapesBootinfo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts bootinfo and Prometheus")
	}
	promBin := testutil.Tool(t, "prometheus", "prometheus")
	rules, err := filepath.Abs(rulesPath)
	if err != nil {
		t.Fatal(err)
	}

	// bootinfo on the bare fixture root (proc files, os-release, machine
	// id, and empty sys, dev and boot). Collectors whose sources the root
	// does not provide are turned off, by name, so that "every collector
	// succeeds" means every collector the fixture feeds; add a collector
	// to fixtureCollectors when the fixture grows its source.
	help, err := exec.Command(agent.Binary(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("bootinfo serve --help: %v\n%s", err, help)
	}
	var off []string
	for _, m := range collectorFlag.FindAllStringSubmatch(string(help), -1) {
		if !fixtureCollectors[m[1]] {
			off = append(off, "--no-collector."+m[1])
			t.Logf("collector %s is off: the fixture root has no source for it", m[1])
		}
	}
	bootinfo := agent.Start(t, agent.FixtureArgs(agent.BareFixtureRoot(t), off...)...)
	agentAddr := strings.TrimPrefix(bootinfo.Base, "http://")

	// The example configuration, pointed at this agent.
	var cfg map[string]any
	readYAML(t, scrapeConfig, &cfg)
	cfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	cfg["rule_files"] = []any{rules}
	jobs, _ := cfg["scrape_configs"].([]any)
	if len(jobs) != 1 {
		t.Fatalf("%s: want one scrape job, got %d", scrapeConfig, len(jobs))
	}
	job := jobs[0].(map[string]any)
	if job["job_name"] != "bootinfo" {
		t.Fatalf("%s: job_name %v, want bootinfo", scrapeConfig, job["job_name"])
	}
	job["static_configs"] = []any{map[string]any{"targets": []any{agentAddr}}}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, out, 0o644); err != nil {
		t.Fatal(err)
	}

	promAddr := testutil.FreeAddr(t)
	base := "http://" + promAddr
	prom := testutil.StartProcess(t, "prometheus", exec.Command(promBin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
		"--log.level=warn",
	))
	peers := []*testutil.Process{bootinfo.Process, prom}

	// A successful scrape of the agent.
	testutil.WaitFor(t, "a scrape of bootinfo", func() error {
		s, err := query(base, `up{job="bootinfo"}`)
		if err != nil {
			return err
		}
		if len(s) != 1 {
			return fmt.Errorf("up: %d series", len(s))
		}
		if s[0].Value[1] != "1" {
			return fmt.Errorf("up = %v", s[0].Value[1])
		}
		return nil
	}, peers...)
	success, err := query(base, `bootinfo_scrape_collector_success{job="bootinfo"}`)
	if err != nil {
		t.Fatal(err)
	}
	var collectors []string
	for _, s := range success {
		collectors = append(collectors, s.Metric["collector"])
		if s.Value[1] != "1" {
			t.Errorf("bootinfo_scrape_collector_success{collector=%q} = %v", s.Metric["collector"], s.Value[1])
		}
	}
	slices.Sort(collectors)
	t.Logf("collectors scraped: %v", collectors)
	for c := range fixtureCollectors {
		if !slices.Contains(collectors, c) {
			t.Errorf("no bootinfo_scrape_collector_success for %s (got %v)", c, collectors)
		}
	}

	// Every rule group loaded and every rule evaluated without error.
	rf := readRules(t)
	var wantGroups []string
	for _, g := range rf.Groups {
		wantGroups = append(wantGroups, g.Name)
	}
	slices.Sort(wantGroups)
	testutil.WaitFor(t, "every rule evaluated", func() error {
		var d struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name           string `json:"name"`
					Health         string `json:"health"`
					LastError      string `json:"lastError"`
					LastEvaluation string `json:"lastEvaluation"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := promAPI(base, "/api/v1/rules", nil, &d); err != nil {
			return err
		}
		var got []string
		for _, g := range d.Groups {
			got = append(got, g.Name)
			for _, r := range g.Rules {
				if r.Health == "err" {
					t.Fatalf("rule %s: %s", r.Name, r.LastError)
				}
				if r.Health != "ok" {
					return fmt.Errorf("rule %s health %q", r.Name, r.Health)
				}
			}
		}
		// The API lists groups by name.
		slices.Sort(got)
		if !slices.Equal(got, wantGroups) {
			return fmt.Errorf("rule groups %v, want %v", got, wantGroups)
		}
		return nil
	}, peers...)

	// Every dashboard query is valid PromQL to this Prometheus, with the
	// variables as Grafana would fill them for "All".
	fill := strings.NewReplacer(`$job`, `.+`, `$instance`, `.+`, `$__rate_interval`, `1m`, `$__range`, `5m`)
	for where, expr := range dashboardQueries(t, readDashboard(t)) {
		if _, err := query(base, fill.Replace(expr)); err != nil {
			t.Errorf("dashboard %s: %v", where, err)
		}
	}

	// The agent stops cleanly on SIGTERM (the systemd unit and the DaemonSet
	// rely on it to mark a clean shutdown).
	if err := bootinfo.Stop(); err != nil {
		t.Errorf("bootinfo on SIGTERM: %v\n%s", err, bootinfo.Output)
	}
}
