package systemd

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

var (
	update  = flag.Bool("update", false, "rewrite testdata/*.golden.json from BuildSnapshot")
	capture = flag.Bool("capture", false, "capture testdata/lab-user-manager.input.json from a lab manager")
)

// TestBuildSnapshotGolden derives snapshots from raw manager state captured
// from the lab (testdata/*.input.json) and compares them, as JSON, with the
// golden files: the shape collectors and the JSON API consume.
func TestBuildSnapshotGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.input.json")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var si SnapshotInput
			if err := json.Unmarshal(raw, &si); err != nil {
				t.Fatal(err)
			}
			testutil.GoldenJSON(t, strings.TrimSuffix(in, ".input.json")+".golden.json", BuildSnapshot(si, Filter{}), *update)
			// systemd-analyze's own output, captured with the input, is
			// the oracle for the derived parts.
			for verb, check := range checkAnalyze {
				out, err := os.ReadFile(strings.TrimSuffix(in, ".input.json") + ".analyze-" + verb + ".txt")
				if err != nil {
					t.Fatal(err)
				}
				check(t, BuildSnapshot(si, Filter{}), string(out))
			}
		})
	}
}

// TestLabCaptureFixture writes the golden test's input from a lab manager
// when run with -capture.
func TestLabCaptureFixture(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to rewrite the fixture")
	}
	l := startLab(t, systemdlab.Options{Units: 2, Targets: 2})
	settle(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := dial(ctx, ctx, l.PrivateAddress(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	w := New(Options{Scope: ScopeUser, Address: l.PrivateAddress()})
	if err := w.fullSync(ctx, c, true); err != nil {
		t.Fatal(err)
	}
	raw, err := json.MarshalIndent(w.c.input(ScopeUser, nil, nil, nil), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// The lab's temporary directory changes with every run.
	raw = regexp.MustCompile(`/tmp/sdlab[0-9]+`).ReplaceAll(raw, []byte("/tmp/sdlab"))
	if err := os.WriteFile("testdata/lab-user-manager.input.json", append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	for verb := range checkAnalyze {
		out, err := l.SystemdAnalyze(verb)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/lab-user-manager.analyze-"+verb+".txt", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
