package history

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"golang.org/x/sys/unix"
)

// mountTmpfs mounts a tmpfs with opts on a fresh directory for the test.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		testutil.SkipOrFail(t, "mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// checkDegraded records cur in a store that cannot write and checks that the
// error is clear while the comparison with prev still works.
func checkDegraded(t *testing.T, s *Store, wantPrev Record, cur Record, errno error) {
	t.Helper()
	prev, err := s.Record(cur)
	if !errors.Is(err, ErrNotWritable) || !errors.Is(err, errno) {
		t.Fatalf("Record = %v; want ErrNotWritable wrapping %v", err, errno)
	}
	t.Logf("Record error as the caller sees it: %v", err)
	if prev == nil || prev.BootID != wantPrev.BootID {
		t.Fatalf("prev = %v, want %s from memory", prev, wantPrev.BootID)
	}
	if got := Diff(*prev, cur); len(got) == 0 {
		t.Error("no changes between two different boots")
	}
	if err := s.MarkCleanShutdown(cur.BootID, time.Now()); !errors.Is(err, ErrNotWritable) {
		t.Errorf("MarkCleanShutdown = %v, want ErrNotWritable", err)
	}
	if b := s.Boots(); len(b) != 2 || b[0].CleanShutdownAt == nil {
		t.Errorf("in-memory history not updated: %+v", bootIDs(b))
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.Dir(), tempPrefix+"*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestStoreReadOnlyFileSystem(t *testing.T) {
	dir := mountTmpfs(t, "size=1m,mode=0755")
	base := loadRecord(t, "r640-base")
	base.CleanShutdownAt = nil
	if _, err := openT(t, dir, 5).Record(base); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "other.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		testutil.SkipOrFail(t, "remount read-only: %v", err)
	}
	s := openT(t, dir, 5) // reading works
	checkDegraded(t, s, base, loadRecord(t, "r640-kernel-upgrade"), syscall.EROFS)
	if got := fileBoots(t, dir); len(got) != 1 || got[0].BootID != base.BootID {
		t.Errorf("file changed on a read-only file system: %v", bootIDs(got))
	}
}

func TestStoreReadOnlyFileSystemCorruptFile(t *testing.T) {
	dir := mountTmpfs(t, "size=1m,mode=0755")
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{\"schema\":"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		testutil.SkipOrFail(t, "remount read-only: %v", err)
	}
	s, err := Open(dir, 5)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Problems()
	if len(p) != 1 || !errors.Is(p[0], ErrCorrupt) || !errors.Is(p[0], syscall.EROFS) ||
		!strings.Contains(p[0].Error(), "could not set it aside") {
		t.Fatalf("Problems = %v; want the corruption and why it stayed in place", p)
	}
	if _, err := s.Record(loadRecord(t, "qemu-vm-a")); !errors.Is(err, ErrNotWritable) {
		t.Errorf("Record = %v, want ErrNotWritable", err)
	}
}

func TestStoreFullDisk(t *testing.T) {
	dir := mountTmpfs(t, "size=16k,mode=0755")
	base := loadRecord(t, "r640-base")
	base.CleanShutdownAt = nil
	s := openT(t, dir, 5)
	if _, err := s.Record(base); err != nil {
		t.Fatal(err)
	}
	// Fill the file system.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	checkDegraded(t, s, base, loadRecord(t, "r640-kernel-upgrade"), syscall.ENOSPC)
	if got := fileBoots(t, dir); len(got) != 1 || got[0].BootID != base.BootID {
		t.Errorf("a failed write damaged the file: %v", bootIDs(got))
	}
	// Space comes back: the next write stores everything kept in memory.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(loadRecord(t, "r640-kernel-upgrade")); err != nil {
		t.Fatalf("Record after freeing space: %v", err)
	}
	if got := fileBoots(t, dir); len(got) != 2 {
		t.Errorf("file holds %v after recovery, want 2 boots", bootIDs(got))
	}
}

const childEnv = "BOOTINFO_HISTORY_CHILD"

// TestStoreAsNobody runs the store as an unprivileged user (root ignores
// permissions) in a subprocess: a read-only directory with a readable file
// degrades to in-memory history; an unreadable file is never overwritten.
func TestStoreAsNobody(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("parent test")
	}
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "switching to uid 65534 needs root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		testutil.SkipOrFail(t, "setpriv (util-linux) not installed: %v", err)
	}
	top := t.TempDir()
	bin := filepath.Join(top, "history.test")
	copyFile(t, bin)
	base := loadRecord(t, "r640-base")
	base.CleanShutdownAt = nil
	mk := func(name string, fileMode os.FileMode) string {
		dir := filepath.Join(top, name)
		if _, err := openT(t, dir, 5).Record(base); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, FileName), fileMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	readable := mk("readable", 0o644)
	unreadable := mk("unreadable", 0o600)
	// pstore is root's: /sys/fs/pstore is mode 0750 on a host.
	pstore := filepath.Join(top, "pstore")
	if err := os.Mkdir(pstore, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pstore, "dmesg-ramoops-0"), readFixture(t, "ramoops-panic/dmesg-ramoops-0"), 0o444); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^TestStoreChildNobody$", "-test.v")
	cmd.Dir, _ = os.Getwd()
	cmd.Env = append(os.Environ(), childEnv+"=1", "READABLE="+readable, "UNREADABLE="+unreadable, "PSTORE="+pstore)
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestStoreChildNobody") {
		t.Fatal("child did not run its test")
	}
}

func copyFile(t *testing.T, dst string) {
	t.Helper()
	src, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStoreChildNobody is TestStoreAsNobody's subprocess.
func TestStoreChildNobody(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as TestStoreAsNobody's subprocess")
	}
	if os.Geteuid() == 0 {
		t.Fatal("child runs as root")
	}
	base := loadRecord(t, "r640-base")
	cur := loadRecord(t, "r640-kernel-upgrade")

	s := openT(t, os.Getenv("READABLE"), 5)
	checkDegraded(t, s, base, cur, syscall.EACCES)

	s, err := Open(os.Getenv("UNREADABLE"), 5)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Problems(); len(p) != 1 || !errors.Is(p[0], ErrUnavailable) || !errors.Is(p[0], os.ErrPermission) {
		t.Fatalf("Problems = %v, want ErrUnavailable (permission)", p)
	}
	prev, err := s.Record(cur)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Record = %v, want ErrUnavailable", err)
	}
	if prev != nil {
		t.Errorf("prev = %v from a history never read", prev)
	}

	end := PreviousBootEnd(&base, os.Getenv("PSTORE"))
	if end.State != EndUnknown || !strings.Contains(end.Detail, "permission denied") {
		t.Errorf("PreviousBootEnd on root's pstore = %+v; want unknown, permission denied", end)
	}
	t.Logf("pstore unreadable: %s", end.Detail)
}
