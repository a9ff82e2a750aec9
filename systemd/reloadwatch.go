package systemd

import (
	"cmp"
	"context"
	"path"
	"strings"
	"syscall"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// systemd computes a unit's NeedDaemonReload when asked, from its files'
// times, and never signals a change of it. Asking every unit on every
// refresh would cost a D-Bus call per unit, so the watcher looks at the
// disk instead, which costs the manager nothing:
//   - at every ping, the unit directories of the manager's search path and
//     their drop-in directories (*.d): a file written the usual way (a new
//     file renamed over the old, as editors, package managers,
//     configuration tools and systemctl edit do) or a drop-in added or
//     removed changes its directory; the units whose file or drop-ins are
//     there are then asked again;
//   - at every resync, every unit's own file and every drop-in file too,
//     which catches a file rewritten in place.
//
// A daemon-reload is followed by a full sync, which reads NeedDaemonReload
// of every unit afresh.

// fileSig is what a stat tells of a file or directory: enough to see that
// it changed.
type fileSig struct {
	mtime, ctime syscall.Timespec
	size         int64
	ino          uint64
}

func sigOf(root hostfile.Root, p string) (fileSig, bool) {
	fi, err := root.Stat(p)
	if err != nil {
		return fileSig{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileSig{size: fi.Size()}, true
	}
	return fileSig{mtime: st.Mtim, ctime: st.Ctim, size: st.Size, ino: st.Ino}, true
}

// reloadWatch remembers the signatures of the unit directories, their
// drop-in directories and the files in both that units were loaded from.
type reloadWatch struct {
	dirs  map[string]fileSig  // unit and drop-in directories
	files map[string]fileSig  // units' files and drop-in files
	drop  map[string][]string // each unit directory's drop-in directories
}

// maxDropInFiles bounds the files looked at in one drop-in directory.
const maxDropInFiles = 256

// changes compares the disk with the last look and returns the unit
// directories and the drop-in directories (their names without ".d") in
// which something changed. full also compares every unit's own file
// (files). The first look only remembers.
func (rw *reloadWatch) changes(root hostfile.Root, unitDirs []string, files []string, full bool) (dirs map[string]bool, stems map[string]bool, changedFiles map[string]bool) {
	first := rw.dirs == nil
	if first {
		rw.dirs, rw.files, rw.drop = map[string]fileSig{}, map[string]fileSig{}, map[string][]string{}
	}
	dirs, stems, changedFiles = map[string]bool{}, map[string]bool{}, map[string]bool{}
	seen := make(map[string]bool, len(rw.dirs))
	look := func(p string, into map[string]fileSig) bool {
		seen[p] = true
		sig, ok := sigOf(root, p)
		old, had := into[p]
		if !ok {
			delete(into, p)
			return had
		}
		into[p] = sig
		return !had || old != sig
	}
	for _, d := range unitDirs {
		d = path.Clean(d)
		changed := look(d, rw.dirs)
		if changed && !first {
			dirs[d] = true
		}
		if changed || first || full {
			rw.drop[d] = nil
			if ents, err := root.ReadDir(d); err == nil {
				for _, e := range ents {
					if strings.HasSuffix(e.Name(), ".d") && e.IsDir() {
						rw.drop[d] = append(rw.drop[d], path.Join(d, e.Name()))
					}
				}
			}
		}
		for _, dd := range rw.drop[d] {
			stem := strings.TrimSuffix(path.Base(dd), ".d")
			changed := look(dd, rw.dirs)
			if full || changed {
				if ents, err := root.ReadDir(dd); err == nil {
					for i, e := range ents {
						if i == maxDropInFiles {
							break
						}
						if strings.HasSuffix(e.Name(), ".conf") && look(path.Join(dd, e.Name()), rw.files) {
							changed = true
						}
					}
				}
			}
			if changed && !first {
				stems[stem] = true
			}
		}
	}
	if full || first {
		for _, f := range files {
			if look(f, rw.files) && !first {
				changedFiles[f] = true
			}
		}
	}
	// Forget what is gone, so that its return counts as a change.
	for p := range rw.dirs {
		if !seen[p] {
			delete(rw.dirs, p)
		}
	}
	if full || first {
		for p := range rw.files {
			if !seen[p] {
				delete(rw.files, p)
			}
		}
	}
	return dirs, stems, changedFiles
}

// dropInStemMatches says whether a drop-in directory named stem+".d"
// applies to the unit name, as systemd's unit_find_dropin_paths looks
// them up: the unit's own name, its template's (foo@.service for
// foo@bar.service), each dash-truncated prefix (foo-.service.d for
// foo-bar.service) and the type alone (service.d).
func dropInStemMatches(stem, name string) bool {
	if stem == name {
		return true
	}
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return false
	}
	prefix, typ := name[:dot], name[dot+1:]
	if stem == typ {
		return true
	}
	if at := strings.IndexByte(prefix, '@'); at >= 0 && stem == prefix[:at+1]+"."+typ {
		return true
	}
	if p, ok := strings.CutSuffix(stem, "-."+typ); ok {
		return strings.HasPrefix(prefix, p+"-")
	}
	return false
}

// checkReloads looks at the disk and asks the manager again for the
// NeedDaemonReload of the units whose files may have changed. It reports
// whether any unit's value changed.
func (w *Watcher) checkReloads(ctx context.Context, c *conn, full bool) (bool, error) {
	if len(w.unitPath) == 0 {
		return false, nil
	}
	root := hostfile.NewRoot(cmp.Or(w.opts.Root, "/"))
	var files []string
	if full || w.reloads.dirs == nil {
		files = make([]string, 0, len(w.c.units))
		for _, e := range w.c.units {
			if fp := e.unit.FragmentPath; fp != "" {
				files = append(files, fp)
			}
		}
	}
	dirs, stems, changed := w.reloads.changes(root, w.unitPath, files, full)
	if len(dirs) == 0 && len(stems) == 0 && len(changed) == 0 {
		return false, nil
	}
	any := false
	for name, e := range w.c.units {
		fp := e.unit.FragmentPath
		affected := fp != "" && (dirs[path.Dir(fp)] || changed[fp])
		for stem := range stems {
			affected = affected || dropInStemMatches(stem, name)
		}
		if !affected || !e.detail {
			continue
		}
		p, err := c.getProps(ctx, e.path, unitIface, []string{"NeedDaemonReload"})
		if err != nil {
			if dbusErrorName(err) != "" {
				continue // this unit's trouble; the others are asked
			}
			return any, err
		}
		if v := p.bool("NeedDaemonReload"); v != e.unit.NeedDaemonReload {
			ne := *e
			ne.unit.NeedDaemonReload = v
			w.c.units[name] = &ne
			any = true
		}
	}
	return any, nil
}
