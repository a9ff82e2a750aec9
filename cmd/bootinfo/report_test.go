package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtureShowArgs points `bootinfo show` at root as agent.FixtureArgs
// points the agent.
func fixtureShowArgs(root string, args ...string) []string {
	return append(append([]string{"show"}, args...), agent.FixtureArgs(root)...)
}

// TestShowTextReportFixture: the report of the fixture root (a real OVMF
// boot's variables and SMBIOS tables) against its golden text, and its
// stages alone.
func TestShowTextReportFixture(t *testing.T) {
	root := agent.FixtureRoot(t)
	code, out, stderr := runBootinfo(fixtureShowArgs(root, "--format", "text")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join("testdata", "report-fixture.txt")
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), out); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("colour in a pipe")
	}
	for section, head := range map[string]string{"dmi": "Hardware     ok   QEMU Standard PC", "host": "Kernel       ok   6.1.0-27-amd64", "history": "History "} {
		code, alone, stderr := runBootinfo(fixtureShowArgs(root, section, "--format", "text")...)
		if code != 0 || !strings.HasPrefix(alone, head) || strings.Count(alone, "\n") > 12 {
			t.Errorf("show %s --format text: exit %d, %s\n%s", section, code, stderr, alone)
		}
	}
}

// TestShowTextReportHostIsShort: the report of this machine, printed,
// fits a screen.
func TestShowTextReportHostIsShort(t *testing.T) {
	code, out, stderr := runBootinfo("show", "--format", "text", "--state.dir="+t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Count(out, "\n")
	t.Logf("%d lines:\n%s", lines, out)
	if lines > 60 {
		t.Errorf("the report of this host is %d lines, more than 60", lines)
	}
	for _, stage := range []string{"Firmware ", "Hardware ", "Boot loader ", "Kernel ", "Init ", "History "} {
		if !strings.Contains(out, "\n"+stage) {
			t.Errorf("no stage %q", stage)
		}
	}
}

// TestShowYAMLReadsBackAsJSON: `show --format yaml` parsed by
// sigs.k8s.io/yaml (go-yaml v2) is the document `show` prints as JSON, on
// the fixture root (where two runs collect the same document) and for
// each section alone.
func TestShowYAMLReadsBackAsJSON(t *testing.T) {
	root := agent.FixtureRoot(t)
	for _, section := range []string{"", "firmware", "dmi", "host"} {
		args := []string{}
		if section != "" {
			args = append(args, section)
		}
		code, js, stderr := runBootinfo(fixtureShowArgs(root, args...)...)
		if code != 0 {
			t.Fatalf("json: exit %d: %s", code, stderr)
		}
		code, ys, stderr := runBootinfo(fixtureShowArgs(root, append(args, "--format", "yaml")...)...)
		if code != 0 {
			t.Fatalf("yaml: exit %d: %s", code, stderr)
		}
		back, err := yaml.YAMLToJSON([]byte(ys))
		if err != nil {
			t.Fatalf("%q: the YAML does not parse: %v\n%s", section, err, ys)
		}
		var want, got any
		if err := json.Unmarshal([]byte(js), &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(back, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: YAML read back (-json +yaml):\n%s", section, diff)
		}
	}
}
