package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

const dashboardPath = "grafana/bootinfo.json"

// dashboard is the part of Grafana's dashboard JSON model the checks read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *datasourceRef  `json:"datasource"`
			Multi      bool            `json:"multi"`
			IncludeAll bool            `json:"includeAll"`
		} `json:"list"`
	} `json:"templating"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string         `json:"refId"`
		Expr       string         `json:"expr"`
		Datasource *datasourceRef `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatalf("%s is not valid JSON", dashboardPath)
	}
	var d dashboard
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// dashboardQueries returns every PromQL expression in the dashboard, named
// for error messages: the panels' targets and the variables' queries
// (label_values(EXPR, label) contributes EXPR).
func dashboardQueries(t *testing.T, d dashboard) map[string]string {
	t.Helper()
	q := map[string]string{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			q[fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID)] = tg.Expr
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		def := strings.TrimSpace(v.Definition)
		inner, ok := strings.CutPrefix(def, "label_values(")
		if !ok || !strings.HasSuffix(inner, ")") {
			t.Errorf("variable %s: query %q is not label_values(...)", v.Name, def)
			continue
		}
		inner = strings.TrimSuffix(inner, ")")
		i := strings.LastIndex(inner, ",")
		if i < 0 {
			t.Errorf("variable %s: label_values without a metric: %q", v.Name, def)
			continue
		}
		q["variable "+v.Name] = strings.TrimSpace(inner[:i])
	}
	return q
}

func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q title %q schemaVersion %d", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		switch v.Name {
		case "datasource":
			if v.Type != "datasource" || string(v.Query) != `"prometheus"` {
				t.Errorf("datasource variable is %s %s", v.Type, v.Query)
			}
		case "job", "instance":
			if v.Type != "query" || !v.Multi || !v.IncludeAll || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
				t.Errorf("variable %s: type %s multi %v includeAll %v datasource %+v", v.Name, v.Type, v.Multi, v.IncludeAll, v.Datasource)
			}
		}
	}
	for _, v := range []string{"datasource", "job", "instance"} {
		if !vars[v] {
			t.Errorf("no %s variable", v)
		}
	}

	ids := map[int]bool{}
	for _, p := range allPanels(d.Panels) {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %d %q: gridPos %+v outside the 24-column grid", p.ID, p.Title, g)
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel %d: title %q, %d targets", p.ID, p.Title, len(p.Targets))
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %d %q: datasource %+v, want the ${datasource} variable", p.ID, p.Title, p.Datasource)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if refs[tg.RefID] || tg.RefID == "" {
				t.Errorf("panel %d %q: refId %q empty or repeated", p.ID, p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %d %q target %s: no expr", p.ID, p.Title, tg.RefID)
			}
		}
	}
}

// TestDashboardUsesOnlyContractMetrics checks every query names only
// metrics bootinfo exports (and up), and that every selector in a panel
// follows the job and instance variables.
func TestDashboardUsesOnlyContractMetrics(t *testing.T) {
	d := readDashboard(t)
	contract := contractMetrics(t)
	used := map[string]bool{}
	for where, expr := range dashboardQueries(t, d) {
		sels, err := selectors(expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if len(sels) == 0 {
			t.Errorf("%s: %q selects no metric", where, expr)
		}
		for _, m := range checkMetricNames(t, where, sels, contract) {
			used[m] = true
		}
		if !strings.HasPrefix(where, "panel ") {
			continue
		}
		for _, s := range sels {
			if !strings.Contains(s.Matchers, `job=~"$job"`) || !strings.Contains(s.Matchers, `instance=~"$instance"`) {
				t.Errorf("%s: %s{%s} ignores the job or instance variable", where, s.Metric, s.Matchers)
			}
		}
	}
	var unused []string
	for m := range contract {
		if !used[m] {
			unused = append(unused, m)
		}
	}
	slices.Sort(unused)
	if len(unused) > 0 {
		t.Logf("metrics the dashboard does not show: %v", unused)
	}
}
