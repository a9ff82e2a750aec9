package hostfile

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// tree builds a root with the shapes hostile hosts have, and a directory
// outside it that no path below the root may reach.
func tree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{root + "/etc", root + "/boot/grub", root + "/run", outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(root+"/etc/os-release", "ID=debian\n")
	write(root+"/etc/secret", "inside\n")
	write(outside+"/secret", "outside\n")
	write(outside+"/evil.cfg", "outside\n")
	link := func(target, p string) {
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	link("/etc", root+"/boot/abs")            // absolute: re-rooted
	link("../etc", root+"/boot/rel")          // relative, stays inside
	link("../../../outside", root+"/boot/up") // relative, climbs past the root
	link(outside, root+"/boot/lnk")           // absolute host path of the outside tree
	link("/etc/secret", root+"/run/abs-file") // absolute file link
	link("loop2", root+"/run/loop1")          // a loop
	link("loop1", root+"/run/loop2")          //
	link("/dev/zero", root+"/run/zero")       // re-rooted: no such file below the root
	if err := syscall.Mkfifo(root+"/etc/fifo", 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", root+"/run/sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	write(outside+"/../root/boot/grub/grub.cfg", strings.Repeat("x", 100))
	return root, outside
}

// both runs f with openat2 and with the component-wise walk of old kernels.
func both(t *testing.T, f func(t *testing.T)) {
	t.Run("openat2", func(t *testing.T) {
		noOpenat2.Store(false)
		f(t)
	})
	t.Run("walk", func(t *testing.T) {
		noOpenat2.Store(true)
		t.Cleanup(func() { noOpenat2.Store(false) })
		f(t)
	})
}

func TestReadFileStaysInsideRoot(t *testing.T) {
	root, outside := tree(t)
	r := NewRoot(root)
	tests := []struct {
		name    string
		want    string // content; "" with wantErr
		wantErr error
	}{
		{name: "etc/os-release", want: "ID=debian\n"},
		{name: "/etc/os-release", want: "ID=debian\n"},
		{name: "../../etc/secret", want: "inside\n"},
		{name: "boot/abs/secret", want: "inside\n"},
		{name: "boot/rel/secret", want: "inside\n"},
		{name: "boot/../../outside/secret", wantErr: fs.ErrNotExist},
		{name: "boot/up/secret", wantErr: fs.ErrNotExist},
		{name: "boot/lnk/evil.cfg", wantErr: fs.ErrNotExist},
		{name: "run/abs-file", want: "inside\n"},
		{name: "run/zero", wantErr: fs.ErrNotExist},
		{name: "run/loop1", wantErr: syscall.ELOOP},
		{name: "etc/fifo", wantErr: ErrNotRegular},
		{name: "run/sock", wantErr: ErrNotRegular},
		{name: "etc", wantErr: ErrNotRegular},
	}
	both(t, func(t *testing.T) {
		for _, tt := range tests {
			b, err := r.ReadFile(tt.name, LimitAttr)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("ReadFile(%q) = %q, %v; want error %v", tt.name, b, err, tt.wantErr)
				}
				if err != nil && !strings.Contains(err.Error(), root) {
					t.Errorf("ReadFile(%q) error %q does not name the file below %s", tt.name, err, root)
				}
				continue
			}
			if err != nil || string(b) != tt.want {
				t.Errorf("ReadFile(%q) = %q, %v; want %q", tt.name, b, err, tt.want)
			}
			if strings.Contains(string(b), "outside") {
				t.Errorf("ReadFile(%q) read %s", tt.name, outside)
			}
		}
	})
}

func TestReadFileLimit(t *testing.T) {
	root, _ := tree(t)
	r := NewRoot(root)
	both(t, func(t *testing.T) {
		if b, err := r.ReadFile("boot/grub/grub.cfg", 100); err != nil || len(b) != 100 {
			t.Errorf("ReadFile at its limit = %d bytes, %v; want 100 bytes", len(b), err)
		}
		_, err := r.ReadFile("boot/grub/grub.cfg", 99)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("ReadFile past its limit: err = %v, want ErrTooLarge", err)
		}
		want := filepath.Join(root, "boot/grub/grub.cfg") + ": larger than the 99 bytes limit"
		if !strings.HasSuffix(err.Error(), want) {
			t.Errorf("error %q, want it to end %q", err, want)
		}
	})
}

// TestReadFileDevices reads the host's own device nodes: a read of /dev/zero
// must end in an error, not in all the memory there is.
func TestReadFileDevices(t *testing.T) {
	both(t, func(t *testing.T) {
		for _, p := range []string{"/dev/zero", "/dev/null", "/dev/urandom"} {
			if _, err := ReadFile(p, LimitConfig); !errors.Is(err, ErrNotRegular) {
				t.Errorf("ReadFile(%s): err = %v, want ErrNotRegular", p, err)
			}
			if _, err := NewRoot("/").ReadFile(p, LimitConfig); !errors.Is(err, ErrNotRegular) {
				t.Errorf("Root(/).ReadFile(%s): err = %v, want ErrNotRegular", p, err)
			}
			if _, err := NewRoot("/dev").ReadFile(filepath.Base(p), LimitConfig); err == nil ||
				!strings.Contains(err.Error(), "a character device, not a regular file") {
				t.Errorf("Root(/dev).ReadFile(%s): err = %v, want it to say what the file is", p, err)
			}
		}
	})
}

func TestProcfsThroughRoot(t *testing.T) {
	both(t, func(t *testing.T) {
		got, err := NewRoot("/proc").ReadString("self/comm")
		if err != nil || got != filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))] {
			t.Errorf("ReadString(self/comm) = %q, %v; want this test binary's name", got, err)
		}
	})
}

func TestStatReadDirReadlinkResolve(t *testing.T) {
	root, _ := tree(t)
	r := NewRoot(root)
	both(t, func(t *testing.T) {
		fi, err := r.Stat("etc/fifo")
		if err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("Stat(etc/fifo) = %v, %v; want a named pipe, without blocking", fi, err)
		}
		if _, err := r.Stat("boot/lnk/secret"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat through a link out of the root: err = %v, want ErrNotExist", err)
		}
		ents, err := r.ReadDir("boot/abs")
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if err != nil || strings.Join(names, " ") != "fifo os-release secret" {
			t.Errorf("ReadDir(boot/abs) = %v, %v; want the root's etc", names, err)
		}
		if _, err := r.ReadDir("etc/os-release"); !errors.Is(err, ErrNotRegular) && !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("ReadDir of a file: err = %v", err)
		}
		if d, err := r.OpenDir("boot/abs"); err != nil {
			t.Errorf("OpenDir(boot/abs): %v", err)
		} else {
			names, err := d.Readdirnames(-1)
			d.Close()
			slices.Sort(names)
			if err != nil || strings.Join(names, " ") != "fifo os-release secret" {
				t.Errorf("OpenDir(boot/abs) lists %v, %v; want the root's etc", names, err)
			}
		}
		if _, err := r.OpenDir("etc/fifo"); !errors.Is(err, ErrNotRegular) && !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("OpenDir of a FIFO: err = %v", err)
		}
		if got, err := r.Readlink("boot/abs"); err != nil || got != "/etc" {
			t.Errorf("Readlink(boot/abs) = %q, %v; want /etc", got, err)
		}
		if got, err := r.Resolve("boot/rel/../../.."); err != nil || got != "/" {
			t.Errorf("Resolve(boot/rel/../../..) = %q, %v; want /", got, err)
		}
		if got, err := r.Resolve("boot/rel/os-release"); err != nil || got != "/etc/os-release" {
			t.Errorf("Resolve(boot/rel/os-release) = %q, %v; want /etc/os-release", got, err)
		}
	})
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{LimitAttr: "64 KiB", LimitGrubCfg: "16 MiB", 1 << 30: "1 GiB", 1000: "1000 bytes"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestReadFileHugeAllocatesNothing reads a 1 GiB sparse file: refused by its
// size, before a buffer is made for it.
func TestReadFileHugeAllocatesNothing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge")
	f, err := os.Create(p)
	if err == nil {
		err = f.Truncate(1 << 30)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	r := NewRoot(filepath.Dir(p))
	var got error
	allocs := testing.AllocsPerRun(10, func() { _, got = r.ReadFile("huge", LimitConfig) })
	if !errors.Is(got, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", got)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	_, _ = r.ReadFile("huge", LimitConfig)
	runtime.ReadMemStats(&ms)
	if n := ms.TotalAlloc - before; n > 64<<10 {
		t.Errorf("refusing a 1 GiB file allocated %d bytes (%v allocations), want no read buffer", n, allocs)
	}
}

func TestReadDirBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := NewRoot(dir)
	if ents, err := r.readDir("/", 50); err != nil || len(ents) != 50 || ents[0].Name() != "f00" || ents[49].Name() != "f49" {
		t.Errorf("readDir at its limit = %d entries, %v; want 50 sorted", len(ents), err)
	}
	_, err := r.readDir("/", 49)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than the 49 entries limit") {
		t.Errorf("readDir past its limit: err = %v, want the entries limit", err)
	}
}

// TestEPERMOfOneFileKeepsOpenat2: a block device that the device cgroup
// denies this process (EPERM from openat2, as from open) is an error for
// that file, not a sign that a seccomp filter refuses openat2, which would
// send every later open to the slower walk.
func TestEPERMOfOneFileKeepsOpenat2(t *testing.T) {
	ents, err := os.ReadDir("/sys/class/block")
	if err != nil {
		t.Skipf("no /sys/class/block: %v", err)
	}
	dev := NewRoot("/dev")
	for _, e := range ents {
		noOpenat2.Store(false)
		openat2Seen.Store(false) // the probe decides, as in a process whose first open is refused
		f, err := dev.OpenBlockDevice(e.Name())
		if err == nil {
			f.Close()
			continue
		}
		if !errors.Is(err, syscall.EPERM) {
			continue
		}
		if noOpenat2.Load() {
			t.Errorf("EPERM opening /dev/%s turned openat2 off", e.Name())
		}
		t.Logf("/dev/%s: %v", e.Name(), err)
		return
	}
	t.Skip("no block device here is refused with EPERM")
}
