package e2e

// End-to-end tests of the withholding flags and of read-only one-shot
// commands, on the real binary: --no-collector.dmi.serials and
// --no-collector.kmsg.records over every output, from a state directory
// whose previous boot ran on other hardware and ended in a kernel panic
// kept in pstore; and `bootinfo show`, which must change nothing in a state
// directory whatever it holds.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/google/go-cmp/cmp"
)

// pstoreCapture is the EFI panic record set a Debian 6.1 kernel wrote
// under QEMU (history/testdata/qemu), in 14 parts.
const pstoreCapture = "efi-6.1.0-56"

// secret is a value that must not appear in a withheld output, in any of
// its forms (a UUID in either case, a string as JSON escapes it).
type secret struct {
	kind  string // "serial" (of the previous or this machine), "pstore", "kmsg capture", "live kmsg"
	forms []string
}

func newSecret(kind string, forms ...string) secret {
	var all []string
	for _, f := range forms {
		all = append(all, f, jsonEscape(f))
	}
	return secret{kind, all}
}

// in reports whether text holds the secret in any form.
func (s secret) in(text string) bool {
	for _, f := range s.forms {
		if strings.Contains(text, f) {
			return true
		}
	}
	return false
}

// oracleSerials reads the serial numbers, UUIDs and asset tags that
// Debian's dmidecode printed for a machine of the corpus (its sysfs tables
// dumped, smbios/dumps/NAME.dmidecode.txt): the inputs' serials, as a tool
// other than bootinfo sees them. Placeholders and values shorter than 6
// characters, which other text can hold by chance, are left out.
func oracleSerials(t *testing.T, dump string) [][]string {
	t.Helper()
	b, err := os.ReadFile(testutil.Shared(t, "smbios", "dumps", dump+".dmidecode.txt"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out [][]string
	for _, l := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(l), ": ")
		v = strings.TrimSpace(v)
		switch name {
		case "Serial Number", "Asset Tag", "UUID", "SBDS Serial Number", "Enclosure Serial":
		default:
			continue
		}
		if !ok || len(v) < 6 || dmi.IsPlaceholder(v) || strings.Trim(v, v[:1]) == "" || strings.Trim(v, "/ ") == "" || seen[v] {
			continue
		}
		seen[v] = true
		forms := []string{v}
		if name == "UUID" {
			// JSON and dmidecode may differ in case.
			forms = append(forms, strings.ToUpper(v), strings.ToLower(v))
		}
		out = append(out, forms)
	}
	return out
}

// stagePstore copies the panic capture into root's pstore with the times
// pstore showed, and returns its messages (the text after the
// "<LEVEL>[SECONDS] " prefix, of lines not cut at a part's end) and the
// time of the first part.
func stagePstore(t *testing.T, root string) (messages []string, crash time.Time) {
	t.Helper()
	src := filepath.Join(testutil.RepoRoot(t), "history", "testdata", "qemu", pstoreCapture)
	b, err := os.ReadFile(filepath.Join(src, "mtimes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		file, ts, _ := strings.Cut(line, " ")
		mt, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, "sys", "fs", "pstore", file)
		testutil.CopyFile(t, filepath.Join(src, file), dst, 0o400)
		if err := os.Chtimes(dst, mt, mt); err != nil {
			t.Fatal(err)
		}
		if crash.IsZero() || mt.Before(crash) {
			crash = mt
		}
		data, _ := os.ReadFile(dst)
		for _, l := range strings.Split(string(data), "\n") {
			if _, m, ok := strings.Cut(l, "] "); ok && strings.HasPrefix(l, "<") && len(strings.TrimSpace(m)) >= 20 {
				messages = append(messages, strings.TrimSpace(m))
			}
		}
	}
	return messages, crash
}

// captureMessages returns the messages of a kernel log capture long
// enough to be told from other text.
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
		if errors.Is(err, io.EOF) {
			return out
		}
		if err == nil && len(strings.TrimSpace(rec.Message)) >= 20 && !strings.Contains(rec.Message, "\n") {
			out = append(out, strings.TrimSpace(rec.Message))
		}
	}
}

// liveMessages reads the machine's kernel log as it stands, or returns nil
// when it cannot be read.
func liveMessages(t *testing.T) []string {
	t.Helper()
	dev, err := kmsg.NewFS("/dev").Open(kmsg.OpenOptions{})
	if err != nil {
		t.Logf("the machine's kernel log is not readable, not checked: %v", err)
		return nil
	}
	defer dev.Close()
	var out []string
	for {
		rec, err := dev.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err == nil && len(strings.TrimSpace(rec.Message)) >= 20 && !strings.Contains(rec.Message, "\n") {
			out = append(out, strings.TrimSpace(rec.Message))
		}
	}
}

// setBoot makes root one boot of a machine: its boot ID and boot time in
// procfs, and the SMBIOS tables of the corpus machine (copied in, as the
// agent resolves paths inside its roots).
func setBoot(t *testing.T, root, bootID string, bootTime time.Time, machine string) {
	t.Helper()
	testutil.WriteTree(t, root, map[string]string{
		"proc/sys/kernel/random/boot_id": bootID + "\n",
		"proc/stat":                      "cpu  100 0 50 1000 10 0 5 0 0 0\nbtime " + strconv.FormatInt(bootTime.Unix(), 10) + "\n",
	})
	tables := testutil.Shared(t, "smbios", "sysfs", machine)
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		dst := filepath.Join(root, "sys", "firmware", "dmi", "tables", f)
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		testutil.CopyFile(t, filepath.Join(tables, f), dst, 0o400)
	}
}

// runCommand runs a one-shot command of the binary and returns its output
// and error output together, and its exit code.
func runCommand(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(agent.Binary(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), 0
}

// everyOutput runs the binary every way it can show something, on root
// with flags, and returns each output by name: serve's /bootinfo, every
// section, /bootinfo/kmsg/records and /metrics (without the durations and
// the Go runtime's series, whose numbers change from run to run), the
// agent's log; show in both formats and for the history section; dmi in
// text, JSON and every -s keyword; kmsg on the capture in both formats and,
// when live, on the machine's device; each command's error output too.
func everyOutput(t *testing.T, root, capture string, live bool, flags ...string) map[string]string {
	t.Helper()
	var kmsgArgs []string
	if live {
		kmsgArgs = []string{"--collector.kmsg", "--path.dev=/dev"}
	}
	common := agent.FixtureArgs(root, append(kmsgArgs, flags...)...)
	out := map[string]string{}
	a := agent.Start(t, append([]string{"--web.disable-exporter-metrics"}, common...)...)
	get := func(path string) string {
		code, _, body := a.Get(t, http.MethodGet, path)
		return fmt.Sprintf("%d %s", code, body)
	}
	out["/bootinfo"] = get("/bootinfo")
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimPrefix(out["/bootinfo"], "200 ")), &doc); err != nil {
		t.Fatalf("/bootinfo: %v\n%s", err, out["/bootinfo"])
	}
	for name := range doc {
		if name != "errors" {
			out["/bootinfo/"+name] = get("/bootinfo/" + name)
		}
	}
	out["/bootinfo/kmsg/records"] = get("/bootinfo/kmsg/records?limit=100000")
	var metrics []string
	for _, l := range strings.Split(get("/metrics"), "\n") {
		if !strings.HasPrefix(l, "bootinfo_scrape_collector_duration_seconds") && !strings.HasPrefix(l, "bootinfo_build_info") {
			metrics = append(metrics, l)
		}
	}
	out["/metrics"] = strings.Join(metrics, "\n")
	if err := a.Stop(); err != nil {
		t.Errorf("agent: %v", err)
	}
	out["serve log"] = a.Output.String()

	for _, args := range [][]string{
		{"show", "--format", "json"}, {"show", "--format", "text"}, {"show", "history", "--format", "text"},
		{"dmi", "--format", "text"}, {"dmi", "--format", "json"},
		{"kmsg", "--file", capture, "--format", "text"}, {"kmsg", "--file", capture, "--format", "json"},
	} {
		out[strings.Join(args, " ")], _ = runCommand(t, append(args, common...)...)
	}
	for _, kw := range dmiKeywords(t) {
		out["dmi -s "+kw], _ = runCommand(t, append([]string{"dmi", "-s", kw}, common...)...)
	}
	if live {
		out["kmsg --format json (live)"], _ = runCommand(t, append([]string{"kmsg", "--format", "json"}, common...)...)
	}
	return out
}

// dmiKeywords lists the -s keywords the binary names in its help.
func dmiKeywords(t *testing.T) []string {
	t.Helper()
	help, _ := runCommand(t, "dmi", "--help")
	help = strings.Join(strings.Fields(help), " ") // kingpin wraps lines
	_, rest, ok := strings.Cut(help, "Only print the value of this DMI string (")
	list, _, ok2 := strings.Cut(rest, ")")
	if !ok || !ok2 {
		t.Fatalf("no keyword list in dmi --help:\n%s", help)
	}
	var kws []string
	for _, k := range strings.Split(strings.Join(strings.Fields(list), ""), ",") {
		kws = append(kws, k)
	}
	if len(kws) < 20 {
		t.Fatalf("keywords %q", kws)
	}
	return kws
}

// TestWithholdingEverywhere: the previous boot ran on another machine
// (the corpus's Dell XPS 9365, recorded by a real agent stopped with
// SIGTERM) and ended in a kernel panic that efi-pstore kept; this boot runs
// on a Dell Precision T7600. With --no-collector.dmi.serials and
// --no-collector.kmsg.records no serial number, UUID or asset tag of either
// machine (as Debian's dmidecode prints them), no line of the panic, no
// message of a kernel log capture and none of the machine's own kernel log
// appears in any output of the binary, while the history still reports the
// machine change and the crash. Without the flags the same outputs hold
// them, so the scan does find what it looks for.
func TestWithholdingEverywhere(t *testing.T) {
	root := agent.FixtureRoot(t)
	messagesPstore, crash := stagePstore(t, root)
	// Boot A, before the crash: the other machine, recorded by a real
	// agent (pstore is read then too, but its records postdate the boot).
	setBoot(t, root, "aaaaaaaa-1111-4111-8111-111111111111", crash.Add(-time.Minute), "dell-xps9365")
	first := agent.Start(t, agent.FixtureArgs(root)...)
	testutil.WaitFor(t, "the first boot to be recorded", func() error {
		if _, _, b := first.Get(t, http.MethodGet, "/bootinfo/history"); !bytes.Contains(b, []byte(`"persisted":true`)) {
			return fmt.Errorf("%s", b)
		}
		return nil
	}, first.Process)
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	// Boot B, after the crash, on this machine.
	setBoot(t, root, "bbbbbbbb-2222-4222-8222-222222222222", crash.Add(time.Minute), "dell-precisiont7600")

	capture := testutil.Shared(t, "kmsg", "util-linux", "kmsg-input")
	var secrets []secret
	for _, s := range oracleSerials(t, "dell-libsmbios-xps9365-sysfs") {
		secrets = append(secrets, newSecret("serial (previous machine)", s...))
	}
	for _, s := range oracleSerials(t, "dell-libsmbios-precisiont7600-sysfs") {
		secrets = append(secrets, newSecret("serial (this machine)", s...))
	}
	for _, m := range messagesPstore {
		secrets = append(secrets, newSecret("pstore", m))
	}
	for _, m := range captureMessages(t, capture) {
		secrets = append(secrets, newSecret("kmsg capture", m))
	}
	live := liveMessages(t)
	for _, m := range live {
		secrets = append(secrets, newSecret("live kmsg", m))
	}

	withheld := everyOutput(t, root, capture, live != nil, "--no-collector.dmi.serials", "--no-collector.kmsg.records")
	open := everyOutput(t, root, capture, live != nil)

	// The history still tells what happened, without the values.
	var hist struct {
		Changes []struct {
			Component, Detail string
		} `json:"changes"`
		PreviousBootEnd struct {
			State      string   `json:"state"`
			FirstLines []string `json:"first_lines"`
		} `json:"previous_boot_end"`
		SerialsWithheld  bool `json:"serials_withheld"`
		MessagesWithheld bool `json:"messages_withheld"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(withheld["/bootinfo/history"], "200 ")), &hist); err != nil {
		t.Fatalf("/bootinfo/history: %v\n%s", err, withheld["/bootinfo/history"])
	}
	comps := map[string]string{}
	for _, c := range hist.Changes {
		comps[c.Component] = c.Detail
	}
	if !strings.Contains(comps["system_identity"], "changed (withheld)") || comps["dimms"] == "" || hist.PreviousBootEnd.State != "crashed" ||
		len(hist.PreviousBootEnd.FirstLines) != 0 || !hist.SerialsWithheld || !hist.MessagesWithheld {
		t.Errorf("withheld history does not report the machine change and the crash, or not what it withholds:\n%s", withheld["/bootinfo/history"])
	}

	counts := map[string]int{}     // secrets checked, by kind
	openCounts := map[string]int{} // of those, found in an open output
	for _, s := range secrets {
		counts[s.kind]++
		for _, name := range sortedKeys(withheld) {
			if s.in(withheld[name]) {
				t.Errorf("%s holds %s %q", name, s.kind, s.forms[0])
			}
		}
		for _, name := range sortedKeys(open) {
			if s.in(open[name]) {
				openCounts[s.kind]++
				break
			}
		}
	}
	// Not vacuous: each kind has values, and the open outputs show them.
	// Every serial of this machine and the kmsg capture's every message
	// are printed somewhere without the flags; of the previous machine,
	// its UUID and system serial (in the history); of the panic, its
	// first lines.
	for _, kind := range []string{"serial (previous machine)", "serial (this machine)", "pstore", "kmsg capture"} {
		if counts[kind] == 0 || openCounts[kind] == 0 {
			t.Errorf("%s: %d values checked, %d found in the open outputs: the scan proves nothing", kind, counts[kind], openCounts[kind])
		}
	}
	for _, kind := range []string{"serial (this machine)", "kmsg capture"} {
		if openCounts[kind] != counts[kind] {
			t.Errorf("%s: only %d of %d values found in the open outputs", kind, openCounts[kind], counts[kind])
		}
	}
	if live != nil && openCounts["live kmsg"] == 0 {
		t.Errorf("none of %d live kernel messages found in the open outputs", counts["live kmsg"])
	}
	t.Logf("checked %d outputs with the flags (and %d without); values withheld (found without the flags):", len(withheld), len(open))
	for _, kind := range sortedKeys(counts) {
		t.Logf("  %s: %d (%d)", kind, counts[kind], openCounts[kind])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// jsonEscape is s as it appears inside a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestShowChangesNothing: `bootinfo show` (whole document, history
// section, both formats) creates, deletes, renames and writes nothing in
// the state directory, whatever it holds: nothing at all, a live agent's
// temporary file, a history written by a newer version, a corrupt one, a
// FIFO among the history files or in place of one, a link to /dev/zero in
// place of one. It answers every time.
func TestShowChangesNothing(t *testing.T) {
	const file = "history.json"
	valid := `{"schema":"bootinfo.history","version":1,"boots":[{"boot_id":"old","boot_time":"2024-11-01T00:00:00Z","kernel_release":"6.1.0-1-amd64"}]}` + "\n"
	write := func(t *testing.T, dir string, files map[string]string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for n, c := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	fifo := func(t *testing.T, p string) {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]func(t *testing.T, dir string){
		"missing directory": func(*testing.T, string) {},
		"live agent's temporary file": func(t *testing.T, dir string) {
			write(t, dir, map[string]string{file: valid, "." + file + ".tmp-4242": `{"schema":"bootinfo.hi`})
		},
		"newer version": func(t *testing.T, dir string) {
			write(t, dir, map[string]string{file: `{"schema":"bootinfo.history","version":7,"boots":[]}`})
		},
		"corrupt": func(t *testing.T, dir string) { write(t, dir, map[string]string{file: "\x00\x01garbage"}) },
		"fifo among history files": func(t *testing.T, dir string) {
			write(t, dir, map[string]string{file: valid})
			fifo(t, filepath.Join(dir, "."+file+".tmp-fifo"))
			fifo(t, filepath.Join(dir, file+".corrupt-20260101T000000.000000000Z"))
		},
		"fifo as the history file": func(t *testing.T, dir string) {
			write(t, dir, nil)
			fifo(t, filepath.Join(dir, file))
		},
		"link to /dev/zero as the history file": func(t *testing.T, dir string) {
			write(t, dir, nil)
			if err := os.Symlink("/dev/zero", filepath.Join(dir, file)); err != nil {
				t.Fatal(err)
			}
		},
	}
	root := agent.FixtureRoot(t)
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state")
			mk(t, state)
			before := testutil.TreeState(t, state)
			for _, args := range [][]string{{"show"}, {"show", "--format", "text"}, {"show", "history"}} {
				out, code := runCommand(t, append(args, agent.FixtureArgs(root, "--state.dir="+state)...)...)
				if code != 0 {
					t.Errorf("%v: exit %d\n%s", args, code, out)
				}
				if diff := cmp.Diff(before, testutil.TreeState(t, state)); diff != "" {
					t.Fatalf("%v changed the state directory (-before +after):\n%s", args, diff)
				}
			}
		})
	}
}
