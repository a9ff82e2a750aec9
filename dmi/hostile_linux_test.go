package dmi

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// The ways a host file breaks that bootinfo must survive: each must give an
// error naming the file, without blocking and without reading the file into
// memory, and leave every other fact readable.
const (
	hostileFIFO   = "fifo"   // a named pipe nobody writes: a plain open blocks
	hostileZero   = "zero"   // a symbolic link to /dev/zero: a plain read never ends
	hostileSparse = "sparse" // a 1 GiB sparse file: a plain read allocates 1 GiB
	hostileDirOut = "dirout" // the file's directory a symbolic link out of the root
)

var hostileKinds = []string{hostileFIFO, hostileZero, hostileSparse, hostileDirOut}

// makeHostile turns rel below root, the root it is read in, into kind. For
// hostileZero, root/dev/zero is made the real zero device (1:5), so that the
// absolute link, resolved inside the root as the host would, reaches a real
// character device. For hostileDirOut, rel's directory, which must not be
// the root itself, becomes an absolute link to a copy of it outside the
// root whose files all read "OUTSIDE".
func makeHostile(t *testing.T, root, rel, kind string) {
	t.Helper()
	if kind == hostileDirOut && path.Dir(rel) == "." {
		t.Fatalf("%s is at the top of its root", rel)
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	switch kind {
	case hostileFIFO:
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	case hostileZero:
		if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mknod(filepath.Join(root, "dev", "zero"), syscall.S_IFCHR|0o666, int(1<<8|5)); err != nil && !errors.Is(err, fs.ErrExist) {
			testutil.SkipOrFail(t, "mknod of a zero device needs CAP_MKNOD: %v", err)
		}
		os.Remove(p)
		if err := os.Symlink("/dev/zero", p); err != nil {
			t.Fatal(err)
		}
	case hostileSparse:
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 30); err != nil {
			t.Fatal(err)
		}
		f.Close()
	case hostileDirOut:
		dir := filepath.Dir(p)
		out := filepath.Join(t.TempDir(), "outside")
		if err := os.Rename(dir, out); err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(out)
		for _, e := range ents {
			if e.Type().IsRegular() {
				os.WriteFile(filepath.Join(out, e.Name()), []byte("OUTSIDE\n"), 0o644)
			}
		}
		if err := os.Symlink(out, dir); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown hostile kind %q", kind)
	}
}

// checkHostileErr checks that err is what reading a hostile file must give.
func checkHostileErr(t *testing.T, err error, kind, fullPath string) {
	t.Helper()
	var want error
	switch kind {
	case hostileFIFO, hostileZero:
		want = hostfile.ErrNotRegular
	case hostileSparse:
		want = hostfile.ErrTooLarge
	case hostileDirOut:
		want = fs.ErrNotExist
	}
	if !errors.Is(err, want) {
		t.Errorf("error %v, want one wrapping %v", err, want)
	}
	if err != nil && !strings.Contains(err.Error(), fullPath) {
		t.Errorf("error %q does not name %s", err, fullPath)
	}
}

// allocated returns how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxHostileAlloc bounds what reading a tree with one hostile file may
// allocate: a few times the largest limit the package reads with,
// hostfile.LimitFirmware for the table (reading up to the limit grows the
// buffer by doubling: about 21 MiB in all for 4 MiB), and a fortieth of the
// 1 GiB file.
const maxHostileAlloc = 6 * hostfile.LimitFirmware

// hostileDMISysfs is a sysfs root with QEMU's SMBIOS tables and the
// /sys/class/dmi/id attributes of another maker, so that a summary says
// which it came from.
func hostileDMISysfs(t *testing.T) string {
	t.Helper()
	root := dmitest.SysfsRoot(t, "qemu-ovmf-q35", TablesDir)
	testutil.WriteTree(t, root, map[string]string{
		IDDir + "/sys_vendor":   "Acme\n",
		IDDir + "/product_name": "Anvil\n",
		IDDir + "/bios_vendor":  "AcmeBIOS\n",
	})
	return root
}

// TestSummaryHostileTables: with the entry point or the table hostile (or
// the tables' directory a link out of the root), Summary returns the error
// naming the file, without blocking or reading it, and falls back to
// /sys/class/dmi/id.
func TestSummaryHostileTables(t *testing.T) {
	for _, file := range []string{"smbios_entry_point", "DMI"} {
		for _, kind := range hostileKinds {
			t.Run(file+"/"+kind, func(t *testing.T) {
				root := hostileDMISysfs(t)
				makeHostile(t, root, TablesDir+"/"+file, kind)
				var s *Summary
				var fromTables bool
				var err error
				n := allocated(func() { s, fromTables, err = NewFS(root).Summary() })
				if n > maxHostileAlloc {
					t.Errorf("Summary allocated %d bytes", n)
				}
				name := filepath.Join(root, TablesDir, file)
				if kind == hostileDirOut {
					// The missing tables are no error: /sys/class/dmi/id
					// answers, as for a user who may not read them.
					if err != nil {
						t.Errorf("error %v", err)
					}
				} else {
					checkHostileErr(t, err, kind, name)
				}
				if s == nil || fromTables || s.System.Manufacturer != "Acme" || s.System.ProductName != "Anvil" {
					t.Fatalf("summary %+v from tables %v; want /sys/class/dmi/id's", s, fromTables)
				}
			})
		}
	}
}

// TestIDSummaryHostileAttribute: one hostile attribute is an error naming
// it; the summary holds the others.
func TestIDSummaryHostileAttribute(t *testing.T) {
	for _, kind := range hostileKinds {
		t.Run(kind, func(t *testing.T) {
			root := hostileDMISysfs(t)
			file := IDDir + "/product_name"
			makeHostile(t, root, file, kind)
			if kind == hostileDirOut {
				// class/dmi/id itself is gone from the root: the outside
				// copy must not be read.
				s, err := NewFS(root).IDSummary()
				if !errors.Is(err, fs.ErrNotExist) || s != nil {
					t.Errorf("IDSummary = %+v, %v; want not-exist", s, err)
				}
				return
			}
			var s *Summary
			var err error
			n := allocated(func() { s, err = NewFS(root).IDSummary() })
			if n > maxHostileAlloc {
				t.Errorf("IDSummary allocated %d bytes", n)
			}
			checkHostileErr(t, err, kind, filepath.Join(root, file))
			if s == nil || s.System.Manufacturer != "Acme" || s.BIOS.Vendor != "AcmeBIOS" || s.System.ProductName != "" {
				t.Errorf("summary %+v", s)
			}
		})
	}
}
