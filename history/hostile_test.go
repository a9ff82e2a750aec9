package history

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// hostilePstore fills dir with what a broken or hostile host can put among
// pstore records: a FIFO, absolute and relative links to /dev/zero and a
// 1 GiB (sparse) file, each named like a record, beside two good records
// (the ramoops panic fixture). It returns the hostile files' names.
func hostilePstore(t *testing.T, dir string, mtime time.Time) []string {
	t.Helper()
	for _, n := range []string{"dmesg-ramoops-0", "console-ramoops-0"} {
		writeAt(t, filepath.Join(dir, n), readFixture(t, "ramoops-panic/"+n), mtime)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "dmesg-ramoops-5"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "dmesg-ramoops-6")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(strings.Repeat("../", 40)+"dev/zero", filepath.Join(dir, "dmesg-ramoops-7")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "dmesg-ramoops-8"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(f.Name(), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return []string{"dmesg-ramoops-5", "dmesg-ramoops-6", "dmesg-ramoops-7", "dmesg-ramoops-8"}
}

// checkHostile checks that every hostile file is named in err, that the
// good records were all read, and that the 1 GiB file is refused as too
// large, not read in part.
func checkHostile(t *testing.T, recs []PstoreRecord, err error, hostile []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error for %v", hostile)
	}
	for _, h := range hostile {
		if !strings.Contains(err.Error(), h) {
			t.Errorf("error does not name %s: %v", h, err)
		}
	}
	if !errors.Is(err, hostfile.ErrTooLarge) || !errors.Is(err, hostfile.ErrNotRegular) {
		t.Errorf("error wraps neither ErrTooLarge nor ErrNotRegular: %v", err)
	}
	var names []string
	for _, r := range recs {
		names = append(names, filepath.Base(r.Name))
	}
	if strings.Join(names, ",") != "console-ramoops-0,dmesg-ramoops-0" {
		t.Errorf("records read %v, want the two good ones only", names)
	}
}

// TestReadPstoreHostile: a FIFO, links to /dev/zero and a 1 GiB file among
// pstore records are each a clear error naming the file, nothing blocks or
// reads past the limit, and the good records are all read.
func TestReadPstoreHostile(t *testing.T) {
	dir := t.TempDir()
	hostile := hostilePstore(t, dir, time.Now())
	recs, err := ReadPstore(dir)
	checkHostile(t, recs, err, hostile)

	// The verdict still comes from the good records, with the errors.
	at := time.Now()
	prev := &Record{BootID: "p", BootTime: at.Add(-time.Hour)}
	if end := PreviousBootEnd(prev, dir); end.State != EndCrashed || end.Reason != "Panic" {
		t.Errorf("End = %+v", end)
	}
}

// TestReadPstoreArchiveHostile: the same in systemd-pstore's archive, at
// the top and two levels down.
func TestReadPstoreArchiveHostile(t *testing.T) {
	boot := time.Now().Add(-time.Minute)
	for _, sub := range []string{".", "1795609961/001"} {
		t.Run(sub, func(t *testing.T) {
			arch := t.TempDir()
			dir := filepath.Join(arch, sub)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			hostile := hostilePstore(t, dir, time.Now())
			recs, err := ReadPstoreArchive(arch, boot)
			checkHostile(t, recs, err, hostile)
		})
	}
}

// TestReadPstoreTotalBudget: many records just under the per-file limit
// stop at the total budget with an error, instead of reading gigabytes.
func TestReadPstoreTotalBudget(t *testing.T) {
	dir := t.TempDir()
	n := maxPstoreTotalBytes/maxPstoreFileBytes + 2
	for i := range n {
		f, err := os.Create(filepath.Join(dir, "dmesg-ramoops-"+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(maxPstoreFileBytes); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	recs, err := ReadPstore(dir)
	if err == nil || !strings.Contains(err.Error(), "rest not read") {
		t.Errorf("error = %v, want the budget's", err)
	}
	if len(recs) > maxPstoreTotalBytes/maxPstoreFileBytes {
		t.Errorf("%d records of %d bytes read, budget %d", len(recs), maxPstoreFileBytes, maxPstoreTotalBytes)
	}
}

// TestKeepBodyBound: a record of many short lines keeps at most
// maxBodyBytes of text for reassembly, the newest lines.
func TestKeepBodyBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("Panic#1 Part2\n")
	for range 300000 {
		b.WriteString("<4>[ 1.000000] x\n")
	}
	b.WriteString("<0>[ 2.000000] Kernel panic - not syncing: last\n")
	r := ParsePstoreRecord("dmesg-ramoops-0", time.Now(), []byte(b.String()))
	n := 0
	for _, l := range r.body {
		n += len(l)
	}
	if n > maxBodyBytes || len(r.body) == 0 || !strings.Contains(r.body[len(r.body)-1], "last") {
		t.Errorf("body keeps %d bytes in %d lines, limit %d, newest last", n, len(r.body), maxBodyBytes)
	}
	if r.Reason != "Panic" || !strings.Contains(strings.Join(r.FirstLines, "\n"), "not syncing") {
		t.Errorf("record %+v", r)
	}
}

// TestReadPstoreRetainedMemory: records of millions of one-character lines
// (as much as the read budget allows) leave the records read holding a
// bounded amount of memory, not a string per line.
func TestReadPstoreRetainedMemory(t *testing.T) {
	dir := t.TempDir()
	const files = 4
	data := bytes.Repeat([]byte("a\n"), maxPstoreFileBytes/2-64)
	data = append([]byte("Panic#1 Part1\n<0>[ 1.0] Kernel panic - not syncing: x\n"), data...)
	for i := range files {
		if err := os.WriteFile(filepath.Join(dir, "dmesg-ramoops-"+strconv.Itoa(i)), data, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	recs, err := ReadPstore(dir)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err != nil || len(recs) != files {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	limit := int64(files * (maxBodyBytes + 64<<10))
	if held > limit {
		t.Errorf("%d records of %d lines hold %d bytes, limit %d", files, bytes.Count(data, []byte("\n")), held, limit)
	}
	for _, r := range recs {
		if !r.Crash || len(r.FirstLines) != MaxFirstLines {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	runtime.KeepAlive(recs)
	t.Logf("%d records of %d bytes: %d bytes held", files, len(data), held)
}
