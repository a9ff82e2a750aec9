// Package hostfile reads the files of the host bootinfo describes. Every read
// is bounded, refuses a FIFO, device or socket where a regular file is
// expected without blocking on it, and resolves its path inside a root: an
// absolute symbolic link below a root means the same path below that root, as
// it would on the host, and ".." stops at the root.
//
// Host files are input like any other: a runaway log, a symbolic link to
// /dev/zero, a FIFO left where a config file was, a directory link to another
// tree. The limits below are per kind of file, and generous: each is at least
// ten times the largest real file of its kind we have seen.
//
// What this package cannot do is interrupt a read that the kernel itself
// blocks, such as one on a hung NFS mount; callers bound that with a deadline
// and abandon the goroutine (see collectors' runner).
package hostfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Limits, one per kind of file bootinfo reads; README.md's "Hostile input"
// lists them with the limits the decoders add.
const (
	// LimitAttr bounds a one-value file: a sysfs or procfs attribute, the
	// kernel command line, /etc/machine-id, /etc/hostname, os-release.
	LimitAttr = 64 << 10
	// LimitConfig bounds a configuration or list file written by a person or
	// a package manager: /etc/default/grub, grubenv, a BLS entry, a unit
	// file, /run/reboot-required.pkgs, a udev database entry.
	LimitConfig = 1 << 20
	// LimitGrubCfg bounds a GRUB script: grub.cfg and the files it sources.
	// Generated grub.cfg files with hundreds of kernels stay below 1 MiB.
	LimitGrubCfg = 16 << 20
	// LimitFirmware bounds a firmware table (SMBIOS, ACPI), an EFI variable
	// or a pstore record. SMBIOS 3 tables may in theory be 4 GiB; real ones
	// are below 64 KiB.
	LimitFirmware = 4 << 20
	// LimitState bounds one of bootinfo's own history records.
	LimitState = 4 << 20
	// LimitImage bounds the part of a kernel or initrd image that is read to
	// identify it.
	LimitImage = 1 << 20
)

// ErrNotRegular is wrapped by errors for a path that is not a regular file
// (or, for ReadDir, not a directory).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by errors for a file larger than its limit.
var ErrTooLarge = errors.New("file too large")

// LimitError says a file is larger than the limit for its kind.
type LimitError struct {
	Limit int64
	Unit  string // "" for bytes, "entries" for a directory
}

func (e *LimitError) Error() string {
	if e.Unit != "" {
		return fmt.Sprintf("more than the %d %s limit", e.Limit, e.Unit)
	}
	return "larger than the " + FormatSize(e.Limit) + " limit"
}

// Is reports whether target is ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// TypeError says a path is of another type than the one expected.
type TypeError struct {
	Mode fs.FileMode
	Want string // "regular file", "directory", "block device"
}

func (e *TypeError) Error() string {
	return "is " + describeMode(e.Mode) + ", not a " + e.Want
}

// Is reports whether target is ErrNotRegular.
func (e *TypeError) Is(target error) bool { return target == ErrNotRegular }

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

// FormatSize writes n bytes the way the limits are documented: "64 KiB".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Root is a directory that paths are resolved inside of, such as "/", "/host",
// "/proc" or "/sys". The zero Root is "/".
type Root struct{ dir string }

// NewRoot returns the Root for dir. An empty dir means "/".
func NewRoot(dir string) Root {
	if dir == "" {
		dir = "/"
	}
	return Root{dir: filepath.Clean(dir)}
}

// Dir returns the root's directory.
func (r Root) Dir() string {
	if r.dir == "" {
		return "/"
	}
	return r.dir
}

// Path returns name (slash-separated, relative to the root or absolute as
// seen from it) joined to the root, as errors and logs show it. It resolves
// nothing, not even "..", so the error names the path that was asked for.
func (r Root) Path(name string) string {
	name = strings.TrimLeft(name, "/")
	if name == "" {
		return r.Dir()
	}
	return strings.TrimSuffix(r.Dir(), "/") + "/" + name
}

// ReadFile reads the regular file name below the root, up to limit bytes.
// A larger file is an error wrapping ErrTooLarge; a FIFO, device, socket or
// directory one wrapping ErrNotRegular. Errors are *fs.PathError naming the
// full path.
func (r Root) ReadFile(name string, limit int64) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, limit)
}

// ReadString reads a one-value file (LimitAttr) with surrounding white space
// removed.
func (r Root) ReadString(name string) (string, error) {
	b, err := r.ReadFile(name, LimitAttr)
	return strings.TrimSpace(string(b)), err
}

// Open opens the regular file name below the root for reading, without
// blocking: the file is opened with O_NONBLOCK and refused unless regular.
// Reads from the returned file are not bounded; use ReadFile, or wrap it in
// an io.LimitReader.
func (r Root) Open(name string) (*os.File, error) {
	return r.open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, modeRegular)
}

// OpenBlockDevice opens the block device name below the root for reading.
func (r Root) OpenBlockDevice(name string) (*os.File, error) {
	return r.open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, modeBlock)
}

// MaxDirEntries bounds ReadDir: no directory bootinfo lists (efivars,
// pstore, /lib/modules, /sys/class/block, loader entries) comes near it, and
// at about 100 bytes an entry it bounds a listing to a few MiB.
const MaxDirEntries = 1 << 16

// ReadDir reads the directory name below the root, sorted by file name. A
// directory of more than MaxDirEntries entries is an error wrapping
// ErrTooLarge, after reading no more than that many.
func (r Root) ReadDir(name string) ([]os.DirEntry, error) {
	return r.readDir(name, MaxDirEntries)
}

func (r Root) readDir(name string, max int) ([]os.DirEntry, error) {
	f, err := r.open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK, modeDir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ents []os.DirEntry
	for {
		batch, err := f.ReadDir(min(1024, max+1-len(ents)))
		ents = append(ents, batch...)
		if len(ents) > max {
			return nil, &fs.PathError{Op: "readdir", Path: r.Path(name), Err: &LimitError{Limit: int64(max), Unit: "entries"}}
		}
		if err == io.EOF || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			sortEntries(ents)
			return ents, &fs.PathError{Op: "readdir", Path: r.Path(name), Err: err}
		}
	}
	sortEntries(ents)
	return ents, nil
}

// OpenDir opens the directory name below the root, for a caller that reads
// its entries in batches of its own size or reads links relative to it
// (readlinkat), rather than ReadDir's sorted, capped listing. A path that is
// not a directory is an error wrapping ErrNotRegular.
func (r Root) OpenDir(name string) (*os.File, error) {
	return r.open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK, modeDir)
}

// Stat returns the FileInfo of name below the root, following symbolic links
// inside the root. It never opens the file, so it does not block on a FIFO.
func (r Root) Stat(name string) (fs.FileInfo, error) {
	f, err := r.open(name, oPath, modeAny)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: r.Path(name), Err: err}
	}
	return fi, nil
}

// Readlink returns the target of the symbolic link name below the root. The
// directories on the way are resolved inside the root; the link itself is not
// followed.
func (r Root) Readlink(name string) (string, error) {
	dir, base := path.Split(path.Clean("/" + name))
	if base == "" || base == "/" {
		return "", &fs.PathError{Op: "readlink", Path: r.Path(name), Err: syscall.EINVAL}
	}
	d, err := r.open(dir, oPath|unix.O_DIRECTORY, modeAny)
	if err != nil {
		return "", err
	}
	defer d.Close()
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(int(d.Fd()), base, buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: r.Path(name), Err: err}
	}
	return string(buf[:n]), nil
}

// Resolve returns the path name resolves to inside the root, slash-separated
// and absolute as seen from the root, following every symbolic link as the
// host would. The result names the same file only as long as nobody changes
// the tree; use it to show where a link leads, not to open.
func (r Root) Resolve(name string) (string, error) {
	return resolve(r.Dir(), name)
}

// ReadFile reads a file named by the operator (a flag's value, not a path
// below a root), up to limit bytes, refusing anything but a regular file.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, limit)
}

// Open opens a regular file named by the operator without blocking.
func Open(name string) (*os.File, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	if err := checkMode(f, name, modeRegular); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func readAll(f *os.File, limit int64) ([]byte, error) {
	// sysfs and procfs report sizes they do not have (4096, 0), so the size
	// is only a hint for the first allocation.
	hint := int64(512)
	if fi, err := f.Stat(); err == nil {
		if fi.Size() > limit {
			// A file on disk holds what its size says, and pseudo-files
			// report a page (sysfs) or nothing (procfs), below every limit:
			// a size past the limit needs no read to refuse.
			return nil, &fs.PathError{Op: "read", Path: f.Name(), Err: &LimitError{Limit: limit}}
		}
		if fi.Size() > 0 {
			hint = fi.Size() + 1
		}
	}
	b := make([]byte, 0, hint)
	for {
		if int64(len(b)) > limit {
			return nil, &fs.PathError{Op: "read", Path: f.Name(), Err: &LimitError{Limit: limit}}
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		want := cap(b) - len(b)
		if room := limit + 1 - int64(len(b)); int64(want) > room {
			want = int(room)
		}
		n, err := f.Read(b[len(b) : len(b)+want])
		b = b[:len(b)+n]
		if err == io.EOF {
			if int64(len(b)) > limit {
				return nil, &fs.PathError{Op: "read", Path: f.Name(), Err: &LimitError{Limit: limit}}
			}
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

type wantMode int

const (
	modeAny wantMode = iota
	modeRegular
	modeDir
	modeBlock
)

func (w wantMode) String() string {
	switch w {
	case modeRegular:
		return "regular file"
	case modeDir:
		return "directory"
	case modeBlock:
		return "block device"
	}
	return "file"
}

func checkMode(f *os.File, name string, want wantMode) error {
	if want == modeAny {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	m := fi.Mode()
	switch want {
	case modeRegular:
		if !m.IsRegular() {
			return &fs.PathError{Op: "open", Path: name, Err: &TypeError{Mode: m, Want: want.String()}}
		}
	case modeDir:
		if !m.IsDir() {
			return &fs.PathError{Op: "open", Path: name, Err: &TypeError{Mode: m, Want: want.String()}}
		}
	case modeBlock:
		if m&fs.ModeDevice == 0 || m&fs.ModeCharDevice != 0 {
			return &fs.PathError{Op: "open", Path: name, Err: &TypeError{Mode: m, Want: want.String()}}
		}
	}
	return nil
}
