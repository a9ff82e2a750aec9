package hostfile

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxLinks is how many symbolic links one resolution follows, as Linux's
// MAXSYMLINKS.
const maxLinks = 40

// resolve walks name component by component below root, the way the kernel
// resolves a path for a process chrooted at root: an absolute link target
// starts again at root and ".." never leaves it. It returns the resolved
// path, absolute as seen from root. This is the fallback for kernels without
// openat2 (before 5.6) or where a seccomp filter refuses it; it cannot stop a
// concurrent rename from moving a checked directory, which openat2 can.
func resolve(root, name string) (string, error) {
	var done []string
	todo := splitPath(name)
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cand := append(slices.Clone(done), c)
		full := filepath.Join(root, filepath.FromSlash(strings.Join(cand, "/")))
		fi, err := os.Lstat(full)
		if err != nil {
			return "", &fs.PathError{Op: "open", Path: NewRoot(root).Path(name), Err: underlying(err)}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = cand
			continue
		}
		links++
		if links > maxLinks {
			return "", &fs.PathError{Op: "open", Path: NewRoot(root).Path(name), Err: syscall.ELOOP}
		}
		t, err := os.Readlink(full)
		if err != nil {
			return "", &fs.PathError{Op: "open", Path: full, Err: underlying(err)}
		}
		if path.IsAbs(t) {
			done = nil
		}
		todo = append(splitPath(t), todo...)
	}
	return "/" + strings.Join(done, "/"), nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func underlying(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

func sortEntries(ents []os.DirEntry) {
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
}

// openWalk opens rel after resolving it with resolve.
func (r Root) openWalk(rel string, flags int, want wantMode) (*os.File, error) {
	full := r.Path(rel)
	res, err := resolve(r.Dir(), rel)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Open(filepath.Join(r.Dir(), filepath.FromSlash(res)), flags|unix.O_NOFOLLOW, 0)
	if err == unix.ENXIO && want != modeAny {
		if fi, serr := os.Lstat(filepath.Join(r.Dir(), filepath.FromSlash(res))); serr == nil {
			return nil, &fs.PathError{Op: "open", Path: full, Err: &TypeError{Mode: fi.Mode(), Want: want.String()}}
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: full, Err: err}
	}
	f := os.NewFile(uintptr(fd), full)
	if err := checkMode(f, full, want); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
