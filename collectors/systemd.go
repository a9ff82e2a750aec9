package collectors

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/bootinfo/bootinfo/systemd/unitfiles"
	"github.com/bootinfo/bootinfo/sysv"
	"github.com/prometheus/client_golang/prometheus"
)

// SystemdConfig holds the systemd collector's options.
type SystemdConfig struct {
	// User watches the calling user's manager instead of the system's.
	User bool
	// Address is an explicit D-Bus address; Bus says it is a message bus
	// rather than the manager's private socket.
	Address string
	Bus     bool
	// Timeout bounds every D-Bus call.
	Timeout time.Duration
	// CallRate is the most unit property reads sent to the manager in
	// any second (systemd.Options.CallRate; 0: its default).
	CallRate int
	// Include and Exclude filter units by name (anchored regexes).
	Include, Exclude string
	// UnitFilesFromManager lists unit files with the manager's
	// ListUnitFiles rather than from the disk below Paths.RootFS.
	UnitFilesFromManager bool
	// Source is where the section comes from: SourceManager,
	// SourceFiles, or "auto" (also ""): see systemdCollector.source.
	Source string
}

// Where the systemd section comes from (SystemdSection.Source).
const (
	SourceManager = "manager"
	SourceFiles   = "files"
)

// SystemdSection is the JSON section "systemd".
type SystemdSection struct {
	*systemd.Snapshot
	FailedUnits []string `json:"failed_units"`
	// Source is "manager" (over D-Bus) or "files" (the unit files below
	// the root, with no manager: FilesReason says why).
	Source      string `json:"source"`
	FilesReason string `json:"files_reason,omitempty"`
	// The files view's own fields (systemd.FilesView).
	DefaultTarget string              `json:"default_target,omitempty"`
	DropIns       map[string][]string `json:"drop_ins,omitempty"`
	LeftOut       map[string]int      `json:"left_out,omitempty"`
	Problems      []string            `json:"problems,omitempty"`
	// SysV lists the root's SysV init scripts with their LSB headers and
	// rc links, and Runlevel is init's from /run/utmp (files view only).
	SysV     []sysv.Service `json:"sysv,omitempty"`
	Runlevel *Runlevel      `json:"runlevel,omitempty"`
}

// Runlevel is the runlevel init last recorded in /run/utmp, and the one
// before it ("N" for none), as runlevel(8) prints them.
type Runlevel struct {
	Current  string `json:"current"`
	Previous string `json:"previous"`
}

var (
	// systemd's ActiveState values (unit_active_state_table): a unit
	// reloading, or in maintenance (cleaning), is in none of the first five.
	// In the exposition's order, so that the text writer finds each
	// unit's samples sorted.
	unitActiveStates = []string{"activating", "active", "deactivating", "failed", "inactive", "maintenance", "reloading"}
	systemStates     = []string{"initializing", "starting", "running", "degraded", "maintenance", "stopping"}
)

type systemdCollector struct {
	opts   systemd.Options
	logger *slog.Logger

	// source is SystemdConfig.Source; root the root filesystem the files
	// view reads, and booted whether it booted with systemd (sd_booted:
	// it has /run/systemd/system), asked once.
	source    string
	addressed bool // SystemdConfig.Address was given
	root      string
	bootedErr error
	files     snapshotCache

	mu       sync.Mutex
	watcher  *systemd.Watcher
	running  bool
	lastSnap *systemd.Snapshot
	lastOut  *Snapshot

	// tw is the text writer, kept from one encoding to the next.
	twMu sync.Mutex
	tw   *textWriter

	info, unitState, restarts, systemState, failed, jobs, phase, activation, fileState, loadError, target, timerLast, timerNext, finished, detail, detailError, lastFailure, failures, needReload, sourceDesc, sysvEnabled *prometheus.Desc
}

// NewSystemdCollector reports the service manager: boot timeline, system
// state and every unit, from a cache kept current by systemd's signals.
func NewSystemdCollector(cfg Config) (Collector, error) {
	sc := cfg.Systemd
	if _, err := systemd.NewFilter(sc.Include, sc.Exclude); err != nil {
		return nil, err
	}
	opts := systemd.Options{Address: sc.Address, Bus: sc.Bus, Timeout: sc.Timeout, CallRate: sc.CallRate,
		Include: sc.Include, Exclude: sc.Exclude, Root: cfg.Paths.RootFS, UnitFilesFromManager: sc.UnitFilesFromManager}
	if sc.User {
		opts.Scope = systemd.ScopeUser
	}
	root := cfg.Paths.RootFS
	if root == "" {
		root = "/"
	}
	return &systemdCollector{
		opts:        opts,
		logger:      cfg.Logger,
		source:      sc.Source,
		addressed:   sc.Address != "",
		root:        root,
		bootedErr:   sdBooted(root),
		files:       snapshotCache{refresh: time.Minute},
		sysvEnabled: desc("sysv_service_enabled", "Whether a SysV init script starts in a runlevel (1: a start link in /etc/rcN.d) or is stopped there (0: a kill link); runlevels with neither have no series. Only when the section comes from the files.", "name", "runlevel"),
		sourceDesc:  desc("systemd_source", "Where the systemd section comes from, as a state set: manager (over D-Bus) or files (the unit files on disk, with no manager; see the JSON section's files_reason).", "source"),
		info:        desc("systemd_info", "The service manager: version, virtualization, architecture and default target; value 1.", "version", "virtualization", "architecture", "default_target"),
		unitState:   desc("systemd_unit_state", "A unit's active state as a state set: 1 for the state it is in, 0 for the others.", "name", "state"),
		restarts:    desc("systemd_unit_restarts_total", "Times the manager restarted a service (NRestarts).", "name"),
		systemState: desc("systemd_system_state", "The manager's SystemState as a state set.", "state"),
		failed:      desc("systemd_failed_units", "Units in the failed state (NFailedUnits)."),
		jobs:        desc("systemd_queued_jobs", "Jobs queued in the manager (NJobs)."),
		phase:       desc("boot_phase_seconds", "Time the boot spent in each phase, as systemd-analyze time computes it (phases this boot did not have are absent).", "phase"),
		activation:  desc("systemd_unit_activation_seconds", "Time a unit took to start during boot, as systemd-analyze blame computes it.", "name"),
		fileState:   desc("systemd_unit_file_state", "An installed unit file's state (enabled, disabled, static, masked, ...); value 1.", "name", "state"),
		loadError:   desc("systemd_unit_load_error", "A unit that failed to load (not-found, bad-setting, error); value 1.", "name", "load_state"),
		target:      desc("systemd_target_active", "Whether a well-known boot target (the runlevel of old) is active.", "target"),
		timerLast:   desc("systemd_timer_last_trigger_seconds", "When a timer last triggered, in seconds since the Unix epoch.", "name"),
		timerNext:   desc("systemd_timer_next_trigger_seconds", "When a timer next triggers, in seconds since the Unix epoch, as systemctl list-timers shows it (the earlier of its calendar and monotonic triggers).", "name"),
		finished:    desc("systemd_boot_finished", "Whether the manager finished starting up (1) or boot is still in progress (0)."),
		detailError: desc("systemd_unit_detail_error", "A unit whose properties the manager would not give (access denied, no reply): value 1, and its other series are missing or zero.", "name"),
		lastFailure: desc("systemd_unit_last_failure_timestamp_seconds", "When a service last ended in a result other than success, in seconds since the Unix epoch; kept across the automatic restarts that reset systemd's own Result (the JSON unit's last_failure says how it ended).", "name"),
		failures:    desc("systemd_unit_failures_total", "Runs of a service that ended in a result other than success (exit-code, signal, core-dump, timeout, watchdog, start-limit-hit, oom-kill, ...), as the agent saw them since it started.", "name", "result"),
		needReload:  desc("systemd_unit_needs_daemon_reload", "A unit whose file or drop-ins changed on disk since the manager loaded them (NeedDaemonReload): what runs is not what the files say until a daemon-reload; value 1, absent otherwise.", "name"),
		detail:      desc("systemd_detail_complete", "Whether every unit's detail (restarts, results, times, unit file state) is loaded (1), or only the units' states so far (0), just after connecting."),
	}, nil
}

func (c *systemdCollector) newWatcher() *systemd.Watcher {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watcher == nil {
		c.watcher = systemd.New(c.opts)
	}
	return c.watcher
}

// Run keeps one connection and the cache current until ctx ends.
func (c *systemdCollector) Run(ctx context.Context) {
	if c.filesOnly() != "" {
		return // no manager to watch
	}
	w := c.newWatcher()
	c.mu.Lock()
	c.running = true
	c.mu.Unlock()
	go func() {
		if err := w.Run(ctx); err != nil && ctx.Err() == nil {
			c.logger.Error("systemd watcher stopped", "err", err)
		}
	}()
}

// Collect reads the cache: no D-Bus call in serve. Outside serve it runs
// the watcher until its first full sync, within ctx's deadline.
func (c *systemdCollector) Collect(ctx context.Context) (*Snapshot, error) {
	if why := c.filesOnly(); why != "" {
		return c.fromFiles(why)
	}
	w, stop, err := c.ready(ctx, detailed(ctx))
	defer stop()
	if err == nil {
		var snap *systemd.Snapshot
		if snap, err = w.Snapshot(); err == nil {
			return c.fromSnapshot(snap), nil
		}
	}
	// A manager that answered once and is gone now is a failure to
	// report; one that never answered, when not asked for by address or
	// flag, leaves the disk.
	if c.source == SourceManager || c.addressed || w.Stats().Sessions > 0 || errors.Is(err, systemd.ErrNotSynced) {
		return nil, err
	}
	return c.fromFiles("no manager answered: " + err.Error())
}

// filesOnly says why the section must come from the files without asking
// a manager, "" when a manager is to be asked.
func (c *systemdCollector) filesOnly() string {
	switch {
	case c.source == SourceFiles:
		return "--collector.systemd.source=files"
	case c.source == SourceManager || c.addressed || c.opts.Scope == systemd.ScopeUser:
		return ""
	case c.bootedErr != nil:
		return c.bootedErr.Error()
	}
	return ""
}

// sdBooted returns why root did not boot with systemd, as sd_booted(3)
// tells: systemd creates /run/systemd/system early at boot. nil when it
// did. Another system's root mounted for repair has an empty /run.
func sdBooted(root string) error {
	fi, err := hostfile.NewRoot(root).Stat("run/systemd/system")
	if err == nil && fi.IsDir() {
		return nil
	}
	return fmt.Errorf("%s did not boot with systemd (no %s)", root, hostfile.NewRoot(root).Path("run/systemd/system"))
}

// fromFiles builds the section from the unit files below the root, read
// at most once a minute.
func (c *systemdCollector) fromFiles(why string) (*Snapshot, error) {
	snap, err := c.files.get(func() (*Snapshot, error) {
		v := systemd.ReadFiles(c.root, unitfiles.SystemPaths(), unitfiles.SystemPresetDirs)
		sec := &SystemdSection{
			Snapshot: &systemd.Snapshot{Scope: systemd.ScopeSystem.String(), Units: []systemd.Unit{}, UnitFiles: v.UnitFiles,
				Blame: []systemd.UnitTime{}, CriticalChain: []systemd.ChainLink{}, RecentFailures: []systemd.Failure{}},
			FailedUnits:   []string{},
			Source:        SourceFiles,
			DefaultTarget: v.DefaultTarget,
			DropIns:       v.DropIns,
			LeftOut:       v.LeftOut,
			Problems:      v.Problems,
		}
		services, problems := sysv.List(c.root)
		for _, p := range problems {
			sec.Problems = append(sec.Problems, p.Error())
		}
		sec.SysV = services
		if cur, prev, ok, err := sysv.Runlevel(c.root); ok {
			sec.Runlevel = &Runlevel{Current: cur, Previous: prev}
		} else if err != nil && !errors.Is(err, iofs.ErrNotExist) {
			sec.Problems = append(sec.Problems, err.Error())
		}
		sec.Snapshot.Manager.DefaultTarget = v.DefaultTarget
		sec.Snapshot.SyncedAt = time.Now()
		sec.Snapshot.UpdatedAt = sec.Snapshot.SyncedAt
		var ms []prometheus.Metric
		ms = append(ms, gauge(c.sourceDesc, 0, SourceManager), gauge(c.sourceDesc, 1, SourceFiles))
		for _, f := range v.UnitFiles {
			ms = append(ms, gauge(c.fileState, 1, f.Name, f.State))
		}
		// A script is enabled in a runlevel with a start link there,
		// disabled with a kill link; runlevels without either have no
		// series.
		for _, sv := range services {
			seen := map[string]bool{}
			for _, l := range sv.Links {
				if !seen[l.Runlevel] {
					seen[l.Runlevel] = true
					ms = append(ms, gauge(c.sysvEnabled, boolFloat(sv.Enabled(l.Runlevel)), sv.Name, l.Runlevel))
				}
			}
		}
		return &Snapshot{Section: sec, Metrics: ms}, nil
	})
	if snap != nil {
		if sec := snap.Section.(*SystemdSection); sec.FilesReason != why {
			cp := *sec
			cp.FilesReason = why
			s := *snap
			s.Section = &cp
			snap = &s
		}
	}
	return snap, err
}

// ready returns the watcher. In serve it is already running; otherwise (a
// one-shot command) it is started for ctx and ready waits until want holds
// of it, failing at once when the manager cannot be reached. stop ends a
// watcher started here.
func (c *systemdCollector) ready(ctx context.Context, want func(*systemd.Watcher) bool) (*systemd.Watcher, func(), error) {
	w := c.newWatcher()
	c.mu.Lock()
	running := c.running
	c.mu.Unlock()
	if running {
		return w, func() {}, nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	stop := func() { cancel(); <-done }
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if want(w) {
			return w, stop, nil
		}
		if st := w.Stats(); st.Err != "" && st.Err != systemd.ErrNotSynced.Error() && st.Sessions == 0 {
			// One command, one try: do not wait out reconnections.
			return w, stop, errors.New(st.Err)
		}
		select {
		case <-ctx.Done():
			if _, err := w.Snapshot(); err == nil {
				return w, stop, nil
			}
			return w, stop, fmt.Errorf("systemd: no snapshot within the deadline: %w", ctx.Err())
		case err := <-done:
			done <- err
			return w, stop, err
		case <-tick.C:
		}
	}
}

// detailed holds once the watcher's snapshot has every unit's detail. A
// one-shot command waits for it, but no longer than most of its deadline:
// then it prints what it has (the states, detail_complete false) rather
// than nothing.
func detailed(ctx context.Context) func(*systemd.Watcher) bool {
	giveUp := time.Time{}
	if d, ok := ctx.Deadline(); ok {
		giveUp = d.Add(-time.Until(d) / 10)
	}
	return func(w *systemd.Watcher) bool {
		s, err := w.Snapshot()
		if err != nil {
			return false
		}
		return s.DetailComplete || !giveUp.IsZero() && time.Now().After(giveUp)
	}
}

// connected holds once the watcher has a connection, which is all a
// unit's detail needs.
func connected(w *systemd.Watcher) bool { return w.Connected() }

// fromSnapshot turns a snapshot into metrics once; snapshots are
// immutable, so a scrape between two changes reuses the last result.
func (c *systemdCollector) fromSnapshot(s *systemd.Snapshot) *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s == c.lastSnap && c.lastOut != nil {
		return c.lastOut
	}
	sec := &SystemdSection{Snapshot: s, FailedUnits: s.Summary.Failed, Source: SourceManager, DefaultTarget: s.Manager.DefaultTarget}
	if sec.FailedUnits == nil {
		sec.FailedUnits = []string{}
	}
	// The series (some seven per unit) are made only when the Set encodes
	// this snapshot, and then dropped: only their encoded form is kept. A
	// snapshot the watcher only confirmed fresh (every PingInterval) has
	// the same series, and keeps the key of the one they were made from.
	out := &Snapshot{Section: sec, MetricsFunc: func() []prometheus.Metric { return c.metrics(s) },
		TextFunc: func() *Block { return c.text(s) }, MetricsKey: systemdGeneration(s.Generation)}
	if c.lastOut != nil && c.lastSnap.Generation == s.Generation {
		out.MetricsFunc, out.TextFunc = c.lastOut.MetricsFunc, c.lastOut.TextFunc
	}
	c.lastSnap, c.lastOut = s, out
	return c.lastOut
}

// emit makes the snapshot's samples, each given to add, their label
// values from la. metrics and text both make theirs from it.
func (c *systemdCollector) emit(s *systemd.Snapshot, la *labelArena, add func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string)) {
	m := s.Manager
	gauge := func(d *prometheus.Desc, v float64, labels ...string) { add(d, prometheus.GaugeValue, v, labels...) }
	gauge(c.info, 1, m.Version, m.Virtualization, m.Architecture, m.DefaultTarget)
	gauge(c.sourceDesc, 1, SourceManager)
	gauge(c.sourceDesc, 0, SourceFiles)
	gauge(c.failed, float64(m.NFailedUnits))
	gauge(c.jobs, float64(m.NJobs))
	gauge(c.finished, boolFloat(s.Timeline.Finished))
	gauge(c.detail, boolFloat(s.DetailComplete))
	for _, st := range systemStates {
		gauge(c.systemState, boolFloat(m.SystemState == st), st)
	}
	for t, on := range map[string]bool{"rescue.target": m.ActiveTargets.Rescue, "emergency.target": m.ActiveTargets.Emergency, "multi-user.target": m.ActiveTargets.MultiUser, "graphical.target": m.ActiveTargets.Graphical} {
		gauge(c.target, boolFloat(on), t)
	}
	if tl := s.Timeline; tl.Finished {
		for _, p := range []struct {
			name string
			usec uint64
		}{{"firmware", tl.FirmwareUSec}, {"loader", tl.LoaderUSec}, {"kernel", tl.KernelUSec}, {"initrd", tl.InitRDUSec}, {"userspace", tl.UserspaceUSec}, {"total", tl.TotalUSec}} {
			if p.usec > 0 {
				gauge(c.phase, float64(p.usec)/1e6, p.name)
			}
		}
	}
	// Label values of the thousands of unit samples come from one
	// arena, not an allocation each.
	for _, u := range s.Units {
		for _, st := range unitActiveStates {
			gauge(c.unitState, boolFloat(u.ActiveState == st), la.of(u.Name, st)...)
		}
		switch u.LoadState {
		case "not-found", "bad-setting", "error":
			gauge(c.loadError, 1, la.of(u.Name, u.LoadState)...)
		}
		if u.DetailError != "" {
			gauge(c.detailError, 1, la.of(u.Name)...)
		} else if u.Service != nil {
			add(c.restarts, prometheus.CounterValue, float64(u.Service.NRestarts), la.of(u.Name)...)
		}
		if u.NeedDaemonReload {
			gauge(c.needReload, 1, la.of(u.Name)...)
		}
		if f := u.LastFailure; f != nil {
			gauge(c.lastFailure, float64(f.At.UnixNano())/1e9, la.of(u.Name)...)
		}
		if fc := u.FailureCounts; fc != nil {
			for r, n := range *fc {
				add(c.failures, prometheus.CounterValue, float64(n), la.of(u.Name, r)...)
			}
		}
		if u.ActivationUSec > 0 {
			gauge(c.activation, float64(u.ActivationUSec)/1e6, la.of(u.Name)...)
		}
		if t := u.Timer; t != nil {
			if t.LastTriggerUSec > 0 && t.LastTriggerUSec != systemd.USecInfinity {
				gauge(c.timerLast, float64(t.LastTriggerUSec)/1e6, la.of(u.Name)...)
			}
			if t.NextElapseUSec > 0 {
				gauge(c.timerNext, float64(t.NextElapseUSec)/1e6, la.of(u.Name)...)
			}
		}
	}
	for _, f := range s.UnitFiles {
		gauge(c.fileState, 1, la.of(f.Name, f.State)...)
	}
}

// metrics makes the snapshot's samples as const metrics (the path for
// merging families across collectors; the scrape itself uses text).
func (c *systemdCollector) metrics(s *systemd.Snapshot) []prometheus.Metric {
	ms := make([]prometheus.Metric, 0, len(s.Units)*(len(unitActiveStates)+2)+len(s.UnitFiles)+32)
	var la labelArena
	c.emit(s, &la, func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ms = append(ms, constMetric(d, t, v, labels...))
	})
	return ms
}

// text writes the snapshot's samples in the text format directly: at
// 5,000 units a const metric and a dto.Metric per sample made some 20 MiB
// of garbage and most of a scrape's CPU each time the snapshot changed.
func (c *systemdCollector) text(s *systemd.Snapshot) *Block {
	c.twMu.Lock()
	defer c.twMu.Unlock()
	if c.tw == nil {
		c.tw = newTextWriter()
	}
	c.tw.reset()
	c.emit(s, &c.tw.labels, c.tw.add)
	return c.tw.Block()
}

// systemVersion is the system manager's version from the last snapshot,
// "" when the collector watches a user manager or has no snapshot yet.
func (c *systemdCollector) systemVersion() string {
	c.mu.Lock()
	w := c.watcher
	c.mu.Unlock()
	if w == nil {
		return ""
	}
	s := w.LastGood()
	if s == nil || s.Scope != systemd.ScopeSystem.String() {
		return ""
	}
	return s.Manager.Version
}

// systemdGeneration keys the systemd collector's metrics by the watcher's
// snapshot generation.
type systemdGeneration uint64

// Query answers units/NAME with the unit in detail, as systemctl show does.
func (c *systemdCollector) Query(ctx context.Context, path string, _ url.Values) (any, error) {
	name, ok := strings.CutPrefix(path, "units/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("%w: systemd has units/NAME, not %s", ErrNotFound, quoteShort(path))
	}
	// A name systemd would refuse is answered here: D-Bus cannot carry
	// some (invalid UTF-8, NUL), and the manager would only say "invalid
	// argument" for the rest.
	if err := CheckUnitName(name); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if why := c.filesOnly(); why != "" {
		return nil, fmt.Errorf("%w: a unit's detail needs a running manager; this section comes from the unit files (%s)", ErrNotFound, why)
	}
	w, stop, err := c.ready(ctx, connected)
	defer stop()
	if err != nil {
		return nil, err
	}
	d, err := w.Detail(ctx, name)
	if errors.Is(err, systemd.ErrUnitNotFound) {
		return nil, fmt.Errorf("%w: no unit %s", ErrNotFound, name)
	}
	return d, err
}

// unitNameMax is systemd's UNIT_NAME_MAX: a valid name is shorter.
const unitNameMax = 256

// unitTypes are the suffixes systemd knows (unit_type_from_string).
var unitTypes = map[string]bool{
	"service": true, "mount": true, "swap": true, "socket": true, "target": true, "device": true,
	"automount": true, "timer": true, "path": true, "slice": true, "scope": true,
}

// CheckUnitName returns why name cannot name a loaded unit, following
// systemd's unit_name_is_valid(name, UNIT_NAME_PLAIN|UNIT_NAME_INSTANCE),
// which the manager's LoadUnit applies: shorter than 256 bytes, PREFIX.TYPE
// with a known TYPE, a prefix of ASCII letters, digits and ":-_.\\" with
// at most an "@" that is neither first nor last (a template without an
// instance is not a unit). The error quotes the name, escaped and cut
// short.
func CheckUnitName(name string) error {
	bad := func(why string) error { return fmt.Errorf("unit name %s %s", quoteShort(name), why) }
	if !utf8.ValidString(name) {
		return bad("is not valid UTF-8")
	}
	if len(name) >= unitNameMax {
		return bad(fmt.Sprintf("is %d bytes long; systemd's limit is %d", len(name), unitNameMax-1))
	}
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 {
		return bad("has no type suffix (.service, .socket, .timer, ...)")
	}
	if !unitTypes[name[dot+1:]] {
		return bad(fmt.Sprintf("has an unknown type %q", name[dot+1:]))
	}
	prefix := name[:dot]
	for i := 0; i < len(prefix); i++ {
		b := prefix[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte(":-_.\\@", b) >= 0) {
			return bad(fmt.Sprintf("holds %q, which systemd does not allow in unit names (escape it as systemd-escape does)", rune(b)))
		}
	}
	switch at := strings.IndexByte(prefix, '@'); {
	case at == 0:
		return bad("starts with @")
	case at > 0 && at == len(prefix)-1:
		return bad("is a template; name one of its instances (NAME@INSTANCE.TYPE)")
	}
	return nil
}

// quoteShort quotes s as Go does (escaping control bytes and invalid
// UTF-8), cut to 64 bytes, for an error message.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return strconv.Quote(s)
}
