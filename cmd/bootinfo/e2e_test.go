package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) {
	flag.Parse()
	agent.Main(m)
}

// volatile matches samples whose values change from run to run.
var volatile = regexp.MustCompile(`^(bootinfo_scrape_collector_duration_seconds\{[^}]*\}) .*$`)

// normalizeMetrics drops build info and replaces run-dependent values, so the
// rest can be compared with a golden file.
func normalizeMetrics(b []byte) string {
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "bootinfo_build_info") {
			continue
		}
		line = volatile.ReplaceAllString(line, "$1 <duration>")
		out.WriteString(line + "\n")
	}
	return out.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func promtoolCheck(t *testing.T, metrics []byte) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testutil.SkipOrFail(t, "promtool not installed (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(metrics)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestEndToEndFixtureMetrics(t *testing.T) {
	root := agent.FixtureRoot(t)
	a := agent.Start(t, agent.FixtureArgs(root, "--web.disable-exporter-metrics")...)
	code, hdr, body := a.Get(t, "GET", "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	golden(t, "e2e-metrics.txt", normalizeMetrics(body))
	promtoolCheck(t, body)

	// The agent's own metrics are there unless disabled, and still lint clean.
	b := agent.Start(t, agent.FixtureArgs(root)...)
	_, _, full := b.Get(t, "GET", "/metrics")
	for _, m := range []string{"process_resident_memory_bytes", "go_goroutines", "bootinfo_build_info", "go_gc_gogc_percent 25\n"} {
		if !bytes.Contains(full, []byte("\n"+m)) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	promtoolCheck(t, full)
}

// TestEndToEndGOGCOverrides: the agent's own GC target gives way to the
// operator's GOGC.
func TestEndToEndGOGCOverrides(t *testing.T) {
	t.Setenv("GOGC", "150")
	a := agent.Start(t, agent.FixtureArgs(agent.FixtureRoot(t))...)
	if _, _, body := a.Get(t, "GET", "/metrics"); !bytes.Contains(body, []byte("\ngo_gc_gogc_percent 150\n")) {
		t.Errorf("GOGC=150 not honoured")
	}
}

func TestEndToEndDocumentMatchesShow(t *testing.T) {
	root := agent.FixtureRoot(t)
	a := agent.Start(t, agent.FixtureArgs(root)...)
	code, hdr, body := a.Get(t, "GET", "/bootinfo")
	if code != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("/bootinfo: %d %q", code, hdr.Get("Content-Type"))
	}
	var served map[string]any
	if err := json.Unmarshal(body, &served); err != nil {
		t.Fatalf("/bootinfo is not JSON: %v\n%s", err, body)
	}
	out, err := exec.Command(agent.Binary(t), append([]string{"show", "--format", "json"}, agent.FixtureArgs(root)...)...).Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	var shown map[string]any
	if err := json.Unmarshal(out, &shown); err != nil {
		t.Fatalf("show output is not JSON: %v\n%s", err, out)
	}
	// uptime moves between the two reads; everything else is the same document.
	for _, d := range []map[string]any{served, shown} {
		delete(d["host"].(map[string]any), "uptime_seconds")
	}
	if diff := cmp.Diff(served, shown); diff != "" {
		t.Errorf("/bootinfo and show differ (-served +shown):\n%s", diff)
	}
	host := served["host"].(map[string]any)
	if host["hostname"] != "node-a17" || host["boot_time"] != "2024-11-25T02:00:00Z" {
		t.Errorf("host section: %v", host)
	}
	params := host["cmdline_params"].(map[string]any)
	if params["acpi_osi"] != "!Windows 2012" || params["quiet"] != "" {
		t.Errorf("cmdline_params: %v", params)
	}
	if errs := served["errors"].(map[string]any); len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
}

func TestEndToEndHTTP(t *testing.T) {
	a := agent.Start(t, agent.FixtureArgs(agent.FixtureRoot(t))...)
	tests := []struct {
		method, path string
		code         int
		contains     string
	}{
		{"GET", "/", 200, "/bootinfo"},
		{"GET", "/healthz", 200, "ok"},
		{"HEAD", "/metrics", 200, ""},
		{"GET", "/bootinfo/host", 200, `"kernel_release":"6.1.0-27-amd64"`},
		{"GET", "/bootinfo/host?pretty", 200, "\n  \"hostname\": \"node-a17\""},
		{"GET", "/bootinfo/nope", 404, "no such section"},
		{"GET", "/bootinfo/host/extra", 404, "section host has no"},
		{"GET", "/nope", 404, ""},
		{"POST", "/metrics", 405, ""},
		{"DELETE", "/bootinfo", 405, ""},
	}
	for _, tt := range tests {
		code, hdr, body := a.Get(t, tt.method, tt.path)
		if code != tt.code {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, code, tt.code)
		}
		if tt.code == 405 && hdr.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", tt.method, tt.path, hdr.Get("Allow"))
		}
		if !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s %s body lacks %q:\n%s", tt.method, tt.path, tt.contains, body)
		}
	}
}

func TestEndToEndSIGTERMShutsDownCleanly(t *testing.T) {
	a := agent.Start(t, agent.FixtureArgs(agent.FixtureRoot(t))...)
	if err := a.Stop(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, a.Output)
	}
	if !strings.Contains(a.Output.String(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", a.Output)
	}
}

func TestShowCommand(t *testing.T) {
	root := agent.FixtureRoot(t)
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(agent.Binary(t), append(args, agent.FixtureArgs(root)...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stdout.String(), stderr.String()
	}
	if code, _, stderr := run("show", "nosuch"); code != 2 || !strings.Contains(stderr, `no such section "nosuch"`) {
		t.Errorf("show nosuch: code %d, stderr %q", code, stderr)
	}
	code, out, _ := run("show", "host", "--format", "text")
	if code != 0 || !strings.Contains(out, "hostname: node-a17\n") || !strings.Contains(out, "os:\n  id: debian\n") {
		t.Errorf("show host --format text: code %d\n%s", code, out)
	}
	if code, _, stderr := run("show", "--format", "yaml"); code != 2 || !strings.Contains(stderr, "yaml") {
		t.Errorf("bad format accepted: %d %q", code, stderr)
	}
	if code, out, _ := run("--version"); code != 0 || !strings.Contains(out, "bootinfo, version") {
		t.Errorf("--version: %d %q", code, out)
	}
}

// TestEndToEndBrokenSourceDoesNotHideOthers: SMBIOS tables that are garbage
// (and no /sys/class/dmi/id to fall back to) fail the dmi collector alone;
// the others are served, and the failure shows in the metric and in errors.
func TestEndToEndBrokenSourceDoesNotHideOthers(t *testing.T) {
	root := agent.FixtureRoot(t)
	tables := filepath.Join(root, "sys", "firmware", "dmi", "tables")
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		p := filepath.Join(tables, f)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("this is not an SMBIOS table"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	a := agent.Start(t, agent.FixtureArgs(root)...)
	_, _, metrics := a.Get(t, "GET", "/metrics")
	for _, want := range []string{
		`bootinfo_scrape_collector_success{collector="dmi"} 0`,
		`bootinfo_scrape_collector_success{collector="firmware"} 1`,
		`bootinfo_scrape_collector_success{collector="host"} 1`,
		`bootinfo_firmware_info{mode="uefi",secure_boot="disabled"} 1`,
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	_, _, body := a.Get(t, "GET", "/bootinfo")
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	errs := doc["errors"].(map[string]any)
	if msg, _ := errs["dmi"].(string); !strings.Contains(msg, "dmi") {
		t.Errorf("errors.dmi = %q", msg)
	}
	if doc["host"] == nil || doc["firmware"] == nil {
		t.Errorf("a broken source hid others: %v", doc)
	}
	if code, _, _ := a.Get(t, "GET", "/bootinfo/dmi"); code != 503 {
		t.Errorf("/bootinfo/dmi = %d, want 503", code)
	}
}

// TestEndToEndHistoryCleanShutdown: an agent stopped by SIGTERM marks the
// boot clean; after a "reboot" (a new boot id and kernel in the fixture) the
// next agent reports the previous boot clean and the kernel changed.
func TestEndToEndHistoryCleanShutdown(t *testing.T) {
	root := agent.FixtureRoot(t)
	a := agent.Start(t, agent.FixtureArgs(root)...)
	if err := a.Stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	for p, v := range map[string]string{
		"proc/sys/kernel/random/boot_id": "7d1f0c3e-0000-4000-8000-000000000002\n",
		"proc/sys/kernel/osrelease":      "6.1.0-28-amd64\n",
	} {
		if err := os.WriteFile(filepath.Join(root, p), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := agent.Start(t, agent.FixtureArgs(root)...)
	_, _, metrics := b.Get(t, "GET", "/metrics")
	for _, want := range []string{"bootinfo_previous_boot_clean 1", `bootinfo_boot_changes{component="kernel"} 1`, `bootinfo_boot_changes{component="bios"} 0`, "bootinfo_boots_recorded 2"} {
		if !bytes.Contains(metrics, []byte(want+"\n")) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestEndToEndHostileRequests: oversized headers are refused with 431,
// query strings on plain sections are ignored, path tricks stay 404, and the
// agent keeps serving afterwards.
func TestEndToEndHostileRequests(t *testing.T) {
	a := agent.Start(t, agent.FixtureArgs(agent.FixtureRoot(t))...)
	req, _ := http.NewRequest("GET", a.Base+"/metrics", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 200<<10))
	resp, err := a.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 KiB header: %d, want 431", resp.StatusCode)
	}
	for path, want := range map[string]int{
		"/bootinfo/host?limit=-1&pretty=%zz":     200,
		"/bootinfo/../metrics":                   200, // cleaned by the mux's redirect, then served
		"/bootinfo/%2e%2e/etc/passwd":            404,
		"/bootinfo/" + strings.Repeat("x", 4000): 404,
	} {
		if code, _, _ := a.Get(t, "GET", path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
	if code, _, _ := a.Get(t, "GET", "/healthz"); code != 200 {
		t.Errorf("agent stopped serving after hostile requests: %d", code)
	}
}
