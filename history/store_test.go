package history

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// openT opens a store in a fresh directory (or dir) and fails on problems.
func openT(t *testing.T, dir string, keep int) *Store {
	t.Helper()
	s, err := Open(dir, keep)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Problems(); len(p) > 0 {
		t.Fatalf("Open(%s) problems: %v", dir, p)
	}
	return s
}

// fileBoots parses the history file as a fresh reader would.
func fileBoots(t *testing.T, dir string) []Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	boots, err := ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return boots
}

func bootIDs(rs []Record) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.BootID)
	}
	return ids
}

func TestStoreRecordAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state") // Open creates it
	s := openT(t, dir, 10)
	base := loadRecord(t, "r640-base")
	base.CleanShutdownAt = nil
	prev, err := s.Record(base)
	if err != nil || prev != nil {
		t.Fatalf("first Record = %v, %v; want nil, nil", prev, err)
	}
	up := loadRecord(t, "r640-kernel-upgrade")
	prev, err = s.Record(up)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&base, prev); diff != "" {
		t.Errorf("prev (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600 (it holds serial numbers)", fi.Mode().Perm())
	}
	want := []Record{up, base}
	if diff := cmp.Diff(want, s.Boots()); diff != "" {
		t.Errorf("Boots (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, fileBoots(t, dir)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	s2 := openT(t, dir, 10)
	if diff := cmp.Diff(want, s2.Boots()); diff != "" {
		t.Errorf("reopened Boots (-want +got):\n%s", diff)
	}
	// Boots returns copies.
	s2.Boots()[0].DIMMs[0].SerialNumber = "changed"
	if s2.Boots()[0].DIMMs[0].SerialNumber == "changed" {
		t.Error("Boots shares memory with the store")
	}
}

func TestStoreSameBootTwice(t *testing.T) {
	dir := t.TempDir()
	base := loadRecord(t, "r640-base")
	base.CleanShutdownAt = nil
	up := loadRecord(t, "r640-kernel-upgrade")

	s := openT(t, dir, 10)
	if _, err := s.Record(base); err != nil {
		t.Fatal(err)
	}
	first, err := s.Record(up)
	if err != nil {
		t.Fatal(err)
	}
	// The agent is stopped (SIGTERM) but the host keeps running: the
	// agent is restarted within the same boot.
	if err := s.MarkCleanShutdown(up.BootID, time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir, 10)
	again := up
	again.RecordedAt = up.RecordedAt.Add(time.Hour)
	second, err := s.Record(again)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("prev of the second Record differs from the first (-first +second):\n%s", diff)
	}
	got := s.Boots()
	if diff := cmp.Diff([]string{up.BootID, base.BootID}, bootIDs(got)); diff != "" {
		t.Fatalf("boots (-want +got):\n%s", diff)
	}
	if !got[0].RecordedAt.Equal(up.RecordedAt) {
		t.Errorf("RecordedAt = %v, want the first %v", got[0].RecordedAt, up.RecordedAt)
	}
	if got[0].CleanShutdownAt != nil {
		t.Errorf("clean-shutdown mark survived an agent restart within the boot: %v", got[0].CleanShutdownAt)
	}
	if f := fileBoots(t, dir); f[0].CleanShutdownAt != nil || len(f) != 2 {
		t.Errorf("file: %d boots, newest clean mark %v; want 2 and none", len(f), f[0].CleanShutdownAt)
	}
}

func TestStoreCleanShutdownThenNewBoot(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, 10)
	vm := loadRecord(t, "qemu-vm-a")
	vm.CleanShutdownAt = nil
	if _, err := s.Record(vm); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 17, 45, 10, 0, time.UTC)
	if err := s.MarkCleanShutdown(vm.BootID, at); err != nil {
		t.Fatal(err)
	}
	// Next boot: a new agent process.
	s = openT(t, dir, 10)
	cur := loadRecord(t, "qemu-vm-moved")
	prev, err := s.Record(cur)
	if err != nil {
		t.Fatal(err)
	}
	if prev == nil || prev.CleanShutdownAt == nil || !prev.CleanShutdownAt.Equal(at) {
		t.Fatalf("prev = %+v; want the clean mark %v", prev, at)
	}
	pstore := t.TempDir() // mounted, empty: systemd-pstore archived nothing
	end := PreviousBootEnd(prev, pstore)
	want := End{State: EndClean, Detail: "clean shutdown at 2026-11-24T17:45:10Z"}
	if diff := cmp.Diff(want, end); diff != "" {
		t.Errorf("PreviousBootEnd (-want +got):\n%s", diff)
	}
}

func TestStoreMarkUnknownBoot(t *testing.T) {
	s := openT(t, t.TempDir(), 3)
	if err := s.MarkCleanShutdown("nope", time.Now()); !errors.Is(err, ErrUnknownBoot) {
		t.Errorf("MarkCleanShutdown = %v, want ErrUnknownBoot", err)
	}
}

func TestStoreRejectsInvalid(t *testing.T) {
	s := openT(t, t.TempDir(), 3)
	for _, r := range []Record{{}, {BootID: "x"}, {BootID: strings.Repeat("x", 200), BootTime: time.Now()}} {
		if _, err := s.Record(r); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("Record(%q) = %v, want ErrInvalidRecord", r.BootID, err)
		}
	}
	if _, err := Open("", 3); err == nil {
		t.Error("Open with no directory succeeded")
	}
	if _, err := Open(t.TempDir(), 0); err == nil {
		t.Error("Open with keep 0 succeeded")
	}
}

func TestStoreKeepsLastN(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, 3)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 5 {
		id := string(rune('a'+i)) + "-boot"
		ids = append(ids, id)
		prev, err := s.Record(Record{BootID: id, BootTime: t0.Add(time.Duration(i) * time.Hour), KernelRelease: "6.1"})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && (prev == nil || prev.BootID != ids[i-1]) {
			t.Fatalf("boot %d: prev = %v, want %s", i, prev, ids[i-1])
		}
	}
	want := []string{"e-boot", "d-boot", "c-boot"}
	if diff := cmp.Diff(want, bootIDs(s.Boots())); diff != "" {
		t.Errorf("Boots (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, bootIDs(fileBoots(t, dir))); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	// Lowering keep prunes on load.
	s2 := openT(t, dir, 2)
	if diff := cmp.Diff(want[:2], bootIDs(s2.Boots())); diff != "" {
		t.Errorf("keep 2 (-want +got):\n%s", diff)
	}
}

func TestStoreSetsAsideBadFiles(t *testing.T) {
	good := loadRecord(t, "r640-base")
	goodJSON, err := MarshalFile([]Record{good})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		content   []byte
		wantErr   error
		wantBoots []string
	}{
		{"truncated json", goodJSON[:len(goodJSON)/2], ErrCorrupt, nil},
		{"binary garbage", []byte("\x00\x01\x02\xff"), ErrCorrupt, nil},
		{"empty file", nil, ErrCorrupt, nil},
		{"foreign object", []byte(`{"apiVersion":"v1","kind":"ConfigMap"}`), ErrForeign, nil},
		{"foreign array", []byte(`[{"boot_id":"x"}]`), ErrForeign, nil},
		{"other schema", []byte(`{"schema":"other.history","version":1,"boots":[]}`), ErrForeign, nil},
		{"newer version", []byte(`{"schema":"bootinfo.history","version":2,"boots":[]}`), ErrVersion, nil},
		{"boots not a list", []byte(`{"schema":"bootinfo.history","version":1,"boots":{}}`), ErrCorrupt, nil},
		{"one bad record among good", []byte(`{"schema":"bootinfo.history","version":1,"boots":[` +
			`{"boot_id":"b2","boot_time":"2026-11-02T08:14:07Z"},` +
			`{"boot_id":"","boot_time":"2026-11-01T08:14:07Z"},` +
			`{"boot_id":"b0","boot_time":"yesterday"},` +
			`{"boot_id":"b2","boot_time":"2026-10-01T08:14:07Z"}]}`), ErrCorrupt, []string{"b2"}},
		{"too large", append(append([]byte{}, goodJSON...), make([]byte, MaxFileSize)...), ErrTooLarge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, 5)
			if err != nil {
				t.Fatal(err)
			}
			p := s.Problems()
			if len(p) != 1 || !errors.Is(p[0], tt.wantErr) {
				t.Fatalf("Problems = %v, want one wrapping %v", p, tt.wantErr)
			}
			if !strings.Contains(p[0].Error(), "set aside as "+FileName+".corrupt-") {
				t.Errorf("problem %q does not say where the file went", p[0])
			}
			if diff := cmp.Diff(tt.wantBoots, bootIDs(s.Boots())); diff != "" {
				t.Errorf("kept boots (-want +got):\n%s", diff)
			}
			aside, _ := filepath.Glob(filepath.Join(dir, FileName+".corrupt-*"))
			if len(aside) != 1 {
				t.Fatalf("set-aside files %v, want one", aside)
			}
			if b, _ := os.ReadFile(aside[0]); string(b) != string(tt.content) {
				t.Error("the set-aside file is not the original")
			}
			if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("history file still in place: %v", err)
			}
			// The store goes on: the next boot is recorded in a new file.
			if _, err := s.Record(loadRecord(t, "r640-kernel-upgrade")); err != nil {
				t.Fatal(err)
			}
			want := append([]string{"a90e7d12-55c3-4f0e-b1d8-2f6c0e9a7b31"}, tt.wantBoots...)
			if diff := cmp.Diff(want, bootIDs(fileBoots(t, dir))); diff != "" {
				t.Errorf("new file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStoreSetsAsideNonRegularFiles(t *testing.T) {
	for name, make := range map[string]func(path string) error{
		"symlink":   func(p string) error { return os.Symlink("/etc/passwd", p) },
		"directory": func(p string) error { return os.Mkdir(p, 0o755) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := make(filepath.Join(dir, FileName)); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, 3)
			if err != nil {
				t.Fatal(err)
			}
			if p := s.Problems(); len(p) != 1 || !errors.Is(p[0], ErrForeign) {
				t.Fatalf("Problems = %v, want ErrForeign", p)
			}
			if _, err := s.Record(loadRecord(t, "qemu-vm-a")); err != nil {
				t.Fatal(err)
			}
			if got := fileBoots(t, dir); len(got) != 1 {
				t.Errorf("file holds %d boots", len(got))
			}
			if b, _ := os.ReadFile("/etc/passwd"); len(b) > 0 && strings.HasPrefix(string(b), "{") {
				t.Error("/etc/passwd was written")
			}
		})
	}
}

func TestStoreRemovesTempLeftovers(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, tempPrefix+"123456")
	if err := os.WriteFile(left, []byte(`{"half":`), 0o600); err != nil {
		t.Fatal(err)
	}
	// Written before this process started: a crashed agent's.
	old := processStart.Add(-time.Hour)
	if err := os.Chtimes(left, old, old); err != nil {
		t.Fatal(err)
	}
	// Written by this process, a write in progress: kept, even with a
	// time before the process's (the kernel's clock for file times is
	// coarse).
	live := filepath.Join(dir, tempPrefix+"654321")
	if err := os.WriteFile(live, []byte(`{"half":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(live, old, old); err != nil {
		t.Fatal(err)
	}
	writing.Store(live, struct{}{})
	t.Cleanup(func() { writing.Delete(live) })
	openT(t, dir, 3)
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temporary file still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a write in progress lost its temporary file: %v", err)
	}
}

// TestStoreSparesWritesInFlight: a Store opened while another write of
// this process has its temporary file open leaves that file alone, even
// when the file's time (the kernel's coarse clock) says it is older than
// the process. A checkpoint written at start-up once lost its file to the
// history Store's Open that way, and failed with ENOENT on its rename.
func TestStoreSparesWritesInFlight(t *testing.T) {
	dir := t.TempDir()
	old := processStart.Add(-time.Millisecond)
	opened := false
	afterCreateTemp = func(p string) {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		openT(t, dir, 3)
		opened = true
	}
	t.Cleanup(func() { afterCreateTemp = nil })
	if err := writeAtomic(dir, CheckpointFileName, []byte("{}\n")); err != nil || !opened {
		t.Fatalf("a write while a Store opened: %v (opened %v)", err, opened)
	}
	afterCreateTemp = nil
	// The write's name is forgotten once it is done: a leftover of the
	// same age is removed.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			t.Errorf("%s left behind", e.Name())
		}
	}
	n := 0
	writing.Range(func(any, any) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d temporary files still marked as being written", n)
	}
}

func TestStoreUncreatableDirectory(t *testing.T) {
	// A regular file where the directory should be: every write fails,
	// the in-memory history still answers.
	blocker := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(blocker, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Problems(); len(p) != 1 || !errors.Is(p[0], ErrNotWritable) {
		t.Errorf("Problems = %v, want ErrNotWritable", p)
	}
	a, b := loadRecord(t, "r640-base"), loadRecord(t, "r640-kernel-upgrade")
	a.CleanShutdownAt = nil
	if _, err := s.Record(a); !errors.Is(err, ErrNotWritable) {
		t.Errorf("Record = %v, want ErrNotWritable", err)
	}
	prev, err := s.Record(b)
	if !errors.Is(err, ErrNotWritable) {
		t.Errorf("Record = %v, want ErrNotWritable", err)
	}
	if prev == nil || prev.BootID != a.BootID {
		t.Fatalf("prev = %v, want the in-memory previous boot", prev)
	}
	if got := Diff(*prev, b); len(got) != 1 || got[0].Component != ComponentKernel {
		t.Errorf("in-memory Diff = %v, want the kernel change", got)
	}
}

func TestParseFileRoundTrip(t *testing.T) {
	var rs []Record
	for _, n := range []string{"r640-host-moved", "r640-base", "qemu-vm-a"} {
		rs = append(rs, loadRecord(t, n))
	}
	b, err := MarshalFile(rs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rs, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), `"boot_time": "2026-11-23T03:12:09Z"`) {
		t.Error("boot_time is not RFC 3339 in the file")
	}
}

func TestStorePrunesToFit(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, 100)
	s.limit = 64 << 10
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	big := strings.Repeat("x", s.limit/3) // three of these do not fit
	for i := range 4 {
		_, err := s.Record(Record{BootID: string(rune('a' + i)), BootTime: t0.Add(time.Duration(i) * time.Hour), Cmdline: big})
		if err != nil {
			t.Fatalf("boot %d: %v", i, err)
		}
	}
	got := bootIDs(s.Boots())
	if len(got) != 2 || got[0] != "d" {
		t.Errorf("kept %v, want the 2 newest", got)
	}
	if diff := cmp.Diff(got, bootIDs(fileBoots(t, dir))); diff != "" {
		t.Errorf("file (-memory +file):\n%s", diff)
	}
	// A single record that could never fit is refused and changes nothing.
	if _, err := s.Record(Record{BootID: "huge", BootTime: t0, Cmdline: strings.Repeat("y", s.limit/2)}); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("Record of a huge boot = %v, want ErrInvalidRecord", err)
	}
	if diff := cmp.Diff(got, bootIDs(s.Boots())); diff != "" {
		t.Errorf("a refused record changed the history (-before +after):\n%s", diff)
	}
}
