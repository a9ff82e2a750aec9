package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
)

// captureMessages decodes a kernel log capture and returns its messages
// that are long enough to tell from other text.
func captureMessages(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := kmsg.NewCaptureReader(f)
	var out []string
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		if m := strings.TrimSpace(rec.Message); len(m) >= 12 {
			out = append(out, m)
		}
	}
	return out
}

// TestKmsgCommandWithholdsMessages: `bootinfo kmsg
// --no-collector.kmsg.records` prints no message text of the capture: the
// text format is refused, JSON has the counts and milestones without it.
// Without the flag the same outputs hold every message, so the scan works.
func TestKmsgCommandWithholdsMessages(t *testing.T) {
	capture := testutil.Shared(t, "kmsg", "util-linux", "kmsg-input")
	msgs := captureMessages(t, capture)
	if len(msgs) < 20 {
		t.Fatalf("%d messages in the capture: too few", len(msgs))
	}
	var withheld, open []string
	for _, format := range []string{"text", "json"} {
		var o, e bytes.Buffer
		code := run([]string{"kmsg", "--file", capture, "--format", format, "--no-collector.kmsg.records"}, &o, &e)
		if format == "text" && (code != 1 || o.Len() != 0 || !strings.Contains(e.String(), "withheld")) {
			t.Errorf("text withheld: exit %d, %q, %q; want a refusal", code, o.String(), e.String())
		}
		if format == "json" && (code != 0 || !strings.Contains(o.String(), `"messages_withheld": true`)) {
			t.Errorf("json withheld: exit %d, %q, %q", code, o.String(), e.String())
		}
		withheld = append(withheld, o.String(), e.String())
		o.Reset()
		run([]string{"kmsg", "--file", capture, "--format", format}, &o, &e)
		open = append(open, o.String())
	}
	all, allOpen := strings.Join(withheld, "\n"), strings.Join(open, "\n")
	shown := 0
	for _, m := range msgs {
		if strings.Contains(all, m) {
			t.Errorf("withheld output holds %q", m)
		}
		if strings.Contains(allOpen, m) || strings.Contains(allOpen, strings.ReplaceAll(m, `"`, `\"`)) {
			shown++
		}
	}
	if shown == 0 {
		t.Errorf("none of %d messages found in the open output: the scan cannot work", len(msgs))
	}
	t.Logf("%d messages withheld (%d found in the open output)", len(msgs), shown)
}

// TestKmsgCommandWithholdsSkippedRecords: a record that does not decode is
// described on standard error, and its description quotes the line; with
// --no-collector.kmsg.records it names the fault only.
func TestKmsgCommandWithholdsSkippedRecords(t *testing.T) {
	const secret = "secret-disk-serial-WD-1234"
	capture := filepath.Join(t.TempDir(), "capture")
	if err := os.WriteFile(capture, []byte("6,1,100,-;first message\n"+secret+";a message\n6,2,200,-;second message\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		shown bool
	}{{nil, true}, {[]string{"--no-collector.kmsg.records"}, false}} {
		var o, e bytes.Buffer
		if code := run(append([]string{"kmsg", "--file", capture, "--format", "json"}, tc.flags...), &o, &e); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.flags, code, e.String())
		}
		if !strings.Contains(e.String(), "skipped") {
			t.Fatalf("%v: no skipped record described: %q", tc.flags, e.String())
		}
		if got := strings.Contains(e.String()+o.String(), secret); got != tc.shown {
			t.Errorf("%v: the skipped line's text shown %v, want %v:\n%s", tc.flags, got, tc.shown, e.String())
		}
	}
}
