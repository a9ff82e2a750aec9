package e2e

// End-to-end tests of the real binary on this machine: `bootinfo serve` on
// a fixture host tree, the machine's kernel log or a systemd lab, over real
// HTTP; and the one-shot commands (show, dmi, kmsg), their output compared
// with the tools they stand in for.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) { agent.Main(m) }

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
	golden(t, "fixture-metrics.txt", normalizeMetrics(body))
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
		{"GET", "/", 200, `href="bootinfo?pretty"`},
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

// selfSigned writes a certificate and key for 127.0.0.1 and returns a pool
// that trusts it.
// tlsWebConfig writes an exporter-toolkit web configuration serving TLS with
// a fresh self-signed certificate and basic auth for user with password,
// and returns its path and the pool that trusts the certificate.
func tlsWebConfig(t *testing.T, user, password string) (string, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(cfg, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+"\nbasic_auth_users:\n  "+user+": "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, pool
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "bootinfo test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestEndToEndTLSAndBasicAuth serves over real TLS with basic auth through
// exporter-toolkit's web configuration: the right password gets the
// metrics, a wrong or missing one 401, plain HTTP nothing.
func TestEndToEndTLSAndBasicAuth(t *testing.T) {
	cfg, pool := tlsWebConfig(t, "prometheus", "s3cret")

	a := agent.StartWith(t, agent.Options{
		Args: agent.FixtureArgs(agent.FixtureRoot(t), "--web.config.file="+cfg),
		TLS:  &tls.Config{RootCAs: pool},
	})
	get := func(user, pass string) int {
		req, _ := http.NewRequest("GET", a.Base+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := a.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("prometheus", "s3cret"); code != 200 {
		t.Errorf("right password: %d, want 200", code)
	}
	if code := get("prometheus", "wrong"); code != 401 {
		t.Errorf("wrong password: %d, want 401", code)
	}
	if code := get("", ""); code != 401 {
		t.Errorf("no credentials: %d, want 401", code)
	}
	resp, err := http.Get("http://" + strings.TrimPrefix(a.Base, "https://") + "/metrics")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP got the metrics from a TLS listener")
		}
	}
	if !strings.Contains(a.Output.String(), "TLS is enabled") {
		t.Errorf("log does not say TLS is on:\n%s", a.Output)
	}
}

// TestEndToEndSystemdLab serves a real systemd user manager through the
// agent.Binary(t): unit states in /metrics (linted by promtool), a unit's detail at
// /bootinfo/systemd/units/NAME and from show --unit, and 404 for a unit that
// does not exist.
func TestEndToEndSystemdLab(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{
		Units: 10,
		Files: map[string]string{"web.service": "[Unit]\nDescription=lab web\n[Service]\nExecStart=/bin/sleep infinity\nRestart=on-failure\n[Install]\nWantedBy=default.target\n"},
		Wants: []string{"web.service"},
	})
	args := []string{"--no-collector.kmsg", "--no-collector.dmi", "--no-collector.firmware", "--no-collector.history",
		"--collector.systemd.user", "--collector.systemd.address=" + lab.PrivateAddress()}
	a := agent.Start(t, args...)
	var metrics []byte
	testutil.WaitFor(t, "web.service active in /metrics, with every unit's detail", func() error {
		_, _, metrics = a.Get(t, "GET", "/metrics")
		if !bytes.Contains(metrics, []byte(`bootinfo_systemd_unit_state{name="web.service",state="active"} 1`)) ||
			!bytes.Contains(metrics, []byte("bootinfo_systemd_detail_complete 1")) {
			return errors.New("not yet")
		}
		return nil
	}, a.Process)
	for _, want := range []string{
		`bootinfo_scrape_collector_success{collector="systemd"} 1`,
		`bootinfo_systemd_unit_state{name="web.service",state="active"} 1`,
		`bootinfo_systemd_unit_file_state{name="web.service",state="enabled"} 1`,
		`bootinfo_systemd_system_state{state="running"} 1`,
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtoolCheck(t, metrics)

	code, _, body := a.Get(t, "GET", "/bootinfo/systemd/units/web.service")
	var d struct {
		Description string `json:"description"`
		ActiveState string `json:"active_state"`
	}
	if err := json.Unmarshal(body, &d); code != 200 || err != nil || d.Description != "lab web" || d.ActiveState != "active" {
		t.Errorf("unit detail: %d %s", code, body)
	}
	if code, _, _ := a.Get(t, "GET", "/bootinfo/systemd/units/nosuch.service"); code != 404 {
		t.Errorf("missing unit: %d, want 404", code)
	}
	out, err := exec.Command(agent.Binary(t), append([]string{"show", "systemd", "--unit", "web.service"}, args...)...).Output()
	if err != nil || !bytes.Contains(out, []byte(`"description": "lab web"`)) {
		t.Errorf("show systemd --unit: %v\n%s", err, out)
	}
}

// TestEndToEndLiveKmsg serves the machine's real kernel log and checks the
// kmsg metrics and records endpoint, and that --no-collector.kmsg.records
// withholds message text over HTTP.
func TestEndToEndLiveKmsg(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		testutil.SkipOrFail(t, "no /dev/kmsg: %v", err)
	}
	args := []string{"--no-collector.dmi", "--no-collector.firmware", "--no-collector.history", "--no-collector.systemd", "--path.dev=/dev"}
	a := agent.Start(t, args...)
	_, _, metrics := a.Get(t, "GET", "/metrics")
	for _, want := range []string{`bootinfo_scrape_collector_success{collector="kmsg"} 1`, `bootinfo_kernel_problems_total{kind="oom_kill"}`, `bootinfo_kmsg_records_total{facility="kern"`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtoolCheck(t, metrics)
	code, _, body := a.Get(t, "GET", "/bootinfo/kmsg/records?limit=3")
	if code != 200 || !strings.Contains(string(body), `"message"`) {
		t.Errorf("records: %d %s", code, body)
	}
	if code, _, _ := a.Get(t, "GET", "/bootinfo/kmsg/records?limit=x"); code != 400 {
		t.Errorf("bad limit: %d", code)
	}

	w := agent.Start(t, append(args, "--no-collector.kmsg.records")...)
	if code, _, _ := w.Get(t, "GET", "/bootinfo/kmsg/records"); code != 403 {
		t.Errorf("withheld records: %d, want 403", code)
	}
	_, _, doc := w.Get(t, "GET", "/bootinfo/kmsg")
	var sec struct {
		Milestones struct {
			KernelBanner struct{ Message string } `json:"kernel_banner"`
		} `json:"milestones"`
	}
	if err := json.Unmarshal(doc, &sec); err != nil || sec.Milestones.KernelBanner.Message != "" {
		t.Errorf("kernel banner text served while withheld: %q (%v)", sec.Milestones.KernelBanner.Message, err)
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
	if code != 0 || !strings.HasPrefix(out, "Kernel       ok   6.1.0-27-amd64\n") {
		t.Errorf("show host --format text: code %d\n%s", code, out)
	}
	code, out, _ = run("show", "host", "--format", "yaml")
	if code != 0 || !strings.Contains(out, "hostname: node-a17\n") || !strings.Contains(out, "os:\n  id: debian\n") {
		t.Errorf("show host --format yaml: code %d\n%s", code, out)
	}
	if code, _, stderr := run("show", "--format", "xml"); code != 2 || !strings.Contains(stderr, "xml") {
		t.Errorf("bad format accepted: %d %q", code, stderr)
	}
	if code, out, _ := run("--version"); code != 0 || !strings.Contains(out, "bootinfo, version") {
		t.Errorf("--version: %d %q", code, out)
	}
}

// requiredTypes are the structure types whose text must match dmidecode 3.4
// line for line.
const requiredTypes = "0,1,2,3,4,16,17,19,32"

// TestDMICommandAgainstDmidecode runs `bootinfo dmi --from-dump` as a whole
// process over every dump of the shared corpus, next to Debian's dmidecode on
// the same file: standard output and standard error must be equal, for the
// required types alone and for the whole table.
func TestDMICommandAgainstDmidecode(t *testing.T) {
	if _, err := exec.LookPath("dmidecode"); err != nil {
		testutil.SkipOrFail(t, "dmidecode not installed")
	}
	dir := testutil.Shared(t, "smbios", "dumps")
	dumps, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	if len(dumps) == 0 {
		t.Fatal("no dumps")
	}
	out := func(name string, args ...string) (string, string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir // both print the file name as given
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run() // dmidecode exits non-zero on broken tables; compare what it printed
		return stdout.String(), stderr.String()
	}
	for _, d := range dumps {
		name := filepath.Base(d)
		for _, args := range [][]string{{"-t", requiredTypes}, nil} {
			oursOut, oursErr := out(agent.Binary(t), append([]string{"dmi", "--from-dump", name}, args...)...)
			theirOut, theirErr := out("dmidecode", append([]string{"--from-dump", name}, args...)...)
			if d := cmp.Diff(theirOut, oursOut); d != "" {
				t.Errorf("%s %v: stdout differs from dmidecode (-dmidecode +bootinfo):\n%s", name, args, d)
			}
			if d := cmp.Diff(theirErr, oursErr); d != "" {
				t.Errorf("%s %v: stderr differs from dmidecode (-dmidecode +bootinfo):\n%s", name, args, d)
			}
		}
		// The corpus's recorded oracle says the same.
		oracle, err := os.ReadFile(strings.TrimSuffix(d, ".bin") + ".dmidecode.txt")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := out(agent.Binary(t), "dmi", "--from-dump", name); o != string(oracle) {
			t.Errorf("%s: differs from %s.dmidecode.txt (-recorded +bootinfo):\n%s", name, name, cmp.Diff(string(oracle), o))
		}
	}
}

// TestKmsgCommandMatchesDmesgText: for each of the seven real QEMU boots,
// `bootinfo kmsg --force-prefix --file dev-kmsg.txt` prints exactly what
// dmesg printed in that boot (dmesg.txt beside it, which stamps every line
// of a multi-line message, as dmesg --force-prefix and the syslog(2)
// buffer do).
func TestKmsgCommandMatchesDmesgText(t *testing.T) {
	boots, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "boots"), "*"))
	if len(boots) == 0 {
		t.Fatal("no boots")
	}
	for _, b := range boots {
		out, err := exec.Command(agent.Binary(t), "kmsg", "--force-prefix", "--file", filepath.Join(b, "dev-kmsg.txt")).Output()
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		want, err := os.ReadFile(filepath.Join(b, "dmesg.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(out)); diff != "" {
			t.Errorf("%s (-dmesg +bootinfo):\n%s", filepath.Base(b), diff)
		}
	}
}

// TestKmsgCommandJSON decodes util-linux's NUL-separated capture and checks
// the document's shape and that the summary counts every record even when
// --level filters what is printed.
func TestKmsgCommandJSON(t *testing.T) {
	in := testutil.Shared(t, "kmsg", "util-linux", "kmsg-input")
	out, err := exec.Command(agent.Binary(t), "kmsg", "--file", in, "--format", "json", "--level", "err").Output()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Records []struct {
			Seq      uint64            `json:"seq"`
			Priority int               `json:"priority"`
			Level    string            `json:"level"`
			Facility string            `json:"facility"`
			TimeUS   uint64            `json:"time_us"`
			Message  string            `json:"message"`
			Fields   map[string]string `json:"fields"`
		} `json:"records"`
		Summary struct {
			RecordsSeen int            `json:"records_seen"`
			Levels      map[string]int `json:"levels"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Summary.RecordsSeen != 45 {
		t.Errorf("summary saw %d records, the capture has 45", doc.Summary.RecordsSeen)
	}
	if len(doc.Records) != doc.Summary.Levels["err"] || len(doc.Records) == 0 {
		t.Errorf("%d err records printed, summary counts %d", len(doc.Records), doc.Summary.Levels["err"])
	}
	for _, r := range doc.Records {
		if r.Level != "err" || r.Priority%8 != 3 {
			t.Errorf("record %d: level %s priority %d", r.Seq, r.Level, r.Priority)
		}
	}
}

// TestKmsgCommandLevelsLikeDmesg: on this machine's live log, --level
// prints what `dmesg --level` prints. Records may arrive in between, so
// dmesg's lines must be a prefix of ours; on a full ring each of them also
// pushes the oldest record out, so the readings are made again until the
// oldest record was the same before dmesg and after bootinfo.
func TestKmsgCommandLevelsLikeDmesg(t *testing.T) {
	if _, err := exec.LookPath("dmesg"); err != nil {
		testutil.SkipOrFail(t, "util-linux dmesg not installed")
	}
	var theirs, ours []byte
	testutil.WaitFor(t, "dmesg and bootinfo kmsg to read the log from the same oldest record", func() error {
		first := oldestKmsgSeq(t)
		var err error
		theirs, err = exec.Command("dmesg", "--level", "err,warn,notice").Output()
		if err != nil {
			testutil.SkipOrFail(t, "dmesg cannot read the log: %v", err)
		}
		ours, err = exec.Command(agent.Binary(t), "kmsg", "--level", "err,warn,notice").Output()
		if err != nil {
			t.Fatal(err)
		}
		if now := oldestKmsgSeq(t); now != first {
			return fmt.Errorf("the oldest record went from %d to %d during the readings", first, now)
		}
		return nil
	})
	if len(theirs) == 0 || !bytes.HasPrefix(ours, theirs) {
		t.Errorf("dmesg --level:\n%s\nbootinfo kmsg --level:\n%s", theirs, ours)
	}
	if _, err := exec.Command(agent.Binary(t), "kmsg", "--level", "loud").Output(); err == nil {
		t.Error("unknown level accepted")
	}
}

// oldestKmsgSeq returns the sequence number of the oldest record the
// kernel's log buffer holds now.
func oldestKmsgSeq(t *testing.T) uint64 {
	t.Helper()
	dev, err := kmsg.NewFS("/dev").Open(kmsg.OpenOptions{})
	if err != nil {
		testutil.SkipOrFail(t, "/dev/kmsg: %v", err)
	}
	defer dev.Close()
	r, err := dev.Next(testutil.Context(t))
	if err != nil {
		t.Fatalf("/dev/kmsg: %v", err)
	}
	return r.Seq
}
