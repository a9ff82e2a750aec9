package sysv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/hostile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// utmpWriter is a C program that writes utmp records with glibc itself:
// "put FILE type:pid ..." through utmpname and pututline, as init does with
// /run/utmp; "append FILE type:pid ..." through updwtmp, as with wtmp.
const utmpWriter = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utmp.h>

int main(int argc, char **argv) {
	if (argc < 3) return 2;
	int put = strcmp(argv[1], "put") == 0;
	if (put && utmpname(argv[2]) != 0) return 3;
	if (put) setutent();
	for (int i = 3; i < argc; i++) {
		struct utmp u;
		memset(&u, 0, sizeof u);
		if (sscanf(argv[i], "%hd:%d", &u.ut_type, &u.ut_pid) != 2) return 4;
		snprintf(u.ut_id, sizeof u.ut_id, "%d", i);
		strncpy(u.ut_line, u.ut_type == RUN_LVL ? "~" : "pts/9", sizeof u.ut_line);
		strncpy(u.ut_user, u.ut_type == RUN_LVL ? "runlevel" : "someone", sizeof u.ut_user);
		if (put) {
			if (pututline(&u) == NULL) { perror("pututline"); return 5; }
		} else {
			updwtmp(argv[2], &u);
		}
	}
	if (put) endutent();
	return 0;
}
`

// buildUtmpWriter compiles utmpWriter with the system's C compiler.
func buildUtmpWriter(t *testing.T) string {
	t.Helper()
	cc := testutil.Tool(t, "gcc", "gcc")
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "w.c"), filepath.Join(dir, "w")
	if err := os.WriteFile(src, []byte(utmpWriter), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "", cc, "-O", "-o", bin, src)
	return bin
}

func rl(cur, prev byte) string { return fmt.Sprintf("1:%d", int(prev)<<8|int(cur)) }

var whoRunlevel = regexp.MustCompile(`run-level (\S)(?:.*last=(\S))?`)

// whoR returns what coreutils' who -r says of the last runlevel record in file.
func whoR(t *testing.T, file string) (cur, prev string) {
	t.Helper()
	out := strings.TrimSpace(string(testutil.Run(t, "", testutil.Tool(t, "who", "coreutils"), "-r", file)))
	lines := strings.Split(out, "\n")
	m := whoRunlevel.FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("who -r %s: %q", file, out)
	}
	return m[1], m[2]
}

// TestRunlevelGlibc: records glibc writes, read back by Runlevel and
// ParseUtmp, agree with who -r.
func TestRunlevelGlibc(t *testing.T) {
	w := buildUtmpWriter(t)
	t.Run("utmp", func(t *testing.T) {
		root := t.TempDir()
		// glibc writes only to a utmp that exists, as systemd-tmpfiles
		// and init create it at boot.
		testutil.WriteTree(t, root, map[string]string{"run/utmp": ""})
		utmp := filepath.Join(root, "run/utmp")
		// pututline replaces the RUN_LVL record in place, as init's
		// runlevel changes do.
		testutil.Run(t, "", w, "put", utmp, "2:0", rl('S', 'N'), "7:4242", rl('3', 'S'), "8:4243")
		cur, prev, ok, err := Runlevel(root)
		if err != nil || !ok || cur != "3" || prev != "S" {
			t.Fatalf("Runlevel = %q, %q, %v, %v; want 3, S", cur, prev, ok, err)
		}
		if wc, _ := whoR(t, utmp); wc != cur {
			t.Errorf("who -r says run-level %s, Runlevel %s", wc, cur)
		}
	})
	t.Run("wtmp", func(t *testing.T) {
		wtmp := filepath.Join(t.TempDir(), "wtmp")
		if err := os.WriteFile(wtmp, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// systemd writes no previous runlevel as 0.
		testutil.Run(t, "", w, "append", wtmp, "2:0", rl('S', 0), "7:100", rl('2', 'S'), "7:101", rl('5', '2'), "8:100")
		data, err := os.ReadFile(wtmp)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != 7*utmpSize {
			t.Fatalf("glibc wrote %d bytes for 7 records, not %d: the layout differs", len(data), 7*utmpSize)
		}
		cur, prev, ok := ParseUtmp(data)
		wc, wp := whoR(t, wtmp)
		if !ok || cur != wc || prev != wp || cur != "5" {
			t.Errorf("ParseUtmp = %q, %q, %v; who -r: %q, %q", cur, prev, ok, wc, wp)
		}
		cur, prev, ok = ParseUtmp(data[:2*utmpSize+100]) // cut short in the third record
		if !ok || cur != "S" || prev != "N" {
			t.Errorf("ParseUtmp of two records = %q, %q, %v; want S, N", cur, prev, ok)
		}
	})
}

// TestRunlevelThisHost compares Runlevel("/") with who -r.
func TestRunlevelThisHost(t *testing.T) {
	cur, prev, ok, err := Runlevel("/")
	if _, serr := os.Stat("/run/utmp"); errors.Is(serr, fs.ErrNotExist) {
		if !errors.Is(err, fs.ErrNotExist) || ok {
			t.Errorf("no /run/utmp: Runlevel = %v, %v; want an error wrapping fs.ErrNotExist", ok, err)
		}
		t.Skip("this host has no /run/utmp (checked that Runlevel says so)")
	}
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(string(testutil.Run(t, "", testutil.Tool(t, "who", "coreutils"), "-r")))
	m := whoRunlevel.FindStringSubmatch(out)
	switch {
	case m == nil && ok:
		t.Errorf("who -r says nothing, Runlevel %s (previous %s)", cur, prev)
	case m != nil && (!ok || m[1] != cur):
		t.Errorf("who -r %q, Runlevel %q, %v", out, cur, ok)
	}
}

func record(typ int16, pid uint32) []byte {
	b := make([]byte, utmpSize)
	binary.LittleEndian.PutUint16(b[utType:], uint16(typ))
	binary.LittleEndian.PutUint32(b[utPid:], pid)
	return b
}

func TestParseUtmp(t *testing.T) {
	cat := func(rs ...[]byte) []byte {
		var b []byte
		for _, r := range rs {
			b = append(b, r...)
		}
		return b
	}
	tests := []struct {
		name      string
		in        []byte
		cur, prev string
		ok        bool
	}{
		{"empty", nil, "", "", false},
		{"no RUN_LVL", cat(record(2, 0), record(7, 1234)), "", "", false},
		{"N previous", cat(record(1, 'N'<<8|'2')), "2", "N", true},
		{"last counts", cat(record(1, '2'), record(1, 'S'<<8|'5'), record(7, '3')), "5", "S", true},
		{"unprintable current skipped", cat(record(1, '3'), record(1, 0), record(1, 0x7f)), "3", "N", true},
		{"partial record ignored", cat(record(1, '3'), record(1, '4')[:200]), "3", "N", true},
		{"short", []byte{1, 0, 0, 0, '5'}, "", "", false},
	}
	for _, tt := range tests {
		cur, prev, ok := ParseUtmp(tt.in)
		if cur != tt.cur || prev != tt.prev || ok != tt.ok {
			t.Errorf("%s: %q, %q, %v; want %q, %q, %v", tt.name, cur, prev, ok, tt.cur, tt.prev, tt.ok)
		}
	}
}

func TestRunlevelHostile(t *testing.T) {
	for _, k := range []string{hostile.FIFO, hostile.Zero, hostile.Sparse, hostile.DirOut} {
		t.Run(k, func(t *testing.T) {
			root := t.TempDir()
			testutil.WriteTree(t, root, map[string]string{"run/utmp": string(record(1, '5'))})
			hostile.Make(t, root, "run/utmp", k)
			var err error
			var ok bool
			alloc := hostile.Allocated(func() { _, _, ok, err = Runlevel(root) })
			if ok || alloc > 2*MaxUtmpBytes {
				t.Errorf("ok %v, %d bytes allocated", ok, alloc)
			}
			hostile.CheckErr(t, err, k, filepath.Join(root, "run/utmp"))
		})
	}
	t.Run("limit", func(t *testing.T) {
		root := t.TempDir()
		big := strings.Repeat(string(record(1, '5')), MaxUtmpBytes/utmpSize+1)
		testutil.WriteTree(t, root, map[string]string{"run/utmp": big})
		if _, _, _, err := Runlevel(root); !errors.Is(err, hostfile.ErrTooLarge) {
			t.Errorf("%d bytes: %v, want ErrTooLarge", len(big), err)
		}
		testutil.WriteTree(t, root, map[string]string{"run/utmp": big[:MaxUtmpBytes]})
		if cur, _, ok, err := Runlevel(root); err != nil || !ok || cur != "5" {
			t.Errorf("%d bytes: %q, %v, %v", MaxUtmpBytes, cur, ok, err)
		}
	})
}
