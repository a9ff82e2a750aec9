package testutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

// TreeState lists everything below dir (dir included) with its type, size,
// modification time and inode: what a command that must change nothing
// must leave alone, so that two calls compare equal only if nothing was
// created, deleted, renamed or written. A missing dir is "absent".
func TreeState(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			out = append(out, "absent")
			return nil
		}
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		var ino uint64
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			ino = uint64(st.Ino)
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, fmt.Sprintf("%s %v size=%d mtime=%d ino=%d", rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), ino))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}
