package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func build(t *testing.T, name string) *Report {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTextGolden: the report of a healthy host and of one where every
// stage has something wrong, each against its golden text; the troubled
// one's warnings come first and name every problem.
func TestTextGolden(t *testing.T) {
	for _, name := range []string{"healthy", "troubled"} {
		t.Run(name, func(t *testing.T) {
			r := build(t, name+".json")
			var b bytes.Buffer
			if err := Text(&b, r, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", b.Bytes())
			if strings.Contains(b.String(), "\x1b") {
				t.Error("escape sequences without Color")
			}
			t.Logf("%d lines:\n%s", strings.Count(b.String(), "\n"), b.String())
		})
	}
}

// TestTextTroubledWarnings: each problem of troubled.json is a warning,
// failures before the rest, and no stage of it reads as fine.
func TestTextTroubledWarnings(t *testing.T) {
	r := build(t, "troubled.json")
	var texts []string
	for _, w := range r.Warnings {
		texts = append(texts, w.Stage+": "+w.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"Firmware: POST: Memory error detected",
		"Boot loader: Next boot: initrd_missing: /boot/initrd.img-6.1.0-28-amd64 does not exist",
		"Boot loader: Reboot: required: kernel_update; packages linux-image-6.1.0-28-amd64",
		"Kernel: Boot mode: unit:rescue.target",
		"Kernel: Tainted: P (proprietary module loaded)",
		"Kernel: oom_kill: 2×, last at 9000.5s: Out of memory: Killed process 4242 (java) total-vm:8GB",
		"Init: Failed: bad.service: exit-code, status 1",
		"Init: Restarted: web.service failed 3 times recently",
		"Init: active target: rescue.target",
		"History: Previous boot: crashed: Panic: pstore holds a panic record",
		"nfd: nfd failed: nfd: cannot read /sys/bus: permission denied",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in\n%s", want, all)
		}
	}
	for i := 1; i < len(r.Warnings); i++ {
		if r.Warnings[i].Level > r.Warnings[i-1].Level {
			t.Errorf("warning %q (%v) after %q (%v)", r.Warnings[i].Text, r.Warnings[i].Level, r.Warnings[i-1].Text, r.Warnings[i-1].Level)
		}
	}
	for _, s := range r.Stages {
		if s.Name != "Hardware" && s.Level < Warn {
			t.Errorf("stage %s is %v: %s", s.Name, s.Level, s.Verdict)
		}
	}
}

// TestTextStageAlone prints one stage with its own warnings only.
func TestTextStageAlone(t *testing.T) {
	r := build(t, "troubled.json")
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{Stage: StageFor("systemd")}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "Warnings\n") || !strings.Contains(out, "\nInit         fail ") ||
		strings.Contains(out, "Kernel") || strings.Contains(out, "node-a17") {
		t.Errorf("not the Init stage alone:\n%s", out)
	}
}

// TestTextColor: colour marks the levels when asked, and UseColor asks
// only on a terminal without NO_COLOR (any value but "") or TERM=dumb.
func TestTextColor(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, build(t, "troubled.json"), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[1;31mfail\x1b[0m") {
		t.Errorf("no red fail tag:\n%q", b.String())
	}
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		terminal bool
		env      []string
		want     bool
	}{
		{true, nil, true},
		{false, nil, false},
		{true, []string{"NO_COLOR", "1"}, false},
		{true, []string{"NO_COLOR", "0"}, false},
		{true, []string{"NO_COLOR", ""}, true},
		{true, []string{"TERM", "dumb"}, false},
		{true, []string{"TERM", "xterm-256color"}, true},
	} {
		if got := UseColor(c.terminal, env(c.env...)); got != c.want {
			t.Errorf("UseColor(%v, %q) = %v, want %v", c.terminal, c.env, got, c.want)
		}
	}
}

// TestTextHostileStrings: control characters in host strings never reach
// the terminal raw, and a line break never starts a line of its own.
func TestTextHostileStrings(t *testing.T) {
	doc := []byte(`{"host":{"hostname":"evil\u001b]0;pwned\u0007\nFirmware     ok   fake","kernel_release":"\u009b31m"},
		"kmsg":{"problems":{"oops":{"count":1,"last":{"seconds":1,"message":"line1\nline2\r\u001b[2J"}}}}}`)
	r, err := Build(doc)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\r") || strings.Contains(out, "\u009b") {
		t.Errorf("control characters reach the terminal: %q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Firmware     ok   fake") || strings.HasPrefix(line, "line2") {
			t.Errorf("a host string starts a line: %q", line)
		}
	}
}
