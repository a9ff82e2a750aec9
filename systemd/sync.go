package systemd

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/godbus/dbus/v5"
)

// A sync comes in three steps, each published as soon as it is done, so
// that the first scrape after a start has the units' states at once:
//
//  1. syncStates: the manager's properties, its default target and one
//     ListUnits, which carries every unit's load, active and sub state;
//  2. syncDetail: each unit's other properties (restarts, results,
//     timestamps, ...), read in pipelined batches;
//  3. syncFiles: the unit file list, the slowest call (the manager resolves
//     every file's install state), which never holds the others back.

// fullSync reads everything afresh into a new cache, publishing after each
// step; the unit file list only when withFiles (else the cached one is
// kept).
func (w *Watcher) fullSync(ctx context.Context, c *conn, withFiles bool) error {
	if err := w.syncStates(ctx, c); err != nil {
		return err
	}
	w.publish()
	if err := w.syncDetail(ctx, c); err != nil {
		return err
	}
	if withFiles {
		if !w.c.filesListed {
			// Units in detail before the slow listing.
			w.publish()
		}
		if err := w.syncFiles(ctx, c, w.c); err != nil {
			return err
		}
		if err := w.syncInstanceStates(ctx, c, true); err != nil {
			return err
		}
		w.c.filesListed = true
	}
	if err := w.checkLoadedFiles(ctx, c); err != nil {
		return err
	}
	w.syncedAt = time.Now()
	w.fullSyncs.Add(1)
	w.publish()
	return nil
}

// syncStates replaces the cache with one holding the manager and the units
// with their states only (no detail yet). A unit the old cache had in
// detail keeps it until its own read, so a resync never shows less.
func (w *Watcher) syncStates(ctx context.Context, c *conn) error {
	nc := &cache{units: map[string]*entry{}, files: map[string]UnitFile{}, loading: true}
	if w.c != nil {
		nc.files, nc.fileList, nc.filesErr, nc.filesListed = w.c.files, w.c.fileList, w.c.filesErr, w.c.filesListed
		nc.filesFrom, nc.diskErr = w.c.filesFrom, w.c.diskErr
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
	rows, refused, err := w.listUnits(ctx, c, "ListUnits")
	if err != nil {
		return err
	}
	nc.refused = refused
	for _, r := range rows {
		e := &entry{path: r.Path}
		if old := w.oldEntry(r.Name); old != nil {
			// Read windows are of the session that read it.
			*e = *old
			e.readFrom, e.readTo = 0, 0
		}
		e.unit.Name = r.Name
		e.setRow(r)
		nc.units[r.Name] = e
	}
	w.c = nc
	return nil
}

func (w *Watcher) oldEntry(name string) *entry {
	if w.c == nil {
		return nil
	}
	return w.c.units[name]
}

// setRow sets what a ListUnits row says of the unit.
func (e *entry) setRow(r unitRow) {
	e.unit.Description, e.unit.LoadState, e.unit.ActiveState, e.unit.SubState = r.Description, r.LoadState, r.ActiveState, r.SubState
	e.path = r.Path
}

// syncDetail reads the detail of every unit in the cache, publishing at
// most once a second while it runs.
func (w *Watcher) syncDetail(ctx context.Context, c *conn) error {
	rows := make([]unitRow, 0, len(w.c.units))
	for _, e := range w.c.units {
		rows = append(rows, e.row())
	}
	last := time.Now()
	err := w.fetchUnits(ctx, c, rows, func(entries []*entry) {
		for _, e := range entries {
			w.c.units[e.unit.Name] = e
		}
		if time.Since(last) >= time.Second {
			w.publish()
			last = time.Now()
		}
	})
	if err == nil {
		w.c.loading = false
	}
	return err
}

func (e *entry) row() unitRow {
	return unitRow{Name: e.unit.Name, Description: e.unit.Description, LoadState: e.unit.LoadState,
		ActiveState: e.unit.ActiveState, SubState: e.unit.SubState, Path: e.path}
}

// syncFiles re-reads the unit file list into nc. A failed listing (it can
// be slow: the manager resolves every file's install state) is recorded in
// nc.filesErr and the old list kept, so that it never holds back the
// units; only a lost connection is an error.
func (w *Watcher) syncFiles(ctx context.Context, c *conn, nc *cache) error {
	files, err := w.listUnitFiles(ctx, c, nc)
	if err == nil {
		nc.setFiles(files)
		nc.filesErr = nil
		return nil
	}
	if ctx.Err() != nil || c.c.Context().Err() != nil {
		return err
	}
	nc.filesErr = fmt.Errorf("systemd: listing unit files: %w", err)
	w.filesFailures.Add(1)
	return nil
}

func (w *Watcher) listUnitFiles(ctx context.Context, c *conn, nc *cache) (map[string]UnitFile, error) {
	if !w.opts.UnitFilesFromManager {
		m, err := w.diskUnitFiles(nc.units)
		if err == nil {
			nc.filesFrom, nc.diskErr = FilesFromDisk, ""
			w.filesAt = time.Now()
			return m, nil
		}
		nc.diskErr = err.Error()
	}
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
	nc.filesFrom = FilesFromManager
	w.filesAt = time.Now()
	return m, nil
}

// refresh applies what the signals since the last refresh said. Values a
// signal carried are set as they are, unless they may be older than the
// unit's last read; a unit that is new, gone, or whose signal was not
// enough is read again, after asking the manager whether it is still
// loaded.
func (w *Watcher) refresh(ctx context.Context, c *conn, d drained) (changed bool, err error) {
	if d.gone {
		return false, errManagerGone
	}
	// Failures first: a full sync below would read the units afresh,
	// after systemd has already reset their Result.
	for p, pu := range d.units {
		if len(pu.failures) == 0 && pu.amend == nil {
			continue
		}
		if name, ok := unitNameFromPath(dbus.ObjectPath(p)); ok && utf8.ValidString(name) {
			w.fail.observe(name, pu.failures, pu.extraFailures)
			if pu.amend != nil {
				w.fail.amend(name, *pu.amend)
			}
			changed = true
		}
	}
	if d.full {
		return true, w.fullSync(ctx, c, true)
	}
	var reread []string
	for p, pu := range d.units {
		name, ok := unitNameFromPath(dbus.ObjectPath(p))
		if !ok || !utf8.ValidString(name) {
			// No unit has such a name: D-Bus could not even carry it
			// back in a call.
			w.badSignals.Add(1)
			continue
		}
		e := w.c.units[name]
		if pu.reread || e == nil || !e.detail {
			reread = append(reread, name)
			continue
		}
		// Each interface's values are those of its last signal: newer
		// than the unit's last read if sent after its last reply, older if
		// sent before its first request; in between, which is newer
		// cannot be told.
		var mask valueSet
		ambiguous := false
		for g, seq := range pu.seq {
			switch {
			case pu.v.set&groupBits[g] == 0 || seq <= e.readFrom:
			case seq > e.readTo:
				mask |= groupBits[g]
			default:
				ambiguous = true
			}
		}
		if ambiguous {
			reread = append(reread, name)
		} else if mask != 0 {
			ne := *e
			pu.v.apply(&ne.unit, mask)
			if !sameUnit(ne.unit, e.unit) {
				w.c.units[name] = &ne
				changed = true
			}
		}
	}
	if len(reread) > 0 {
		if err := w.reread(ctx, c, reread); err != nil {
			return true, err
		}
	}
	if d.files {
		if err := w.syncFiles(ctx, c, w.c); err != nil {
			return true, err
		}
	}
	if len(reread) > 0 || d.files {
		return true, w.syncInstanceStates(ctx, c, d.files)
	}
	return changed, nil
}

// refreshManagerAfter re-reads the manager's properties after a refresh
// published the units' changes: under a crash loop the manager is slow to
// answer, and the units need not wait for it. Unit changes move SystemState
// and NJobs, which systemd does not signal. It reports whether anything
// changed.
func (w *Watcher) refreshManagerAfter(ctx context.Context, c *conn, d drained) (bool, error) {
	before := w.c.mgr
	var err error
	switch {
	case d.managerAll:
		err = w.refreshManager(ctx, c)
	case d.manager || len(d.units) > 0:
		err = w.refreshCounters(ctx, c)
	}
	return w.c.mgr != before, err
}

// sameUnit says whether a and b hold the same values, their service and
// timer compared by value.
func sameUnit(a, b Unit) bool {
	as, bs, at, bt := a.Service, b.Service, a.Timer, b.Timer
	a.Service, b.Service, a.Timer, b.Timer = nil, nil, nil, nil
	return a == b && (as == bs || as != nil && bs != nil && *as == *bs) && (at == bt || at != nil && bt != nil && *at == *bt)
}

// reread reads the named units again: those still loaded in full, the
// others out of the cache.
func (w *Watcher) reread(ctx context.Context, c *conn, names []string) error {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	// ListUnitsByPatterns reports only loaded units and, unlike a
	// property read, never loads one: a unit garbage-collected since its
	// signal is dropped, not resurrected. It matches every unit against
	// every pattern, so past a few hundred names one ListUnits filtered
	// here is cheaper for the manager.
	var rows []unitRow
	var err error
	if len(names) > maxPatterns {
		var all []unitRow
		if all, _, err = w.listUnits(ctx, c, "ListUnits"); err == nil {
			for _, r := range all {
				if want[r.Name] {
					rows = append(rows, r)
				}
			}
		}
	} else {
		patterns := make([]string, len(names))
		for i, n := range names {
			patterns[i] = globEscape(n)
		}
		rows, _, err = w.listUnits(ctx, c, "ListUnitsByPatterns", []string{}, patterns)
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		delete(w.c.units, n)
	}
	return w.fetchUnits(ctx, c, rows, func(entries []*entry) {
		for _, e := range entries {
			w.c.units[e.unit.Name] = e
		}
	})
}

// resync repairs what missed signals would have left wrong, at the cost of
// one ListUnits: units whose state differs from the cache, and units that
// appeared, are read again; units gone are dropped.
func (w *Watcher) resync(ctx context.Context, c *conn, withFiles bool) error {
	rows, refused, err := w.listUnits(ctx, c, "ListUnits")
	if err != nil {
		return err
	}
	w.c.refused = refused
	seen := make(map[string]bool, len(rows))
	var reread []string
	for _, r := range rows {
		seen[r.Name] = true
		e := w.c.units[r.Name]
		if e == nil || !e.detail || e.unit.ActiveState != r.ActiveState || e.unit.SubState != r.SubState || e.unit.LoadState != r.LoadState {
			reread = append(reread, r.Name)
		}
	}
	for n := range w.c.units {
		if !seen[n] {
			delete(w.c.units, n)
		}
	}
	if len(reread) > 0 {
		if err := w.reread(ctx, c, reread); err != nil {
			return err
		}
	}
	if withFiles {
		if err := w.syncFiles(ctx, c, w.c); err != nil {
			return err
		}
	}
	if err := w.syncInstanceStates(ctx, c, withFiles); err != nil {
		return err
	}
	w.syncedAt = time.Now()
	w.fullSyncs.Add(1)
	return w.refreshManager(ctx, c)
}

// listUnits calls ListUnits or ListUnitsByPatterns and leaves out, and
// counts, rows no manager sends: a name that is not UTF-8 or is
// longer than systemd's limit (UNIT_NAME_MAX, 256 bytes with its NUL), or
// a path that is not a unit's. Their series could not be told apart, or
// would be as large as the names.
func (w *Watcher) listUnits(ctx context.Context, c *conn, method string, args ...any) (rows []unitRow, refused int, err error) {
	if err := w.callManager(ctx, c, method, &rows, args...); err != nil {
		return nil, 0, err
	}
	rows, refused = validRows(rows)
	return rows, refused, nil
}

// validRows keeps, in place, the rows whose name and path a unit can have.
func validRows(rows []unitRow) (kept []unitRow, refused int) {
	kept = rows[:0]
	for _, r := range rows {
		if len(r.Name) >= unitNameMax || !utf8.ValidString(r.Name) || !isUnitPath([]byte(r.Path)) {
			refused++
			continue
		}
		kept = append(kept, r)
	}
	return kept, refused
}

// unitNameMax is systemd's UNIT_NAME_MAX: a unit name is shorter.
const unitNameMax = 256

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

// counterProps are the manager properties that move with its units.
var counterProps = []string{"SystemState", "NFailedUnits", "NJobs", "NNames"}

// refreshCounters re-reads only the manager properties that move with its
// units, one Get each: GetAll would also build its environment and every
// other setting.
func (w *Watcher) refreshCounters(ctx context.Context, c *conn) error {
	cctx, cancel := w.callCtx(ctx)
	defer cancel()
	p, err := c.getProps(cctx, managerPath, managerIface, counterProps)
	if err != nil {
		return err
	}
	m := w.c.mgr
	m.SystemState, m.NFailedUnits, m.NJobs, m.NNames = p.str("SystemState"), p.u32("NFailedUnits"), p.u32("NJobs"), p.u32("NNames")
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
	w.unitPath = props(mp).strs("UnitPath")
	// When the manager last loaded its unit files (each daemon-reload);
	// systemd older than 254 has only the first load's time.
	w.loadedUSec = cmp.Or(props(mp).u64("UnitsLoadTimestamp"), props(mp).u64("UnitsLoadStartTimestamp"))
	w.scope, w.scopeKnown = scopeFromUnitPath(w.unitPath)
	return m, nil
}

// scopeFromUnitPath tells a system manager from a user manager by the
// directories it loads units from (systemd.unit(5): .../systemd/system*
// against .../systemd/user*): the manager says what it is, whatever
// address it was found at.
func scopeFromUnitPath(dirs []string) (Scope, bool) {
	for _, d := range dirs {
		d = path.Clean(d)
		if path.Base(path.Dir(d)) != "systemd" {
			continue
		}
		switch b := path.Base(d); {
		case b == "user" || strings.HasPrefix(b, "user."):
			return ScopeUser, true
		case b == "system" || strings.HasPrefix(b, "system."):
			return ScopeSystem, true
		}
	}
	return 0, false
}
