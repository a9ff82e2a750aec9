package history

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"

	"github.com/google/go-cmp/cmp"
)

// stateDirCases are state directories a one-shot command can meet; each
// makes its case in dir (which does not exist yet).
var stateDirCases = map[string]func(t *testing.T, dir string){
	"missing": func(t *testing.T, dir string) {},
	"live agent's temporary file": func(t *testing.T, dir string) {
		mkState(t, dir, map[string]string{FileName: validFile(t), tempPrefix + "1234567": `{"schema":"bootinfo.history","version":1,"bo`})
	},
	"newer version": func(t *testing.T, dir string) {
		mkState(t, dir, map[string]string{FileName: `{"schema":"bootinfo.history","version":2,"boots":[{"boot_id":"x"}]}`})
	},
	"corrupt": func(t *testing.T, dir string) {
		mkState(t, dir, map[string]string{FileName: `{"schema":"bootinfo.history","version":1,"boots":[`})
	},
	"fifo as the history file": func(t *testing.T, dir string) {
		mkState(t, dir, nil)
		if err := syscall.Mkfifo(filepath.Join(dir, FileName), 0o600); err != nil {
			t.Fatal(err)
		}
	},
	"fifo among history files": func(t *testing.T, dir string) {
		mkState(t, dir, map[string]string{FileName: validFile(t)})
		for _, n := range []string{tempPrefix + "fifo", FileName + ".corrupt-20260101T000000.000000000Z"} {
			if err := syscall.Mkfifo(filepath.Join(dir, n), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	},
	"symlink to /dev/zero as the history file": func(t *testing.T, dir string) {
		mkState(t, dir, nil)
		if err := os.Symlink("/dev/zero", filepath.Join(dir, FileName)); err != nil {
			t.Fatal(err)
		}
	},
}

func mkState(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func validFile(t *testing.T) string {
	t.Helper()
	b, err := MarshalFile([]Record{loadRecord(t, "r640-base")})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOpenReadOnlyChangesNothing: whatever the state directory holds,
// OpenReadOnly and every write attempt after it create, delete, rename and
// write nothing, and what Open would have set aside is reported.
func TestOpenReadOnlyChangesNothing(t *testing.T) {
	for name, mk := range stateDirCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			mk(t, dir)
			before := testutil.TreeState(t, dir)
			s, err := OpenReadOnly(dir, 5)
			if err != nil {
				t.Fatal(err)
			}
			rec := loadRecord(t, "r640-kernel-upgrade")
			if _, err := s.Record(rec); !errors.Is(err, ErrReadOnly) {
				t.Errorf("Record = %v, want ErrReadOnly", err)
			}
			if err := s.MarkCleanShutdown(rec.BootID, rec.BootTime); !errors.Is(err, ErrReadOnly) {
				t.Errorf("MarkCleanShutdown = %v, want ErrReadOnly", err)
			}
			if diff := cmp.Diff(before, testutil.TreeState(t, dir)); diff != "" {
				t.Errorf("the state directory changed (-before +after):\n%s", diff)
			}
			for _, p := range s.Problems() {
				if !strings.Contains(p.Error(), "left in place") {
					t.Errorf("problem %q does not say the file was left in place", p)
				}
			}
			switch name {
			case "newer version", "corrupt", "fifo as the history file", "symlink to /dev/zero as the history file":
				if len(s.Problems()) != 1 {
					t.Errorf("problems %v, want one", s.Problems())
				}
			default:
				if len(s.Problems()) != 0 {
					t.Errorf("problems %v, want none", s.Problems())
				}
			}
		})
	}
}

// TestOpenSetsAsideFIFO: the agent's own Open does not block on a FIFO
// where the history file should be; it sets it aside and goes on.
func TestOpenSetsAsideFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, FileName), 0o600); err != nil {
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
}
