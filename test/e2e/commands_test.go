package e2e

// End-to-end tests of the one-shot commands (show, dmi, kmsg): the real
// binary, its output compared with the tools it stands in for.

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
