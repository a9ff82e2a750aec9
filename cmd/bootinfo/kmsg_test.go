package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/google/go-cmp/cmp"
)

// TestShowTextEscapesMessages: `bootinfo show --format text` prints kernel
// messages (records, the summary's quotes, pstore text) with their control
// bytes escaped as `bootinfo kmsg` and dmesg print them, so a message
// cannot retitle or clear the operator's terminal. Before, it printed them
// raw.
func TestShowTextEscapesMessages(t *testing.T) {
	r := kmsg.Record{Level: kmsg.LevelErr, Seq: 7, Flag: kmsg.FlagNone,
		Message: "oops \x1b]0;pwned\x07 \x1b[2J tab\there"}
	var out bytes.Buffer
	doc := map[string]any{"kmsg": map[string]any{"records": []collectors.KmsgRecord{collectors.NewKmsgRecord(r)}}}
	if err := writeText(&out, doc); err != nil {
		t.Fatal(err)
	}
	want := "message: oops \\x1b]0;pwned\\x07 \\x1b[2J tab\there\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("text output:\n%s\nwant a line ending %q", out.String(), want)
	}
	if bytes.ContainsAny(out.Bytes(), "\x1b\x07") {
		t.Errorf("control bytes printed raw: %q", out.String())
	}
}

// TestKmsgTextLikeDmesg: on this machine's live log, `bootinfo kmsg` prints
// what util-linux `dmesg` prints, byte for byte, and `bootinfo kmsg -p`
// what `dmesg --force-prefix` prints: a multi-line message's later lines
// indented under the first, or each stamped. dmesg runs in a UTF-8 locale,
// the one whose escaping bootinfo follows. Records may arrive between the
// reads, so dmesg's output must lie between two of ours: it starts with
// the first and the second starts with it.
func TestKmsgTextLikeDmesg(t *testing.T) {
	dmesg := testutil.Tool(t, "dmesg", "util-linux")
	dev, err := kmsg.NewFS("/dev").Open(kmsg.OpenOptions{})
	if err != nil {
		testutil.SkipOrFail(t, "cannot read this machine's /dev/kmsg: %v", err)
	}
	dev.Close()
	for _, args := range [][]string{nil, {"--force-prefix"}} {
		ours := func() string {
			code, out, errs := runBootinfo(append([]string{"kmsg"}, args...)...)
			if code != 0 {
				t.Fatalf("bootinfo kmsg %v: exit %d: %s", args, code, errs)
			}
			return out
		}
		for attempt := 0; ; attempt++ {
			before := ours()
			cmd := exec.Command(dmesg, args...)
			cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
			theirs, err := cmd.Output()
			if err != nil {
				testutil.SkipOrFail(t, "dmesg cannot read this machine's log: %v", err)
			}
			after := ours()
			if before == "" {
				t.Fatal("no records in this machine's log")
			}
			// Records written meanwhile are appended: dmesg's output
			// lies between our two. The ring may also drop its oldest
			// records meanwhile, which only another try can tell.
			between := strings.HasPrefix(string(theirs), before) && strings.HasPrefix(after, string(theirs))
			if !between && before != after && attempt < 5 {
				continue
			}
			if !between {
				t.Errorf("bootinfo kmsg %v differs from dmesg %v (-dmesg +bootinfo):\n%s", args, args, cmp.Diff(string(theirs), before))
			}
			t.Logf("%v: %d lines equal to dmesg's, %d of them indented continuation lines",
				args, strings.Count(before, "\n"), strings.Count(before, "\n "))
			break
		}
	}
}

// TestKmsgContinuationLinesLikeDmesg: multi-line messages at timestamps of
// every width, with empty and indented lines, print as util-linux dmesg
// prints the same messages (dmesg -F reads them in the syslog(2) form,
// where a line without a "<N>[time]" header continues the record before):
// later lines indented by the width of the first line's header.
func TestKmsgContinuationLinesLikeDmesg(t *testing.T) {
	dmesg := testutil.Tool(t, "dmesg", "util-linux")
	recs := []struct {
		usec uint64
		msg  string
	}{
		{1_500_000, "one\ntwo"},
		{12_345_678_901, "five digits\n\nafter an empty line"},
		{123_456_000_001, "six digits\n  indented\nthird"},
		{1_234_567_500_000, "seven digits\nsecond"},
		{2_000_000, "single"},
	}
	dir := t.TempDir()
	var capture, syslog strings.Builder
	for i, r := range recs {
		fmt.Fprintf(&capture, "6,%d,%d,-;%s\n", i+1, r.usec, strings.ReplaceAll(r.msg, "\n", `\x0a`))
		fmt.Fprintf(&syslog, "<6>[%5d.%06d] %s\n", r.usec/1e6, r.usec%1e6, r.msg)
	}
	capPath, sysPath := filepath.Join(dir, "kmsg.txt"), filepath.Join(dir, "syslog.txt")
	for p, b := range map[string]string{capPath: capture.String(), sysPath: syslog.String()} {
		if err := os.WriteFile(p, []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	theirs := testutil.Run(t, "", "env", "LC_ALL=C.UTF-8", dmesg, "-F", sysPath)
	code, ours, errs := runBootinfo("kmsg", "--file", capPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if diff := cmp.Diff(string(theirs), ours); diff != "" {
		t.Errorf("differs from dmesg -F (-dmesg +bootinfo):\n%s", diff)
	}
	// --force-prefix stamps every line instead (dmesg -F ignores it, so
	// the want is dmesg's lines with the header in place of the indent).
	code, stamped, errs := runBootinfo("kmsg", "--force-prefix", "--file", capPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var want strings.Builder
	header := ""
	for _, l := range strings.SplitAfter(string(theirs), "\n") {
		if strings.HasPrefix(l, "[") {
			header = l[:strings.Index(l, "] ")+2]
		} else if l != "" {
			l = header + l[len(header):]
		}
		want.WriteString(l)
	}
	if diff := cmp.Diff(want.String(), stamped); diff != "" {
		t.Errorf("--force-prefix (-want +got):\n%s", diff)
	}
}
