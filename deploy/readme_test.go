package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// forRE finds the duration an alert's "when" cell names: "for 15m".
var forRE = regexp.MustCompile(`\bfor (\d+[smhd])\b`)

// TestReadmeAlertsTable keeps deploy/README.md's table of alerts in step
// with the rules: every alert and no other, each with its severity, and
// the duration the "when" column names ("for 15m") as the rule's for.
func TestReadmeAlertsTable(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Alerts\n")
	if !ok {
		t.Fatal(`README.md has no "## Alerts" section`)
	}
	if end := strings.Index(sec, "\n## "); end >= 0 {
		sec = sec[:end]
	}
	type alert struct{ Severity, For string }
	readme := map[string]alert{}
	for _, line := range strings.Split(sec, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "Bootinfo") {
			continue
		}
		a := alert{Severity: strings.TrimSpace(cells[2])}
		if m := forRE.FindStringSubmatch(cells[3]); m != nil {
			a.For = m[1]
		}
		readme[strings.TrimSpace(cells[1])] = a
	}
	rules := map[string]alert{}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			a := alert{Severity: r.Labels["severity"]}
			if readme[r.Alert].For != "" {
				a.For = r.For
			}
			rules[r.Alert] = a
		}
	}
	if len(rules) == 0 {
		t.Fatal("no alerts in the rules")
	}
	if diff := cmp.Diff(rules, readme); diff != "" {
		t.Errorf("deploy/README.md's alerts differ from %s (-rules +README):\n%s", rulesPath, diff)
	}
}

// resourcesRE reads deploy/README.md's sentence on the DaemonSet's
// resources.
var resourcesRE = regexp.MustCompile(`Resources:\s+(\S+)\s+CPU\s+and\s+(\S+)\s+requested,\s+(\S+)\s+limit,\s+` + "`GOMEMLIMIT=([^`]+)`" + `,\s+no\s+CPU\s+limit`)

// TestReadmeResources: the requests, limit and GOMEMLIMIT deploy/README.md
// states are the DaemonSet's.
func TestReadmeResources(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := resourcesRE.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("README.md does not state the DaemonSet's resources")
	}
	c := loadManifests(t).daemonSets[0].Spec.Template.Spec.Containers[0]
	memLimit := ""
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		memLimit = q.String()
	}
	if _, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		t.Error("the DaemonSet has a CPU limit")
	}
	var goMemLimit string
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" {
			goMemLimit = e.Value
		}
	}
	cpu, mem := c.Resources.Requests[corev1.ResourceCPU], c.Resources.Requests[corev1.ResourceMemory]
	got := []string{cpu.String(), mem.String(), memLimit, goMemLimit}
	if diff := cmp.Diff(got, m[1:]); diff != "" {
		t.Errorf("README.md's resources differ from the DaemonSet's (-DaemonSet +README):\n%s", diff)
	}
}
