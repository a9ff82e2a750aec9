package hostfile

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noOpenat2 is set once openat2 has been found missing (ENOSYS) or refused
// by a seccomp filter (EPERM), so later opens go straight to the walk.
var noOpenat2 atomic.Bool

// openat2Seen is set once an openat2 has succeeded: no seccomp filter
// refuses it, so a later EPERM is about one file and needs no probe.
var openat2Seen atomic.Bool

// oPath opens a file only to name it: no read, no blocking, no side effect.
const oPath = unix.O_PATH

// open opens name below r with flags, resolving it inside the root with
// openat2's RESOLVE_IN_ROOT, or with a component-wise walk where the kernel
// lacks it, and checks the file's type.
func (r Root) open(name string, flags int, want wantMode) (*os.File, error) {
	full := r.Path(name)
	rel := "/" + strings.TrimLeft(name, "/")
	flags |= unix.O_CLOEXEC
	if !noOpenat2.Load() {
		f, err := r.openat2(rel, flags)
		switch {
		case err == nil:
			openat2Seen.Store(true)
			if err := checkMode(f, full, want); err != nil {
				f.Close()
				return nil, err
			}
			return f, nil
		case errors.Is(err, unix.EPERM) && (openat2Seen.Load() || r.openat2Works()):
			// The file itself is refused: a device the device cgroup
			// or a security module denies this process.
			return nil, &fs.PathError{Op: "open", Path: full, Err: err}
		case errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM):
			noOpenat2.Store(true)
		case errors.Is(err, unix.ENXIO) && want != modeAny:
			// A socket: say what it is rather than "no such device".
			if f, serr := r.openat2(rel, oPath); serr == nil {
				defer f.Close()
				if cerr := checkMode(f, full, want); cerr != nil {
					return nil, cerr
				}
			}
			return nil, &fs.PathError{Op: "open", Path: full, Err: err}
		default:
			return nil, &fs.PathError{Op: "open", Path: full, Err: err}
		}
	}
	return r.openWalk(rel, flags, want)
}

// openat2Works tells a seccomp filter that refuses openat2 (EPERM for
// every call) from an EPERM about one file, by opening the root itself.
func (r Root) openat2Works() bool {
	f, err := r.openat2("/", oPath)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

func (r Root) openat2(rel string, flags int) (*os.File, error) {
	dir, err := unix.Open(r.Dir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	how := &unix.OpenHow{
		Flags:   uint64(flags),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 8 {
		fd, err := unix.Openat2(dir, "."+rel, how)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue // a rename raced the lookup; the kernel asks to retry
		}
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), r.Path(rel)), nil
	}
	return nil, unix.EAGAIN
}
