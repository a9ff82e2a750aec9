package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// jsonStrings collects the string values under keys named one of names, anywhere
// in a JSON document.
func jsonStrings(t *testing.T, doc []byte, names ...string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok {
					for _, n := range names {
						if k == n && s != "" {
							out = append(out, s)
						}
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// TestEndToEndWithholding: with --no-collector.dmi.serials and
// --no-collector.kmsg.records, no serial number, UUID or asset tag of a real
// machine's SMBIOS tables, and no kernel log message text, appears in any
// output: /metrics, the document and every section over HTTP, and show in
// both formats. The secrets are what the same agent serves without the
// flags.
func TestEndToEndWithholding(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		testutil.SkipOrFail(t, "no /dev/kmsg: %v", err)
	}
	root := agent.FixtureRoot(t)
	// A real machine whose tables carry serials, DIMM serials and a UUID.
	tables := testutil.Shared(t, "smbios", "sysfs", "dell-precisiont7600")
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		p := filepath.Join(root, "sys", "firmware", "dmi", "tables", f)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(tables, f), p); err != nil {
			t.Fatal(err)
		}
	}
	args := agent.FixtureArgs(root, "--collector.kmsg", "--path.dev=/dev")

	open := agent.Start(t, args...)
	_, _, dmiSec := open.Get(t, "GET", "/bootinfo/dmi")
	serials := jsonStrings(t, dmiSec, "serial_number", "uuid", "asset_tag")
	_, _, kmsgSec := open.Get(t, "GET", "/bootinfo/kmsg")
	messages := jsonStrings(t, kmsgSec, "message")
	var secrets []string
	for _, s := range append(serials, messages...) {
		// Placeholders and short values could appear for other reasons.
		if len(strings.TrimSpace(s)) >= 6 && !strings.Contains(s, "Not Specified") && !strings.Contains(s, "To Be Filled") {
			secrets = append(secrets, s)
		}
	}
	if len(serials) < 3 || len(messages) == 0 {
		t.Fatalf("the inputs hold too little to withhold: serials %q, messages %d", serials, len(messages))
	}

	withheld := append(args, "--no-collector.dmi.serials", "--no-collector.kmsg.records")
	a := agent.Start(t, withheld...)
	outputs := map[string][]byte{}
	for _, p := range []string{"/metrics", "/bootinfo", "/bootinfo/dmi", "/bootinfo/history", "/bootinfo/kmsg", "/bootinfo/host", "/bootinfo/bootloader", "/bootinfo/firmware"} {
		_, _, b := a.Get(t, "GET", p)
		outputs[p] = b
	}
	for _, format := range []string{"json", "text"} {
		out, err := exec.Command(agent.Binary(t), append([]string{"show", "--format", format}, withheld...)...).Output()
		if err != nil {
			t.Fatalf("show --format %s: %v", format, err)
		}
		outputs["show --format "+format] = out
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s holds %q", name, s)
			}
		}
	}
	if !bytes.Contains(outputs["/bootinfo/dmi"], []byte(`"serials_withheld":true`)) {
		t.Errorf("/bootinfo/dmi does not say serials are withheld")
	}
	t.Logf("%d secrets (%d serials, %d kernel messages) absent from %d outputs", len(secrets), len(serials), len(messages), len(outputs))
}
