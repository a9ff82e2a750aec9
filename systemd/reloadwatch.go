package systemd

import (
	"cmp"
	"context"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// systemd computes a unit's NeedDaemonReload when asked, from its files'
// times, and never signals a change of it. Asking every unit would cost a
// D-Bus call per unit at every sync and refresh, so the watcher looks at
// the disk instead, which costs the manager nothing, and asks only the
// units whose files changed:
//   - after a full sync (at start, after every daemon-reload), the units
//     whose file, drop-ins or drop-in directories changed (their ctime,
//     which no tool can set back) since the manager last loaded its unit
//     files (UnitsLoadTimestamp);
//   - at every ping, the unit directories of the manager's search path and
//     their drop-in directories (*.d): a file written the usual way (a new
//     file renamed over the old, as editors, package managers,
//     configuration tools and systemctl edit do) or a drop-in added or
//     removed changes its directory; the units whose file or drop-ins are
//     there are asked again;
//   - at every resync, every unit's own file and every drop-in file too,
//     which catches a file rewritten in place.

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
	// need holds the units the manager last said need a daemon-reload.
	need map[string]bool
}

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
			rw.drop[d], _ = dropInDirs(root, d)
		}
		for _, dd := range rw.drop[d] {
			stem := strings.TrimSuffix(path.Base(dd), ".d")
			changed := look(dd, rw.dirs)
			if full || changed {
				confs, _, _ := dropIns(root, dd)
				for _, f := range confs {
					if look(f, rw.files) {
						changed = true
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
		files = w.fragments()
	}
	dirs, stems, changed := w.reloads.changes(root, w.unitPath, files, full)
	if len(dirs) == 0 && len(stems) == 0 && len(changed) == 0 {
		return false, nil
	}
	return w.askReload(ctx, c, func(name string, e *entry) bool {
		fp := e.unit.FragmentPath
		if fp != "" && (dirs[path.Dir(fp)] || changed[fp]) {
			return true
		}
		for stem := range stems {
			if dropInStemMatches(stem, name) {
				return true
			}
		}
		return false
	})
}

// checkLoadedFiles follows a full sync: a daemon-reload made every unit
// current, so only the units whose file, drop-in directory or drop-ins
// changed (ctime) since the manager last loaded its unit files are asked.
// It then remembers the disk as it is, for checkReloads.
func (w *Watcher) checkLoadedFiles(ctx context.Context, c *conn) error {
	w.reloads.need = nil
	if len(w.unitPath) == 0 {
		return nil
	}
	root := hostfile.NewRoot(cmp.Or(w.opts.Root, "/"))
	w.reloads.dirs = nil // a first look: remember, report nothing
	w.reloads.changes(root, w.unitPath, w.fragments(), true)
	if w.loadedUSec == 0 {
		return nil // a manager that does not say when it loaded
	}
	loaded := time.UnixMicro(int64(w.loadedUSec))
	after := func(s fileSig) bool { return time.Unix(s.ctime.Unix()).After(loaded) }
	// Drop-in directories that changed, or hold a file that did.
	newer := map[string]bool{}
	for p, s := range w.reloads.dirs {
		newer[p] = newer[p] || after(s)
	}
	for f, s := range w.reloads.files {
		if after(s) {
			newer[path.Dir(f)] = true
		}
	}
	stems := map[string]bool{}
	for _, list := range w.reloads.drop {
		for _, dd := range list {
			if newer[dd] {
				stems[strings.TrimSuffix(path.Base(dd), ".d")] = true
			}
		}
	}
	_, err := w.askReload(ctx, c, func(name string, e *entry) bool {
		if s, ok := w.reloads.files[e.unit.FragmentPath]; ok && after(s) {
			return true
		}
		for stem := range stems {
			if dropInStemMatches(stem, name) {
				return true
			}
		}
		return false
	})
	return err
}

// fragments lists the files the cached units were loaded from.
func (w *Watcher) fragments() []string {
	files := make([]string, 0, len(w.c.units))
	for _, e := range w.c.units {
		if fp := e.unit.FragmentPath; fp != "" {
			files = append(files, fp)
		}
	}
	return files
}

// askReload reads NeedDaemonReload of the units affected says are, one Get
// each, into reloads.need. It reports whether any unit's value changed.
func (w *Watcher) askReload(ctx context.Context, c *conn, affected func(string, *entry) bool) (bool, error) {
	changed := false
	for name, e := range w.c.units {
		if !e.detail || !affected(name, e) {
			continue
		}
		cctx, cancel := w.callCtx(ctx)
		p, err := c.getProps(cctx, e.path, unitIface, []string{"NeedDaemonReload"})
		cancel()
		if err != nil {
			if dbusErrorName(err) != "" {
				continue // this unit's trouble; the others are asked
			}
			return changed, err
		}
		if v := p.bool("NeedDaemonReload"); v != w.reloads.need[name] {
			if w.reloads.need == nil {
				w.reloads.need = map[string]bool{}
			}
			if v {
				w.reloads.need[name] = true
			} else {
				delete(w.reloads.need, name)
			}
			changed = true
		}
	}
	return changed, nil
}
