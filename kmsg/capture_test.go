package kmsg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// seconds formats a microsecond timestamp as util-linux prints it.
func seconds(usec uint64) string {
	return fmt.Sprintf("%d.%06d", usec/1e6, usec%1e6)
}

func readCapture(t *testing.T, path string) ([]Record, CaptureFormat) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := NewCaptureReader(f)
	var recs []Record
	for r, err := range c.All() {
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		recs = append(recs, r)
	}
	return recs, c.Format()
}

// readCaptureAs is readCapture of a capture in the given format.
func readCaptureAs(t *testing.T, path string, format CaptureFormat) []Record {
	t.Helper()
	recs, got := readCapture(t, path)
	if got != format {
		t.Errorf("%s: format = %v, want %v", filepath.Base(path), got, format)
	}
	return recs
}

// utilLinuxJSON is the shape of `dmesg --json --kmsg-file` output.
type utilLinuxJSON struct {
	Dmesg []struct {
		Pri    int         `json:"pri"`
		Time   json.Number `json:"time"`
		Caller string      `json:"caller"`
		Msg    string      `json:"msg"`
	} `json:"dmesg"`
}

type oracleLine struct {
	Pri    int
	Time   string
	Caller string
	Msg    string
}

func loadUtilLinuxJSON(t *testing.T, path string) []oracleLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The file is a test script's output: the JSON follows the script text
	// in expected/kmsg-file.
	if i := bytes.Index(b, []byte("{\n")); i > 0 {
		b = b[i:]
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var doc utilLinuxJSON
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []oracleLine
	for _, e := range doc.Dmesg {
		out = append(out, oracleLine{e.Pri, e.Time.String(), e.Caller, e.Msg})
	}
	return out
}

func asOracle(recs []Record, withCaller bool) []oracleLine {
	var out []oracleLine
	for _, r := range recs {
		l := oracleLine{Pri: r.Priority(), Time: seconds(r.TimestampUsec), Msg: r.Message}
		if withCaller {
			l.Caller = r.Caller
		}
		out = append(out, l)
	}
	return out
}

// TestUtilLinuxOracle compares every record with util-linux's own decoding
// of the same --kmsg-file inputs.
func TestUtilLinuxOracle(t *testing.T) {
	dir := testutil.Shared(t, "kmsg", "util-linux")
	tests := []struct {
		input, expected string
		caller          bool
		want            int
	}{
		{"kmsg-input", "kmsg-file", false, 45},
		{"cid-kmsg-input", "cid-kmsg-json", true, 58},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			recs := readCaptureAs(t, filepath.Join(dir, tt.input), FormatNUL)
			want := loadUtilLinuxJSON(t, filepath.Join(dir, "expected", tt.expected))
			if len(want) != tt.want {
				t.Fatalf("oracle has %d records, want %d", len(want), tt.want)
			}
			if diff := cmp.Diff(want, asOracle(recs, tt.caller)); diff != "" {
				t.Errorf("records differ from util-linux (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUtilLinuxDecodeOracle renders the records as `dmesg -x` prints them
// ("kern  :warn  : [    0.209670] [T14] text") and compares the whole
// output byte for byte with util-linux's.
func TestUtilLinuxDecodeOracle(t *testing.T) {
	dir := testutil.Shared(t, "kmsg", "util-linux")
	recs, _ := readCapture(t, filepath.Join(dir, "cid-kmsg-input"))
	want, err := os.ReadFile(filepath.Join(dir, "expected", "cid-kmsg-decode"))
	if err != nil {
		t.Fatal(err)
	}
	short := map[Level]string{LevelWarning: "warn"}
	var got strings.Builder
	for _, r := range recs {
		lvl := r.Level.String()
		if s, ok := short[r.Level]; ok {
			lvl = s
		}
		fmt.Fprintf(&got, "%-6s:%-6s: [%12s] [%s] %s\n", r.Facility, lvl, seconds(r.TimestampUsec), r.Caller, r.Message)
	}
	if len(recs) != 58 {
		t.Errorf("decoded %d records, want 58", len(recs))
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got.String(), "\n")); diff != "" {
		t.Errorf("differs from dmesg -x (-want +got):\n%s", diff)
	}
}

func TestUtilLinuxDictionary(t *testing.T) {
	dir := testutil.Shared(t, "kmsg", "util-linux")
	recs, _ := readCapture(t, filepath.Join(dir, "kmsg-input"))
	var got []Record
	for _, r := range recs {
		if r.Dict != nil {
			got = append(got, Record{Seq: r.Seq, Dict: r.Dict})
		}
	}
	want := []Record{
		{Seq: 438, Dict: map[string]string{"SUBSYSTEM": "acpi", "DEVICE": "+acpi:PNP0A08:00"}},
		{Seq: 439, Dict: map[string]string{"SUBSYSTEM": "acpi", "DEVICE": "+acpi:PNP0A08:00"}},
		{Seq: 440, Dict: map[string]string{"SUBSYSTEM": "acpi", "DEVICE": "+acpi:PNP0A08:00"}},
		{Seq: 442, Dict: map[string]string{"SUBSYSTEM": "pci_bus", "DEVICE": "+pci_bus:0000:00"}},
		{Seq: 443, Dict: map[string]string{"SUBSYSTEM": "pci_bus", "DEVICE": "+pci_bus:0000:00"}},
		{Seq: 836, Dict: map[string]string{"SUBSYSTEM": "usb", "DEVICE": "c189:257"}},
		{Seq: 837, Dict: map[string]string{"SUBSYSTEM": "platform", "DEVICE": "+platform:INT3515:00"}},
		{Seq: 2615, Dict: map[string]string{"SUBSYSTEM": "usb", "DEVICE": "c189:299"}},
		{Seq: 2616, Dict: map[string]string{"SUBSYSTEM": "usb", "DEVICE": "c189:299"}},
		{Seq: 2619, Dict: map[string]string{"SUBSYSTEM": "usb", "DEVICE": "c189:300"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dictionaries (-want +got):\n%s", diff)
	}
	for _, r := range recs {
		if r.Seq == 311 && !r.Continuation() {
			t.Errorf("record 311 lost its continuation flag: %+v", r)
		}
	}
}

// TestCaptureSamples reads captures whose records are known:
// util-linux's cid-kmsg-newlines, NUL-separated, whose messages span lines
// that do not start with a space, and go-kmsg-parser's newline-separated
// sample.
func TestCaptureSamples(t *testing.T) {
	for _, tt := range []struct {
		dir, name string
		format    CaptureFormat
		want      []Record
	}{
		{"util-linux", "cid-kmsg-newlines", FormatNUL, []Record{
			{Facility: 0, Level: 5, Seq: 0, TimestampUsec: 0, Flag: '-', Caller: "T0", Message: "line zero"},
			{Facility: 1, Level: 2, Seq: 1, TimestampUsec: 1000000, Flag: '-', Caller: "T1", Message: "new\nline"},
			{Facility: 2, Level: 4, Seq: 1, TimestampUsec: 2000000, Flag: '-', Caller: "T2", Message: "two\ntwo\nlines"},
			{Facility: 3, Level: 6, Seq: 2, TimestampUsec: 3000000, Flag: '-', Caller: "T3", Message: "three\nthree\nmore\nlines"},
		}},
		{"go-kmsg-parser", "sample1.kmsg", FormatNewline, []Record{
			{Level: 6, Seq: 1804, TimestampUsec: 47700428483, Flag: '-', Message: "wlp4s0: associated"},
			{Level: 6, Seq: 1805, TimestampUsec: 51742248189, Flag: '-', Message: "thinkpad_acpi: EC reports that Thermal Table has changed"},
			{Level: 6, Seq: 2651, TimestampUsec: 106819644585, Flag: '-', Message: "CPU1: Package temperature/speed normal"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs := readCaptureAs(t, filepath.Join(testutil.Shared(t, "kmsg", tt.dir), tt.name), tt.format)
			if diff := cmp.Diff(tt.want, recs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// dmesgText renders records as plain `dmesg` does: each message line with
// the record's "[seconds] " prefix.
func dmesgText(recs []Record) []string {
	var out []string
	for _, r := range recs {
		ts := fmt.Sprintf("[%5d.%06d] ", r.TimestampUsec/1e6, r.TimestampUsec%1e6)
		for _, l := range strings.Split(r.Message, "\n") {
			out = append(out, ts+l)
		}
	}
	return out
}

func bootDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(testutil.Shared(t, "boots"), "*", "dev-kmsg.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 7 {
		t.Fatalf("found %d boots, want 7", len(dirs))
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

// TestBootsAgainstDmesg decodes the seven QEMU boots and compares every
// record's time and text with the dmesg output captured beside it.
func TestBootsAgainstDmesg(t *testing.T) {
	for _, dir := range bootDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "dev-kmsg.txt"))
			if err != nil {
				t.Fatal(err)
			}
			recs := readCaptureAs(t, filepath.Join(dir, "dev-kmsg.txt"), FormatNewline)
			// Every header line is one record.
			headers := 0
			for _, l := range strings.Split(string(raw), "\n") {
				if l != "" && l[0] != ' ' {
					headers++
				}
			}
			if len(recs) != headers || len(recs) < 350 {
				t.Fatalf("decoded %d records, file has %d headers", len(recs), headers)
			}
			for i := 1; i < len(recs); i++ {
				if recs[i].Seq != recs[i-1].Seq+1 {
					t.Errorf("sequence jumps from %d to %d", recs[i-1].Seq, recs[i].Seq)
				}
			}
			txt, err := os.ReadFile(filepath.Join(dir, "dmesg.txt"))
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimSuffix(string(txt), "\n"), "\n")
			if diff := cmp.Diff(want, dmesgText(recs)); diff != "" {
				t.Errorf("differs from dmesg.txt (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCaptureErrors(t *testing.T) {
	in := "6,1,1,-;good\nbroken line\n6,2,2,-;also good\n SUBSYSTEM=x\n" +
		"6,3,3;bad header\n" + strings.Repeat("y", 3*MaxRecordSize) + "\n6,4,4,-;after a huge line\n"
	recs, err := ParseCapture([]byte(in))
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrTruncated) {
		t.Errorf("err = %v, want both ErrMalformed and ErrTruncated", err)
	}
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
	}
	if diff := cmp.Diff([]uint64{1, 2, 4}, seqs); diff != "" {
		t.Errorf("good records (-want +got):\n%s", diff)
	}
	if recs[1].Dict["SUBSYSTEM"] != "x" {
		t.Errorf("dictionary lost: %+v", recs[1])
	}
	// The same in NUL form.
	nul := "6,1,1,-;good\n\x00garbage\x00\x00\n6,2,2,-;two\n SUBSYSTEM=x\n\x00" + strings.Repeat("z", 3*MaxRecordSize) + "\x006,4,4,-;last"
	recs, err = ParseCapture([]byte(nul))
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrTruncated) {
		t.Errorf("nul: err = %v", err)
	}
	seqs = seqs[:0]
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
	}
	if diff := cmp.Diff([]uint64{1, 2, 4}, seqs); diff != "" {
		t.Errorf("nul: good records (-want +got):\n%s", diff)
	}
	if recs, err := ParseCapture(nil); len(recs) != 0 || err != nil {
		t.Errorf("empty input: %v, %v", recs, err)
	}
}
