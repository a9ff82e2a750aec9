// Package hostile makes the host files that break readers: a FIFO, a link
// to a real zero device, a 1 GiB sparse file, a directory linked out of its
// root; and checks what reading one must give. The decoders' hostile-file
// tests share it, so each says only which files it breaks.
package hostile

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

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// The ways a host file breaks that bootinfo must survive: each must give an
// error naming the file, without blocking and without reading the file into
// memory, and leave every other fact readable.
const (
	FIFO   = "fifo"   // a named pipe nobody writes: a plain open blocks
	Zero   = "zero"   // a symbolic link to /dev/zero: a plain read never ends
	Sparse = "sparse" // a 1 GiB sparse file: a plain read allocates 1 GiB
	DirOut = "dirout" // the file's directory a symbolic link out of the root
)

// Kinds lists every kind.
var Kinds = []string{FIFO, Zero, Sparse, DirOut}

// Make turns rel below root, the root it is read in, into kind. For
// Zero, root/dev/zero is made the real zero device (1:5), so that the
// absolute link, resolved inside the root as the host would, reaches a real
// character device. For DirOut, rel's directory, which must not be
// the root itself, becomes an absolute link to a copy of it outside the
// root whose files all read "OUTSIDE".
func Make(t testing.TB, root, rel string, kind string) {
	t.Helper()
	if kind == DirOut && path.Dir(rel) == "." {
		t.Fatalf("%s is at the top of its root", rel)
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	switch kind {
	case FIFO:
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	case Zero:
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
	case Sparse:
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 30); err != nil {
			t.Fatal(err)
		}
		f.Close()
	case DirOut:
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

// CheckErr checks that err is what reading a hostile file must give.
func CheckErr(t testing.TB, err error, kind string, fullPath string) {
	t.Helper()
	var want error
	switch kind {
	case FIFO, Zero:
		want = hostfile.ErrNotRegular
	case Sparse:
		want = hostfile.ErrTooLarge
	case DirOut:
		want = fs.ErrNotExist
	}
	if !errors.Is(err, want) {
		t.Errorf("error %v, want one wrapping %v", err, want)
	}
	if err != nil && !strings.Contains(err.Error(), fullPath) {
		t.Errorf("error %q does not name %s", err, fullPath)
	}
}

// Allocated returns how many bytes f allocates on the heap.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
