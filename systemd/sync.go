package systemd

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"
)

// fullSync rebuilds the cache from scratch; the unit file list only when
// withFiles (else the cached one is kept).
func (w *Watcher) fullSync(ctx context.Context, c *conn, withFiles bool) error {
	nc := &cache{units: map[string]*entry{}, files: map[string]UnitFile{}}
	if w.c != nil {
		nc.files, nc.filesErr = w.c.files, w.c.filesErr
	}
	var err error
	if nc.mgr, err = w.readManager(ctx, c); err != nil {
		return err
	}
	// A manager without a default target answers with an error; that is
	// a fact to report, not a failure.
	err = w.callManager(ctx, c, "GetDefaultTarget", &nc.defaultTarget)
	if err != nil && dbusErrorName(err) == "" {
		return err
	}
	var rows []unitRow
	if err := w.callManager(ctx, c, "ListUnits", &rows); err != nil {
		return err
	}
	entries, err := w.fetchUnits(ctx, c, rows)
	if err != nil {
		return err
	}
	if withFiles {
		if err := w.syncFiles(ctx, c, nc); err != nil {
			return err
		}
	}
	for _, e := range entries {
		nc.units[e.unit.Name] = e
	}
	w.c = nc
	w.syncedAt = time.Now()
	w.fullSyncs.Add(1)
	return nil
}

// syncFiles re-reads the unit file list into nc. A failed listing (it can
// be slow: the manager resolves every file's install state) is recorded in
// nc.filesErr and the old list kept, so that it never holds back the
// units; only a lost connection is an error.
func (w *Watcher) syncFiles(ctx context.Context, c *conn, nc *cache) error {
	files, err := w.listUnitFiles(ctx, c)
	if err == nil {
		nc.files, nc.filesErr = files, nil
		return nil
	}
	if ctx.Err() != nil || c.c.Context().Err() != nil {
		return err
	}
	nc.filesErr = fmt.Errorf("systemd: listing unit files: %w", err)
	w.filesFailures.Add(1)
	return nil
}

func (w *Watcher) listUnitFiles(ctx context.Context, c *conn) (map[string]UnitFile, error) {
	var files []fileRow
	cctx, cancel := context.WithTimeout(ctx, w.opts.UnitFilesTimeout)
	err := c.manager(cctx, "ListUnitFiles", &files)
	cancel()
	if err != nil {
		return nil, err
	}
	m := make(map[string]UnitFile, len(files))
	for _, f := range files {
		name := path.Base(f.Path)
		m[name] = UnitFile{Name: name, Path: f.Path, State: f.State}
	}
	w.filesAt = time.Now()
	return m, nil
}

// refresh applies what signals reported: it re-reads only the units named
// (those still loaded), the manager's properties and, when they changed,
// the unit files.
func (w *Watcher) refresh(ctx context.Context, c *conn, d *dirty) error {
	if d.full {
		return w.fullSync(ctx, c, true)
	}
	if len(d.units) > 0 {
		names := make([]string, 0, len(d.units))
		for n := range d.units {
			names = append(names, n)
		}
		// ListUnitsByPatterns reports only loaded units and, unlike a
		// property read, never loads one: a unit garbage-collected since
		// its signal is dropped, not resurrected. It matches every unit
		// against every pattern, so past a few hundred names one
		// ListUnits filtered here is cheaper for the manager.
		var rows []unitRow
		var err error
		if len(names) > maxPatterns {
			var all []unitRow
			if err = w.callManager(ctx, c, "ListUnits", &all); err == nil {
				for _, r := range all {
					if d.units[r.Name] {
						rows = append(rows, r)
					}
				}
			}
		} else {
			patterns := make([]string, len(names))
			for i, n := range names {
				patterns[i] = globEscape(n)
			}
			err = w.callManager(ctx, c, "ListUnitsByPatterns", &rows, []string{}, patterns)
		}
		if err != nil {
			return err
		}
		entries, err := w.fetchUnits(ctx, c, rows)
		if err != nil {
			return err
		}
		for _, n := range names {
			delete(w.c.units, n)
		}
		for _, e := range entries {
			w.c.units[e.unit.Name] = e
		}
	}
	if d.files {
		if err := w.syncFiles(ctx, c, w.c); err != nil {
			return err
		}
	}
	// Unit changes move SystemState, NFailedUnits and NJobs, which
	// systemd does not signal: re-read the manager on every refresh.
	return w.refreshManager(ctx, c)
}

// maxPatterns is the most unit names refresh looks up by pattern.
const maxPatterns = 256

// globEscape makes a unit name match itself as a pattern for
// ListUnitsByPatterns, which calls fnmatch(3) with FNM_NOESCAPE: a backslash
// (common in escaped names, "\x2d") is literal there, so the glob
// characters are quoted with brackets instead.
func globEscape(name string) string {
	if !strings.ContainsAny(name, "*?[") {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// refreshManager re-reads the manager's own properties into the cache; on
// failure the cache keeps the last ones.
func (w *Watcher) refreshManager(ctx context.Context, c *conn) error {
	m, err := w.readManager(ctx, c)
	if err != nil {
		return err
	}
	w.c.mgr = m
	return nil
}

// readManager reads the manager's own properties within one call timeout.
func (w *Watcher) readManager(ctx context.Context, c *conn) (Manager, error) {
	cctx, cancel := w.callCtx(ctx)
	defer cancel()
	mp, err := c.getAll(cctx, managerPath, managerIface)
	if err != nil {
		return Manager{}, err
	}
	m, _ := managerFromProps(mp)
	return m, nil
}
