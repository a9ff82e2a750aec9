package systemd

import (
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// publish builds an immutable snapshot from the cache and makes it current.
func (w *Watcher) publish() {
	s := BuildSnapshot(w.c.input(w.scopeNow(), &w.fail, w.in.Load(), w.reloads.need), w.filter)
	w.gen++
	s.Generation = w.gen
	s.SyncedAt = w.syncedAt
	s.UpdatedAt = time.Now()
	w.snap.Store(s)
	w.held = false
	w.setStatus(nil)
}

// scopeNow is the manager's scope as its unit path says, else the one the
// watcher was asked to watch.
func (w *Watcher) scopeNow() Scope {
	if w.scopeKnown {
		return w.scope
	}
	return w.opts.Scope
}

// touch republishes the current snapshot as confirmed fresh now, without
// rebuilding it.
func (w *Watcher) touch() {
	if old := w.snap.Load(); old != nil {
		s := *old
		s.UpdatedAt = time.Now()
		w.snap.Store(&s)
	}
	w.setStatus(nil)
}

// input is the cache as a SnapshotInput, with each unit's need for a
// daemon-reload (needReload) and each service's failure record (fl, may be
// nil) attached; failures the cache's properties show
// that fl has no record of are recorded there, and told to the inbox (may
// be nil) so that their next signal is not taken for a new failure.
func (c *cache) input(scope Scope, fl *failures, inbox *inbox, needReload map[string]bool) SnapshotInput {
	in := SnapshotInput{
		Now:           dualNow(),
		UnitsRefused:  c.refused,
		DetailLoading: !c.complete(),
		Scope:         scope,
		Manager:       c.mgr,
		DefaultTarget: c.defaultTarget,
		Units:         make([]Unit, 0, len(c.units)),
		After:         make(map[string][]string, len(c.units)),
		Aliases:       map[string]string{},
		UnitFiles:     c.files,
	}
	if c.filesErr != nil {
		in.UnitFilesError = c.filesErr.Error()
	}
	if !c.sameOrder() {
		c.order = slices.Sorted(maps.Keys(c.units))
	}
	var seed map[string]string
	for _, name := range c.order {
		e := c.units[name]
		u := e.unit
		if fl != nil {
			if s := u.Service; s != nil && s.Result != "" && s.Result != "success" {
				if f, ok := failureOf(s.Result, s.ExecMainCode, s.ExecMainStatus, s.NRestarts, time.UnixMicro(int64(u.StateChangeUSec)).UTC()); ok {
					fl.found(name, f)
				}
				if seed == nil {
					seed = map[string]string{}
				}
				seed[string(e.path)] = s.Result
			}
			if r := fl.units[name]; r != nil {
				u.LastFailure, u.FailureCounts = r.last, &r.counts
			}
		}
		u.NeedDaemonReload = needReload[name]
		in.Units = append(in.Units, u)
		in.After[name] = e.after
	}
	if fl != nil {
		if len(seed) > 0 && inbox != nil {
			inbox.knowResults(seed)
		}
		fl.prune(func(n string) bool { _, ok := c.units[n]; return ok })
		in.RecentFailures = fl.latest()
	}
	if c.fileList == nil && len(c.files) > 0 {
		c.fileList = slices.SortedFunc(maps.Values(c.files), byFileName)
	}
	in.fileList = c.fileList
	in.ownUnits = true
	in.UnitFilesFrom, in.UnitFilesDiskError = c.filesFrom, c.diskErr
	// The one alias the analysis follows is default.target's, which
	// GetDefaultTarget resolves: reading every unit's Names for it would
	// cost a property read per unit.
	if t := c.defaultTarget; t != "" && t != "default.target" {
		in.Aliases["default.target"] = t
	}
	return in
}

// sameOrder says whether order still names exactly the cache's units.
func (c *cache) sameOrder() bool {
	if len(c.order) != len(c.units) {
		return false
	}
	for _, n := range c.order {
		if _, ok := c.units[n]; !ok {
			return false
		}
	}
	return true
}

func byUnitName(a, b Unit) int     { return strings.Compare(a.Name, b.Name) }
func byFileName(a, b UnitFile) int { return strings.Compare(a.Name, b.Name) }

// SnapshotInput is what BuildSnapshot derives a snapshot from: the raw
// state read from the manager.
type SnapshotInput struct {
	Scope         Scope   `json:"scope"`
	Manager       Manager `json:"manager"`
	DefaultTarget string  `json:"default_target"`
	Units         []Unit  `json:"units"`
	// After holds each unit's After= list; Aliases maps alias names
	// (other entries of Names) to unit Ids.
	After     map[string][]string `json:"after"`
	Aliases   map[string]string   `json:"aliases"`
	UnitFiles map[string]UnitFile `json:"unit_files"`
	// UnitFilesError says why UnitFiles is stale or empty.
	UnitFilesError string `json:"unit_files_error,omitempty"`
	// UnitFilesFrom and UnitFilesDiskError: see Snapshot.
	UnitFilesFrom      string `json:"unit_files_from,omitempty"`
	UnitFilesDiskError string `json:"unit_files_disk_error,omitempty"`
	// DetailLoading says that some units have only their states yet
	// (their other fields are zero), or the unit files are not listed.
	DetailLoading bool `json:"detail_loading,omitempty"`
	// UnitsRefused counts units the manager listed with a name no unit
	// can have (see Snapshot.UnitsRefused).
	UnitsRefused int `json:"units_refused,omitempty"`
	// Now is the time of the input on both clocks (CLOCK_REALTIME and
	// CLOCK_MONOTONIC µs), which turns monotonic timer triggers into
	// times of day; zero leaves them out.
	Now DualTimestamp `json:"now"`

	// RecentFailures are the host's latest service failures the watcher
	// saw, newest first (see Snapshot.RecentFailures).
	RecentFailures []Failure `json:"recent_failures,omitempty"`

	// fileList, when set, is UnitFiles sorted by name.
	fileList []UnitFile
	// ownUnits says Units was made for this build alone, which may then
	// use it for the snapshot instead of a copy.
	ownUnits bool
}

// DualTimestamp is one moment on the realtime and the monotonic clock.
type DualTimestamp struct {
	RealtimeUSec  uint64 `json:"realtime_usec"`
	MonotonicUSec uint64 `json:"monotonic_usec"`
}

// nextElapse is when a timer next triggers as systemctl list-timers shows
// it (get_next_elapse in systemctl-list-units.c): a monotonic trigger
// turned into a time of day at now, the earlier of it and the calendar one.
func nextElapse(t *Timer, now DualTimestamp) uint64 {
	set := func(u uint64) bool { return u > 0 && u != USecInfinity }
	next := uint64(0)
	if set(t.NextElapseRealtimeUSec) {
		next = t.NextElapseRealtimeUSec
	}
	if set(t.NextElapseMonotonicUSec) && now.RealtimeUSec > 0 {
		var conv uint64
		if t.NextElapseMonotonicUSec > now.MonotonicUSec {
			conv = now.RealtimeUSec + (t.NextElapseMonotonicUSec - now.MonotonicUSec)
		} else {
			conv = now.RealtimeUSec - min(now.RealtimeUSec, now.MonotonicUSec-t.NextElapseMonotonicUSec)
		}
		if next == 0 || conv < next {
			next = conv
		}
	}
	return next
}

// BuildSnapshot derives a snapshot: unit file states joined onto units,
// timeline, blame and critical chain over all units, then the units and unit
// files f keeps, sorted by name, and their summary.
func BuildSnapshot(in SnapshotInput, f Filter) *Snapshot {
	files := make(map[string]string, len(in.UnitFiles))
	for n, uf := range in.UnitFiles {
		files[n] = uf.State
	}
	units := in.Units
	if !in.ownUnits {
		units = make([]Unit, len(in.Units))
	}
	times := make(map[string]UnitTimes, len(in.Units))
	for i, u := range in.Units {
		// systemd reports no unit file state for a unit it loaded from
		// no file (devices, scopes, units that failed to load), even when
		// a broken file of that name is listed.
		if u.FragmentPath == "" {
			u.UnitFileState = ""
		} else if u.UnitFileState == "" {
			u.UnitFileState = UnitFileStateOf(u.Name, files)
		}
		if u.Timer != nil {
			t := *u.Timer // the cache's is shared
			t.NextElapseUSec = nextElapse(&t, in.Now)
			u.Timer = &t
		}
		units[i] = u
		times[u.Name] = u.Times
	}
	// A watcher's input comes sorted.
	if !slices.IsSortedFunc(units, byUnitName) {
		slices.SortFunc(units, byUnitName)
	}

	m := in.Manager
	m.DefaultTarget = in.DefaultTarget
	m.ActiveTargets = ActiveTargets(units)

	alias := func(n string) string { return in.Aliases[n] }
	defID := "default.target"
	if a := alias(defID); a != "" {
		defID = a
	}
	var defEnter uint64
	if i, ok := searchUnits(units, defID); ok {
		defEnter = units[i].Times.ActiveEnterUSec
	} else {
		defID = ""
	}
	tl := NewTimeline(m.BootTimes, in.Scope, defID, defEnter)
	s := &Snapshot{
		// Empty, not null, until boot is finished and every unit read.
		Blame:              []UnitTime{},
		CriticalChain:      []ChainLink{},
		DetailComplete:     !in.DetailLoading,
		UnitsRefused:       in.UnitsRefused,
		RecentFailures:     in.RecentFailures,
		Scope:              in.Scope.String(),
		Manager:            m,
		Timeline:           tl,
		UnitFilesError:     in.UnitFilesError,
		UnitFilesFrom:      in.UnitFilesFrom,
		UnitFilesDiskError: in.UnitFilesDiskError,
	}
	if s.RecentFailures == nil {
		s.RecentFailures = []Failure{}
	}
	// Without every unit's times, blame and the critical chain would be
	// wrong rather than missing.
	if tl.Finished && !in.DetailLoading {
		ut := tl.UnitTimes(times)
		for i := range units {
			units[i].ActivationUSec = ut[units[i].Name].TimeUSec
		}
		if b := Blame(ut); b != nil {
			s.Blame = b
		}
		if c := tl.CriticalChain("default.target", ut, func(n string) []string { return in.After[n] }, alias, 0); c != nil {
			s.CriticalChain = c
			s.CriticalChainTruncated = len(c) >= MaxChainLinks
		}
	}
	// units is this snapshot's own copy: filter it in place.
	kept := units[:0]
	for _, u := range units {
		if f.Match(u.Name) {
			kept = append(kept, u)
		}
	}
	s.Units = kept
	fileList := in.fileList
	if fileList == nil {
		fileList = slices.SortedFunc(maps.Values(in.UnitFiles), byFileName)
	}
	s.UnitFiles = make([]UnitFile, 0, len(fileList))
	for _, uf := range fileList {
		if f.Match(uf.Name) {
			s.UnitFiles = append(s.UnitFiles, uf)
		}
	}
	s.Summary = Summarize(s.Units)
	return s
}

// dualNow reads both clocks.
func dualNow() DualTimestamp {
	var rt, mt unix.Timespec
	if unix.ClockGettime(unix.CLOCK_REALTIME, &rt) != nil || unix.ClockGettime(unix.CLOCK_MONOTONIC, &mt) != nil {
		return DualTimestamp{}
	}
	return DualTimestamp{RealtimeUSec: uint64(rt.Nano() / 1000), MonotonicUSec: uint64(mt.Nano() / 1000)}
}
