package unitfiles

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"golang.org/x/sys/unix"
)

// Limits on what one List reads. A host has a few thousand unit files and
// links; the limits are far above that and bound memory and time on a
// hostile tree.
const (
	// MaxDirEntries bounds the entries read from one directory.
	MaxDirEntries = 1 << 18
	// MaxEntries bounds the entries read from all directories together.
	MaxEntries = 1 << 21
	// MaxFileSize bounds one unit file or drop-in.
	MaxFileSize = hostfile.LimitConfig
)

// ErrTooMany is wrapped by the problem reported when a directory or the
// whole search path holds more entries than MaxDirEntries or MaxEntries;
// the entries beyond are not read.
var ErrTooMany = errors.New("too many entries")

type kind uint8

const (
	kindNone kind = iota
	kindRegular
	kindLink
	kindDir
	kindOther
)

func kindOf(m fs.FileMode) kind {
	switch {
	case m.IsRegular():
		return kindRegular
	case m&fs.ModeSymlink != 0:
		return kindLink
	case m.IsDir():
		return kindDir
	}
	return kindOther
}

type entry struct {
	kind   kind
	target string // a link's target, as read
}

// dirIndex is what one search path directory holds, read once.
type dirIndex struct {
	Dir
	runtime bool
	entries map[string]entry
	// wants holds the names of the links in its .wants and .requires
	// directories; wantsTmpl the templates of those that are instances.
	wants     map[string]struct{}
	wantsTmpl map[string]struct{}
	// byDest maps the final component of a top-level link's target to the
	// link names pointing there.
	byDest map[string][]string
	// dropIns names the entries ending in ".d" (directories or links).
	dropIns map[string]struct{}
}

// scanner reads directories inside the root, counting entries against
// MaxEntries.
type scanner struct {
	root     hostfile.Root
	total    int
	problems []error
}

func (s *scanner) problem(err error) { s.problems = append(s.problems, err) }

// readDir lists directory p (inside the root) with each entry's type and,
// for links, target. A missing directory, or a path that is not one, is
// empty, as systemd skips it.
func (s *scanner) readDir(p string, links bool, fn func(name string, e entry)) {
	f, err := s.root.OpenDir(p)
	if err != nil {
		if !ignorableDirErr(err) {
			s.problem(err)
		}
		return
	}
	defer f.Close()
	n := 0
	for {
		batch, err := f.ReadDir(1024)
		for _, de := range batch {
			n++
			s.total++
			if n > MaxDirEntries || s.total > MaxEntries {
				s.problem(&fs.PathError{Op: "readdir", Path: s.root.Path(p), Err: ErrTooMany})
				return
			}
			e := entry{kind: kindOf(de.Type())}
			if e.kind == kindLink && links {
				var lerr error // not err: that is the batch's, checked below
				e.target, lerr = readlinkAt(f, de.Name())
				if lerr != nil {
					if !errors.Is(lerr, fs.ErrNotExist) {
						s.problem(&fs.PathError{Op: "readlink", Path: s.root.Path(path.Join(p, de.Name())), Err: lerr})
					}
					continue
				}
			}
			fn(de.Name(), e)
		}
		if err == io.EOF || (err == nil && len(batch) == 0) {
			return
		}
		if err != nil {
			s.problem(&fs.PathError{Op: "readdir", Path: s.root.Path(p), Err: err})
			return
		}
	}
}

// ignorableDirErr reports whether systemd passes over a search path
// directory that fails to open with err.
func ignorableDirErr(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, hostfile.ErrNotRegular)
}

func readlinkAt(dir *os.File, name string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(int(dir.Fd()), name, buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		if len(buf) >= unix.PathMax {
			return "", syscall.ENAMETOOLONG
		}
		buf = make([]byte, 2*len(buf))
	}
}

// index reads directory d once: its entries, the links in its .wants and
// .requires directories, and where its links point.
func (s *scanner) index(d Dir, p *Paths) *dirIndex {
	x := &dirIndex{
		Dir:     d,
		runtime: p.runtime(d.Path),
		entries: map[string]entry{},
	}
	var depDirs []string
	s.readDir(d.Path, true, func(name string, e entry) {
		x.entries[name] = e
		switch e.kind {
		case kindDir:
			if strings.HasSuffix(name, ".wants") || strings.HasSuffix(name, ".requires") {
				depDirs = append(depDirs, name)
			}
		case kindLink:
			if x.byDest == nil {
				x.byDest = map[string][]string{}
			}
			b := linkBase(e.target)
			x.byDest[b] = append(x.byDest[b], name)
		}
		if strings.HasSuffix(name, ".d") && (e.kind == kindDir || e.kind == kindLink) {
			if x.dropIns == nil {
				x.dropIns = map[string]struct{}{}
			}
			x.dropIns[name] = struct{}{}
		}
	})
	for _, dep := range depDirs {
		s.readDir(path.Join(d.Path, dep), false, func(name string, e entry) {
			if e.kind != kindLink {
				return
			}
			if x.wants == nil {
				x.wants, x.wantsTmpl = map[string]struct{}{}, map[string]struct{}{}
			}
			x.wants[name] = struct{}{}
			if t := template(name); t != "" {
				x.wantsTmpl[t] = struct{}{}
			}
		})
	}
	return x
}

// linkBase is the last component of a link target, as systemd's basename()
// takes it (empty after a trailing slash).
func linkBase(target string) string {
	if i := strings.LastIndexByte(target, '/'); i >= 0 {
		return target[i+1:]
	}
	return target
}
