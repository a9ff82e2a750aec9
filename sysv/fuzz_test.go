package sysv

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/hostile"
)

// FuzzParseHeader: any bytes parse without panicking, deterministically,
// into a header no larger than its input, with an error that classifies.
func FuzzParseHeader(f *testing.F) {
	own, _ := filepath.Glob("/etc/init.d/*")
	for _, p := range own {
		if b, err := os.ReadFile(p); err == nil && len(b) <= MaxHeaderBytes {
			f.Add(b)
		}
	}
	f.Add([]byte(goodScript))
	f.Add([]byte("### BEGIN INIT INFO\n# Description: a\n#\tb\n#  c\n# Default-Start: 2 x S\n# Default-Start: 3\nbad\n"))
	f.Add([]byte("### BEGIN INIT INFO\r\n# PROVIDES: a b\r\n# X-Interactive: true\r\n### END INIT INFO\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		h2, err2 := ParseHeader(data)
		if !reflect.DeepEqual(h, h2) || (err == nil) != (err2 == nil) {
			t.Fatal("not deterministic")
		}
		if err != nil && !errors.Is(err, ErrNoHeader) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("unclassified error %v", err)
		}
		size := len(h.ShortDescription) + len(h.Description)
		for _, l := range [][]string{h.Provides, h.RequiredStart, h.RequiredStop, h.ShouldStart, h.ShouldStop,
			h.StartBefore, h.StopAfter, h.DefaultStart, h.DefaultStop} {
			for _, s := range l {
				if s == "" || strings.ContainsAny(s, " \t\n") {
					t.Fatalf("word %q", s)
				}
				size += len(s)
			}
		}
		if size > len(data) {
			t.Fatalf("%d bytes of header from %d of input", size, len(data))
		}
		for _, rl := range append(h.DefaultStart, h.DefaultStop...) {
			if len(rl) != 1 || !strings.Contains("0123456789S", rl) {
				t.Fatalf("runlevel %q", rl)
			}
		}
		if errors.Is(err, ErrNoHeader) && !reflect.DeepEqual(h, Header{}) {
			t.Fatalf("no header, but decoded %+v", h)
		}
	})
}

// FuzzParseUtmp: any bytes give a printable runlevel or none, and the
// allocations stay constant.
func FuzzParseUtmp(f *testing.F) {
	f.Add([]byte{})
	f.Add(append(record(1, 'N'<<8|'2'), record(7, 4242)...))
	f.Add(append(record(1, '3'), record(1, 0)[:100]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		cur, prev, ok := ParseUtmp(data)
		if ok != (cur != "") || (ok && (len(cur) != 1 || len(prev) != 1 || !printable(cur[0]) || !printable(prev[0]))) {
			t.Fatalf("%q, %q, %v", cur, prev, ok)
		}
		if !ok && len(data) >= utmpSize && prev != "" {
			t.Fatalf("previous %q without current", prev)
		}
	})
}

// TestParseHeaderAllocs: the worst inputs for the parser (every line a
// keyword or a continuation) cost allocations proportional to their size.
func TestParseHeaderAllocs(t *testing.T) {
	for _, body := range []string{"# Provides: a b c d e f\n", "# Description: x\n#\ty\n", "# Default-Start: 1 2 3 x\n"} {
		data := []byte("### BEGIN INIT INFO\n" + strings.Repeat(body, MaxHeaderBytes/len(body)))
		alloc := hostile.Allocated(func() { ParseHeader(data) })
		if alloc > 16*uint64(len(data)) {
			t.Errorf("%q: %d bytes allocated for %d of input", body, alloc, len(data))
		}
	}
}
