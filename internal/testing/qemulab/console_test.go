package qemulab

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConsole(t *testing.T) {
	const tok = "0123456789abcdef"
	m := markerPrefix + tok
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	long := strings.Repeat("x", 200)
	longB64 := b64(long)
	wrapped := longB64[:76] + "\r\n" + longB64[76:152] + "\r\n" + longB64[152:]

	tests := []struct {
		name    string
		console string
		want    map[string]*Output
		done    bool
		wantErr bool
	}{
		{
			name: "noise around frames, CRLF, wrapped base64",
			console: "\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\n[    0.1] kernel noise\r\n" +
				m + " START\r\n" +
				m + " BEGIN probe\r\n" + wrapped + "\r\n" + m + " STDERR probe\r\n" + b64("warn\n") + "\r\n" + m + " END probe 0\r\n" +
				m + " BEGIN file:/sys/firmware/dmi/tables/DMI\r\n" + b64("\x00\x01\xff") + "\r\n" + m + " STDERR file:/sys/firmware/dmi/tables/DMI\r\n" + m + " END file:/sys/firmware/dmi/tables/DMI 0\r\n" +
				m + " BEGIN empty\r\n" + m + " STDERR empty\r\n" + m + " END empty 7\r\n" +
				m + " DONE\r\n[    1.0] reboot: Power down\r\n",
			want: map[string]*Output{
				"probe":                             {Stdout: []byte(long), Stderr: []byte("warn\n")},
				"file:/sys/firmware/dmi/tables/DMI": {Stdout: []byte{0, 1, 0xff}, Stderr: []byte{}},
				"empty":                             {Stdout: []byte{}, Stderr: []byte{}, ExitStatus: 7},
			},
			done: true,
		},
		{
			name:    "other token is ignored",
			console: markerPrefix + "ffffffffffffffff BEGIN x\n" + m + " DONE\n",
			want:    map[string]*Output{},
			done:    true,
		},
		{
			name:    "marker after garbage on the same line",
			console: "garbage" + m + " BEGIN a\n" + b64("A") + "\n" + m + " STDERR a\n" + m + " END a 0\n" + m + " DONE\n",
			want:    map[string]*Output{"a": {Stdout: []byte("A"), Stderr: []byte{}}},
			done:    true,
		},
		{
			name:    "cut short inside a frame",
			console: m + " BEGIN a\n" + b64("A"),
			want:    map[string]*Output{},
		},
		{
			name:    "no DONE",
			console: m + " BEGIN a\n" + m + " STDERR a\n" + m + " END a 1\n",
			want:    map[string]*Output{"a": {Stdout: []byte{}, Stderr: []byte{}, ExitStatus: 1}},
		},
		{
			name:    "cut encoding of a failed read is dropped",
			console: m + " BEGIN file:/x\nQUJD\nQQ\n" + m + " STDERR file:/x\n" + b64("base64: read error\n") + "\n" + m + " END file:/x 1\n" + m + " DONE\n",
			want:    map[string]*Output{"file:/x": {Stderr: []byte("base64: read error\n"), ExitStatus: 1}},
			done:    true,
		},
		{name: "bad base64", console: m + " BEGIN a\n!!!\n" + m + " STDERR a\n" + m + " END a 0\n", wantErr: true},
		{name: "kernel line inside a frame", console: m + " BEGIN a\n" + b64("AB") + "\n[ 1.2] oops\n" + m + " STDERR a\n" + m + " END a 0\n", wantErr: true},
		{name: "END names another output", console: m + " BEGIN a\n" + m + " STDERR a\n" + m + " END b 0\n", wantErr: true},
		{name: "END without STDERR", console: m + " BEGIN a\n" + m + " END a 0\n", wantErr: true},
		{name: "nested BEGIN", console: m + " BEGIN a\n" + m + " BEGIN b\n", wantErr: true},
		{name: "bad exit status", console: m + " BEGIN a\n" + m + " STDERR a\n" + m + " END a x\n", wantErr: true},
		{name: "duplicate", console: strings.Repeat(m+" BEGIN a\n"+m+" STDERR a\n"+m+" END a 0\n", 2), wantErr: true},
		{name: "DONE inside a frame", console: m + " BEGIN a\n" + m + " DONE\n", wantErr: true},
		{name: "unknown marker", console: m + " WHAT\n", wantErr: true},
		{name: "empty marker", console: m + " \n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, done, err := parseConsole([]byte(tt.console), tok)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if done != tt.done {
				t.Errorf("done = %v, want %v", done, tt.done)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParseConsole(f *testing.F) {
	const tok = "00"
	m := markerPrefix + tok
	f.Add([]byte(m + " BEGIN a\nQQ==\n" + m + " STDERR a\n" + m + " END a 0\n" + m + " DONE\n"))
	f.Add([]byte(m + " BEGIN a\n" + m + " END a 0\r\n"))
	f.Add([]byte("\x1b[2J" + m))
	f.Fuzz(func(t *testing.T, console []byte) {
		outs, _, _, err := parseConsole(console, tok)
		if err != nil {
			return
		}
		for name, o := range outs {
			if o == nil || name == "" {
				t.Fatalf("bad output %q: %v", name, o)
			}
			if len(o.Stdout)+len(o.Stderr) > len(console) {
				t.Fatalf("output %q larger than the console", name)
			}
		}
	})
}

func TestParseConsoleTimes(t *testing.T) {
	m := markerPrefix + "t"
	_, times, done, err := parseConsole([]byte(m+" START 3.51 1.20\r\n"+m+" DONE 4.75 2.00\r\n"), "t")
	if err != nil || !done {
		t.Fatalf("done %v, err %v", done, err)
	}
	if times.start != 3510*time.Millisecond || times.done != 4750*time.Millisecond {
		t.Errorf("times %+v", times)
	}
	// Old or odd /init output: no timestamps, not an error.
	_, times, _, err = parseConsole([]byte(m+" START\n"+m+" DONE x\n"), "t")
	if err != nil || times != (initTimes{}) {
		t.Errorf("times %+v, err %v", times, err)
	}
}
