package efi

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
// allocate: a few times the largest limit the package reads with
// (maxVariableSize), and a thousandth of the 1 GiB file.
const maxHostileAlloc = 8 << 20

// hostileSysfs is a sysfs root with a 64-bit UEFI, Secure Boot on, setup
// mode off, BootOrder 0001, and two TPMs.
func hostileSysfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	v := func(data ...byte) string { return string(append([]byte{6, 0, 0, 0}, data...)) }
	g := "-" + GlobalVariable.String()
	testutil.WriteTree(t, root, map[string]string{
		"firmware/efi/fw_platform_size":       "64\n",
		"firmware/efi/efivars/SecureBoot" + g: v(1),
		"firmware/efi/efivars/SetupMode" + g:  v(0),
		"firmware/efi/efivars/BootOrder" + g:  v(1, 0),
		"class/tpm/tpm0/tpm_version_major":    "2\n",
		"class/tpm/tpm0/device/description":   "TPM 2.0 Device\n",
		"class/tpm/tpm1/tpm_version_major":    "2\n",
		"class/tpm/tpm1/device/description":   "TPM 2.0 Device\n",
	})
	return root
}

// TestBootStateHostileFiles makes each file BootState reads hostile in turn
// and checks that the fact's error names the file, that the other facts
// are read, and that nothing blocks or is read into memory.
func TestBootStateHostileFiles(t *testing.T) {
	g := "-" + GlobalVariable.String()
	for _, tt := range []struct {
		file, field string // below the sysfs root; the Errors key
		kinds       []string
	}{
		{"firmware/efi/fw_platform_size", "fw_platform_size", hostileKinds[:3]},
		{"firmware/efi/efivars/SecureBoot" + g, "SecureBoot", hostileKinds[:3]},
		{"firmware/efi/efivars/BootOrder" + g, "BootOrder", hostileKinds[:3]},
		{"firmware/efi/efivars/SecureBoot" + g, "efivars", []string{hostileDirOut}},
	} {
		for _, kind := range tt.kinds {
			t.Run(tt.field+"/"+kind, func(t *testing.T) {
				root := hostileSysfs(t)
				makeHostile(t, root, tt.file, kind)
				f, err := NewFS(root)
				if err != nil {
					t.Fatal(err)
				}
				var st *BootState
				n := allocated(func() { st, err = f.BootState() })
				if err != nil {
					t.Fatal(err)
				}
				if n > maxHostileAlloc {
					t.Errorf("BootState allocated %d bytes", n)
				}
				want := filepath.Join(root, tt.file)
				if tt.field == "efivars" {
					want = filepath.Join(root, path.Dir(tt.file))
				}
				checkHostileErr(t, st.Errors[tt.field], kind, want)
				if len(st.Errors) != 1 {
					t.Errorf("errors %v, want only %s's", st.Errors, tt.field)
				}
				if (st.PlatformBits == 64) != (tt.field != "fw_platform_size") {
					t.Errorf("platform bits %d", st.PlatformBits)
				}
				if (st.SecureBoot == SecureBootEnabled) != (tt.field != "SecureBoot" && tt.field != "efivars") {
					t.Errorf("secure boot %q", st.SecureBoot)
				}
				if (len(st.BootOrder) == 1) != (tt.field != "BootOrder" && tt.field != "efivars") {
					t.Errorf("boot order %v", st.BootOrder)
				}
				if tt.field != "efivars" && (st.SetupMode == nil || *st.SetupMode) {
					t.Errorf("setup mode %v, want false", st.SetupMode)
				}
			})
		}
	}
}

// TestTPMsHostileFiles: one TPM's hostile attribute is an error naming it;
// both TPMs are listed and the other's attributes read.
func TestTPMsHostileFiles(t *testing.T) {
	for _, kind := range hostileKinds {
		t.Run(kind, func(t *testing.T) {
			root := hostileSysfs(t)
			file := "class/tpm/tpm0/tpm_version_major"
			if kind == hostileDirOut {
				file = "class/tpm/tpm0/device/description"
			}
			makeHostile(t, root, file, kind)
			f, err := NewFS(root)
			if err != nil {
				t.Fatal(err)
			}
			var tpms []TPM
			n := allocated(func() { tpms, err = f.TPMs() })
			if n > maxHostileAlloc {
				t.Errorf("TPMs allocated %d bytes", n)
			}
			if len(tpms) != 2 || tpms[1] != (TPM{Name: "tpm1", VersionMajor: 2, Description: "TPM 2.0 Device"}) {
				t.Errorf("TPMs %+v", tpms)
			}
			if kind == hostileDirOut {
				// A missing description is no error (ACPI-enumerated TPMs
				// have one, others none); the outside one is not read.
				if err != nil || tpms[0].Description != "" || tpms[0].VersionMajor != 2 {
					t.Errorf("tpm0 %+v, %v", tpms[0], err)
				}
				return
			}
			checkHostileErr(t, err, kind, filepath.Join(root, file))
			if tpms[0].VersionMajor != 0 || tpms[0].Description != "TPM 2.0 Device" {
				t.Errorf("tpm0 %+v", tpms[0])
			}
		})
	}
}
