package nfd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dirNames lists dir's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bootinfo")
	// What a reader holds open across the rename keeps the old content:
	// the new file is another inode.
	if err := WriteFile(dir, "bootinfo", []byte("example.com/a=1\n")); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := WriteFile(dir, "bootinfo", []byte("example.com/a=2\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := old.Read(buf)
	if string(buf[:n]) != "example.com/a=1\n" {
		t.Errorf("the open old file reads %q", buf[:n])
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "example.com/a=2\n" {
		t.Errorf("file = %q, %v", got, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want the file alone (no temporary file left)", names)
	}
}

func TestWriteFileRefuses(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, file string
		content         []byte
		errno           error
	}{
		{"missing directory", filepath.Join(dir, "missing"), "bootinfo", nil, syscall.ENOENT},
		{"not a directory", notDir, "bootinfo", nil, syscall.ENOTDIR},
		{"dot file", dir, ".bootinfo", nil, nil},
		{"slash", dir, "a/b", nil, nil},
		{"too large", dir, "bootinfo", []byte(strings.Repeat("#\n", MaxFileSize/2+1)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFile(tc.dir, tc.file, tc.content)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "nfd: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if tc.errno != nil && !errors.Is(err, tc.errno) {
				t.Errorf("error %q, want %v", err, tc.errno)
			}
			// The same fault, the same message: no temporary name in it.
			if again := WriteFile(tc.dir, tc.file, tc.content); again == nil || again.Error() != err.Error() {
				t.Errorf("a second attempt fails with %v, the first with %v", again, err)
			}
		})
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v after the refusals", names)
	}
}

func TestFileUpdatesOnlyWhenDue(t *testing.T) {
	dir := t.TempDir()
	f := &File{Dir: dir, Name: "bootinfo", Comment: "test", Expiry: time.Hour}
	path := filepath.Join(dir, "bootinfo")
	a := []Label{{"example.com/a", "1"}}
	b := []Label{{"example.com/a", "2"}}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	step := func(name string, labels []Label, now time.Time, want bool) {
		t.Helper()
		wrote, err := f.Update(labels, now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if wrote != want {
			t.Errorf("%s: wrote %v, want %v", name, wrote, want)
		}
	}
	step("first", a, t0, true)
	step("same labels", a, t0.Add(time.Minute), false)
	step("changed labels", b, t0.Add(2*time.Minute), true)
	step("same again", b, t0.Add(31*time.Minute), false)
	step("half the expiry since the last write", b, t0.Add(32*time.Minute), true)
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# +expiry-time=2026-12-01T11:32:00Z\n"; !strings.Contains(string(content), want) {
		t.Errorf("file lacks %q:\n%s", want, content)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	step("file removed", b, t0.Add(33*time.Minute), true)

	// A failed write is retried at the next update, with the same labels.
	f.Dir = filepath.Join(dir, "missing")
	if wrote, err := f.Update(b, t0.Add(34*time.Minute)); wrote || err == nil {
		t.Errorf("into a missing directory: wrote %v, %v", wrote, err)
	}
	if err := os.Mkdir(f.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	step("after the failure", b, t0.Add(35*time.Minute), true)

	// Without expiry, equal labels are never written again.
	g := &File{Dir: dir, Name: "other"}
	if wrote, err := g.Update(a, t0); !wrote || err != nil {
		t.Fatalf("first: %v %v", wrote, err)
	}
	if wrote, _ := g.Update(a, t0.AddDate(1, 0, 0)); wrote {
		t.Error("without expiry, rewritten a year later")
	}
	content, _ = os.ReadFile(filepath.Join(dir, "other"))
	if strings.Contains(string(content), "expiry-time") {
		t.Errorf("without expiry the file has a directive:\n%s", content)
	}
}
