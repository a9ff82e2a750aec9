package grub

import (
	"errors"
	"io/fs"
	"sync"
	"syscall"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Seen records the identity of every file and directory an FS looked at
// (see FS.WithSeen): the files it read, those it only checked for, the
// directories it listed, and the paths it found missing. As long as
// Unchanged reports true, reading them again gives the same configuration,
// so the caller can keep the one it has instead of evaluating grub.cfg
// again.
//
// A file's identity is its device, inode, type, size, modification and
// change times (nanoseconds), taken before it is read: a write while it is
// read changes them, and shows next time. A directory's times change when
// an entry is added, removed or renamed. A rename over a file gives another
// inode; a write that keeps the size and sets the modification time back
// still changes the change time, which no one can set.
type Seen struct {
	mu    sync.Mutex
	ids   map[seenKey]fileID
	order []seenKey
}

type seenKey struct {
	root hostfile.Root
	rel  string
}

// fileID is what a path was when it was looked at: err is the error
// looking at it gave ("" when it existed).
type fileID struct {
	err          string
	mode         fs.FileMode
	size         int64
	dev, ino     uint64
	mtime, ctime int64
}

func identify(fi fs.FileInfo, err error) fileID {
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fileID{err: "not exist"}
		}
		return fileID{err: err.Error()}
	}
	id := fileID{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), st.Ino
		id.ctime = st.Ctim.Sec*1e9 + st.Ctim.Nsec
	}
	return id
}

// record looks at rel inside root and, on a non-nil s, records what it is
// the first time it is looked at in this run.
func (s *Seen) record(root hostfile.Root, rel string) (fs.FileInfo, error) {
	fi, err := root.Stat(rel)
	if s == nil {
		return fi, err
	}
	k := seenKey{root, rel}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[seenKey]fileID{}
	}
	if _, ok := s.ids[k]; !ok {
		s.ids[k] = identify(fi, err)
		s.order = append(s.order, k)
	}
	return fi, err
}

// Len returns how many paths were recorded.
func (s *Seen) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order)
}

// Unchanged reports whether every recorded path is still what it was. It
// only looks (one stat each, never a read), in the order they were
// recorded, and stops at the first change; no lock is held while it looks.
// A Seen that recorded nothing is never unchanged.
func (s *Seen) Unchanged() bool {
	s.mu.Lock()
	keys := append([]seenKey(nil), s.order...)
	ids := make([]fileID, len(keys))
	for i, k := range keys {
		ids[i] = s.ids[k]
	}
	s.mu.Unlock()
	if len(keys) == 0 {
		return false
	}
	for i, k := range keys {
		if identify(k.root.Stat(k.rel)) != ids[i] {
			return false
		}
	}
	return true
}
