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
	"github.com/google/go-cmp/cmp"
)

// TestKmsgCommandMatchesDmesgText: for each of the seven real QEMU boots,
// `bootinfo kmsg --file dev-kmsg.txt` prints exactly what dmesg printed in
// that boot (dmesg.txt beside it).
func TestKmsgCommandMatchesDmesgText(t *testing.T) {
	boots, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "boots"), "*"))
	if len(boots) == 0 {
		t.Fatal("no boots")
	}
	for _, b := range boots {
		out, err := exec.Command(agent.Binary(t), "kmsg", "--file", filepath.Join(b, "dev-kmsg.txt")).Output()
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
// prints what `dmesg --level` prints (records may arrive in between, so
// dmesg's lines must be a prefix of ours).
func TestKmsgCommandLevelsLikeDmesg(t *testing.T) {
	if _, err := exec.LookPath("dmesg"); err != nil {
		testutil.SkipOrFail(t, "util-linux dmesg not installed")
	}
	theirs, err := exec.Command("dmesg", "--level", "err,warn,notice").Output()
	if err != nil {
		testutil.SkipOrFail(t, "dmesg cannot read the log: %v", err)
	}
	ours, err := exec.Command(agent.Binary(t), "kmsg", "--level", "err,warn,notice").Output()
	if err != nil {
		t.Fatal(err)
	}
	theirs = stampContinuations(theirs)
	if len(theirs) == 0 || !bytes.HasPrefix(ours, theirs) {
		t.Errorf("dmesg --level:\n%s\nbootinfo kmsg --level:\n%s", theirs, ours)
	}
	if _, err := exec.Command(agent.Binary(t), "kmsg", "--level", "loud").Output(); err == nil {
		t.Error("unknown level accepted")
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

// stampContinuations rewrites util-linux's way of printing a multi-line
// message (later lines indented under the first) into the form the
// corpus's dmesg.txt files and bootinfo use (every line stamped).
func stampContinuations(b []byte) []byte {
	var out bytes.Buffer
	stamp := ""
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if i := strings.Index(line, "] "); strings.HasPrefix(line, "[") && i > 0 {
			stamp = line[:i+2]
		} else if stamp != "" && strings.HasPrefix(line, strings.Repeat(" ", len(stamp))) {
			line = stamp + line[len(stamp):]
		}
		out.WriteString(line)
	}
	return out.Bytes()
}
