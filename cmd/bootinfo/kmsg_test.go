package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/kmsg"
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
