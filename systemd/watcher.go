package systemd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
)

// Options configure a Watcher. The zero value watches the system manager
// through /run/systemd/private with default timings.
type Options struct {
	// Scope is the manager watched: the system manager or the calling
	// user's.
	Scope Scope
	// Address is the D-Bus address to connect to; empty chooses
	// DefaultAddress(Scope, Bus), and the system bus rather than the
	// private socket for a system-scope watcher not running as root.
	Address string
	// Bus says Address is a message bus (system or session bus) rather
	// than the manager's private peer-to-peer socket: the watcher then says
	// Hello, adds match rules and follows the manager's bus name.
	Bus bool
	// Timeout bounds every D-Bus call and the connection handshake
	// (default 5s).
	Timeout time.Duration
	// Debounce is how long signal-driven refreshes are batched
	// (default 100ms); a change shows in the snapshot after at most
	// Debounce plus one refresh.
	Debounce time.Duration
	// ResyncInterval is the period of the full resync that repairs any
	// missed signal (default 5min; at a thousand units one costs about
	// 0.6s of D-Bus traffic here, the first after a daemon-reload more,
	// as systemd then computes each UnitFileState afresh).
	ResyncInterval time.Duration
	// UnitFilesInterval is how often the unit file list is re-read
	// besides on connecting, daemon-reload and UnitFilesChanged
	// (default 10min). ListUnitFiles blocks the manager while it resolves
	// every file's install state: seconds with a thousand files here.
	UnitFilesInterval time.Duration
	// UnitFilesTimeout bounds ListUnitFiles (default 30s), for the same
	// reason. A listing that fails or times out does not fail the sync:
	// the snapshot keeps the last list it had (none at first) and says why
	// in UnitFilesError, and the next resync tries again.
	UnitFilesTimeout time.Duration
	// PingInterval is how often the manager's own properties are
	// re-read, which also notices a manager that stopped answering
	// (default 5s).
	PingInterval time.Duration
	// MinBackoff and MaxBackoff bound the jittered exponential backoff
	// between reconnection attempts (defaults 100ms and 5s).
	MinBackoff, MaxBackoff time.Duration
	// Include and Exclude filter the units and unit files a snapshot lists
	// (anchored regular expressions, as node_exporter's
	// --collector.systemd.unit-include/-exclude). Boot analysis always
	// sees every unit.
	Include, Exclude string
}

func (o *Options) defaults() {
	if o.Address == "" && o.Scope == ScopeSystem && !o.Bus && os.Geteuid() != 0 {
		// Only root may use /run/systemd/private.
		o.Bus = true
	}
	if o.Address == "" {
		o.Address = DefaultAddress(o.Scope, o.Bus)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 5*time.Second)
	def(&o.Debounce, 100*time.Millisecond)
	def(&o.ResyncInterval, 5*time.Minute)
	def(&o.PingInterval, 5*time.Second)
	def(&o.UnitFilesInterval, 10*time.Minute)
	def(&o.UnitFilesTimeout, 30*time.Second)
	def(&o.MinBackoff, 100*time.Millisecond)
	def(&o.MaxBackoff, 5*time.Second)
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
}

// Watcher keeps a cache of the manager's state current and publishes it as
// Snapshots. Create it with New and call Run once, in the background;
// Snapshot, LastGood and Detail are safe to call from any goroutine.
type Watcher struct {
	opts   Options
	filter Filter

	conn   atomic.Pointer[conn]
	snap   atomic.Pointer[Snapshot] // last good snapshot
	gen    uint64                   // Generation of the last publish; Run's goroutine only
	status atomic.Pointer[error]    // nil: connected and synced

	sessions, fullSyncs, refreshes, signals, filesFailures atomic.Uint64

	// Owned by the Run goroutine.
	c        *cache
	syncedAt time.Time
	filesAt  time.Time
}

// cache is the watcher's view of the manager, updated in place.
type cache struct {
	mgr           Manager
	units         map[string]*entry
	files         map[string]UnitFile
	filesErr      error  // the last ListUnitFiles failure, nil once it works
	defaultTarget string // GetDefaultTarget()
}

type entry struct {
	unit  Unit
	names []string // Names: Id and aliases
	after []string
}

// New returns a Watcher for opts. It does not connect until Run. A bad
// filter pattern is reported by Run and Snapshot.
func New(opts Options) *Watcher {
	opts.defaults()
	w := &Watcher{opts: opts}
	f, err := NewFilter(opts.Include, opts.Exclude)
	w.filter = f
	if err != nil {
		w.setStatus(err)
	} else {
		w.setStatus(ErrNotSynced)
	}
	return w
}

func (w *Watcher) setStatus(err error) {
	if err == nil {
		w.status.Store(nil)
		return
	}
	w.status.Store(&err)
}

// Snapshot returns the current snapshot. It makes no D-Bus call. The error
// wraps ErrNotSynced before the first full sync and ErrDisconnected while
// the connection is down or the manager does not answer; LastGood then
// still has the last good snapshot and its age.
func (w *Watcher) Snapshot() (*Snapshot, error) {
	if e := w.status.Load(); e != nil {
		return nil, *e
	}
	return w.snap.Load(), nil
}

// Stats counts the watcher's work, for its own health metrics.
type Stats struct {
	// Connected is true while Snapshot returns no error.
	Connected bool `json:"connected"`
	// Err is the reason Snapshot fails, "" while connected.
	Err string `json:"error,omitempty"`
	// Sessions counts connections that got through Subscribe;
	// more than one means the manager or the bus went away.
	Sessions  uint64 `json:"sessions"`
	FullSyncs uint64 `json:"full_syncs"`
	Refreshes uint64 `json:"refreshes"`
	Signals   uint64 `json:"signals"`
	// UnitFilesFailures counts ListUnitFiles calls that failed or timed
	// out (see Options.UnitFilesTimeout).
	UnitFilesFailures uint64 `json:"unit_files_failures"`
}

// Stats returns the watcher's counters; it makes no D-Bus call.
func (w *Watcher) Stats() Stats {
	st := Stats{
		Connected: true,
		Sessions:  w.sessions.Load(),
		FullSyncs: w.fullSyncs.Load(),
		Refreshes: w.refreshes.Load(),
		Signals:   w.signals.Load(),

		UnitFilesFailures: w.filesFailures.Load(),
	}
	if e := w.status.Load(); e != nil {
		st.Connected, st.Err = false, (*e).Error()
	}
	return st
}

// LastGood returns the last snapshot taken while connected, or nil.
func (w *Watcher) LastGood() *Snapshot { return w.snap.Load() }

// Run connects and keeps the cache current until ctx is done,
// reconnecting with backoff whenever the manager or the bus goes away. It
// returns ctx's error, or at once an invalid filter pattern's.
func (w *Watcher) Run(ctx context.Context) error {
	if _, err := NewFilter(w.opts.Include, w.opts.Exclude); err != nil {
		return err
	}
	// Once Run is over nothing keeps the snapshot current.
	defer func() { w.setStatus(fmt.Errorf("%w: watcher stopped: %w", ErrDisconnected, ctx.Err())) }()
	backoff := w.opts.MinBackoff
	for {
		synced, err := w.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if w.snap.Load() == nil {
			w.setStatus(fmt.Errorf("%w: %w", ErrNotSynced, err))
		} else {
			w.setStatus(fmt.Errorf("%w: %w", ErrDisconnected, err))
		}
		if synced {
			backoff = w.opts.MinBackoff
		}
		// Full jitter in [backoff/2, backoff): clients of one manager
		// that restarted do not reconnect in lockstep.
		sleep := backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, w.opts.MaxBackoff)
	}
}

func (w *Watcher) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, w.opts.Timeout)
}

// session runs one connection: subscribe, sync, then follow signals. synced
// reports whether it got as far as a full sync.
func (w *Watcher) session(ctx context.Context) (synced bool, err error) {
	life, cancelLife := context.WithCancel(ctx)
	defer cancelLife()
	dctx, cancel := w.callCtx(ctx)
	c, err := dial(dctx, life, w.opts.Address, w.opts.Bus)
	cancel()
	if err != nil {
		return false, err
	}
	defer func() {
		w.conn.CompareAndSwap(c, nil)
		c.close()
	}()

	sigs := make(chan *dbus.Signal, 4096)
	c.c.Signal(sigs)

	cctx, cancel := w.callCtx(ctx)
	err = w.subscribe(cctx, c)
	cancel()
	if err != nil {
		return false, err
	}
	w.conn.Store(c)
	w.sessions.Add(1)
	if err := w.fullSync(ctx, c, true); err != nil {
		return false, err
	}
	w.publish()

	resync := time.NewTicker(w.opts.ResyncInterval)
	defer resync.Stop()
	ping := time.NewTicker(w.opts.PingInterval)
	defer ping.Stop()
	var (
		debounce *time.Timer
		fire     <-chan time.Time
		d        = newDirty()
	)
	defer func() {
		if debounce != nil {
			debounce.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-c.c.Context().Done():
			return true, errors.New("connection closed")
		case s, ok := <-sigs:
			if !ok {
				return true, errors.New("connection closed")
			}
			w.signals.Add(1)
			if err := d.add(s); err != nil {
				return true, err
			}
			if d.pending() && fire == nil {
				debounce = time.NewTimer(w.opts.Debounce)
				fire = debounce.C
			}
		case <-fire:
			fire, debounce = nil, nil
			w.refreshes.Add(1)
			if err := w.refresh(ctx, c, d); err != nil {
				return true, err
			}
			d = newDirty()
			w.publish()
		case <-resync.C:
			if err := w.fullSync(ctx, c, time.Since(w.filesAt) >= w.opts.UnitFilesInterval); err != nil {
				return true, err
			}
			w.publish()
		case <-ping.C:
			before := w.c.mgr
			if err := w.refreshManager(ctx, c); err != nil {
				return true, err
			}
			if w.c.mgr != before {
				w.publish()
			} else {
				w.touch()
			}
		}
	}
}

func (w *Watcher) subscribe(ctx context.Context, c *conn) error {
	if c.bus {
		// On a bus, signals reach us only through match rules; follow the
		// manager's name too, since the bus outlives a manager restart.
		if err := c.c.AddMatchSignalContext(ctx, dbus.WithMatchSender(busName)); err != nil {
			return fmt.Errorf("systemd: add match: %w", err)
		}
		if err := c.c.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.DBus"),
			dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, busName)); err != nil {
			return fmt.Errorf("systemd: add match: %w", err)
		}
	}
	return c.manager(ctx, "Subscribe", nil)
}

// dirty collects what signals said changed since the last refresh.
type dirty struct {
	units   map[string]bool
	manager bool
	files   bool
	full    bool
}

func newDirty() *dirty {
	return &dirty{units: map[string]bool{}}
}

func (d *dirty) pending() bool {
	return len(d.units) > 0 || d.manager || d.files || d.full
}

var errManagerGone = errors.New("manager left the bus")

func (d *dirty) add(s *dbus.Signal) error {
	str := func(i int) string {
		if i < len(s.Body) {
			v, _ := s.Body[i].(string)
			return v
		}
		return ""
	}
	switch s.Name {
	case managerIface + ".UnitNew", managerIface + ".UnitRemoved":
		// Whether the unit is still there is asked at refresh time:
		// godbus may deliver a burst of signals out of order.
		d.units[str(0)] = true
	case managerIface + ".JobNew":
		d.units[str(2)] = true
		d.manager = true
	case managerIface + ".JobRemoved":
		d.units[str(2)] = true
		d.manager = true
	case managerIface + ".StartupFinished":
		d.manager = true
	case managerIface + ".UnitFilesChanged":
		d.files = true
	case managerIface + ".Reloading":
		// A daemon-reload or reexec may change anything; resync once it
		// is over (the body is true when it starts).
		if len(s.Body) > 0 {
			if b, ok := s.Body[0].(bool); ok && !b {
				d.full = true
			}
		}
	case propsIface + ".PropertiesChanged":
		if s.Path == managerPath {
			d.manager = true
		} else if name, ok := unitNameFromPath(s.Path); ok {
			d.units[name] = true
		}
	case "org.freedesktop.DBus.NameOwnerChanged":
		if str(0) == busName {
			return errManagerGone
		}
	}
	delete(d.units, "")
	return nil
}

// fullSync rebuilds the cache from scratch; the unit file list only when
// withFiles (else the cached one is kept).
func (w *Watcher) fullSync(ctx context.Context, c *conn, withFiles bool) error {
	nc := &cache{units: map[string]*entry{}, files: map[string]UnitFile{}}
	if w.c != nil {
		nc.files, nc.filesErr = w.c.files, w.c.filesErr
	}
	cctx, cancel := w.callCtx(ctx)
	mp, err := c.getAll(cctx, managerPath, managerIface)
	cancel()
	if err != nil {
		return err
	}
	nc.mgr, _ = managerFromProps(mp)
	// A manager without a default target answers with an error; that is
	// a fact to report, not a failure.
	cctx, cancel = w.callCtx(ctx)
	err = c.manager(cctx, "GetDefaultTarget", &nc.defaultTarget)
	cancel()
	if err != nil && dbusErrorName(err) == "" {
		return err
	}
	var rows []unitRow
	cctx, cancel = w.callCtx(ctx)
	err = c.manager(cctx, "ListUnits", &rows)
	cancel()
	if err != nil {
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

// syncFiles re-reads the unit file list into nc. A failed listing (slow:
// the manager resolves every file's install state; seconds for thousands
// of files) is recorded in nc.filesErr and the old list kept, so that it
// never holds back the units; only a lost connection is an error.
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
		cctx, cancel := w.callCtx(ctx)
		var err error
		if len(names) > maxPatterns {
			var all []unitRow
			if err = c.manager(cctx, "ListUnits", &all); err == nil {
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
			err = c.manager(cctx, "ListUnitsByPatterns", &rows, []string{}, patterns)
		}
		cancel()
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

func (w *Watcher) refreshManager(ctx context.Context, c *conn) error {
	cctx, cancel := w.callCtx(ctx)
	defer cancel()
	mp, err := c.getAll(cctx, managerPath, managerIface)
	if err != nil {
		return err
	}
	w.c.mgr, _ = managerFromProps(mp)
	return nil
}

// pipelineDepth is how many property reads are in flight at once: enough to
// hide the round trips, few enough not to flood the manager's queue.
const pipelineDepth = 256

// The properties read per unit, one Get each. GetAll would be one call per
// interface, but it makes systemd compute every property: UnitFileState
// (resolving the unit's install state on disk: 12s for the first read of a
// thousand units here, again after every daemon-reload) and, for
// services, cgroup accounting. The states and description come with
// ListUnits.
var (
	unitProps = []string{"Names", "FragmentPath", "SourcePath", "StateChangeTimestamp",
		"InactiveExitTimestampMonotonic", "ActiveEnterTimestampMonotonic",
		"ActiveExitTimestampMonotonic", "InactiveEnterTimestampMonotonic", "After"}
	serviceProps = []string{"NRestarts", "Result", "ExecMainStatus", "MainPID", "Restart"}
	timerProps   = []string{"LastTriggerUSec", "NextElapseUSecRealtime", "NextElapseUSecMonotonic"}
)

// errUnknownProp is what a manager too old for a property answers.
const errUnknownProp = "org.freedesktop.DBus.Error.UnknownProperty"

type propReq struct {
	path  dbus.ObjectPath
	iface string
	prop  string
	e     *fetched
}

// fetched collects one unit's property values by interface.
type fetched struct {
	row   unitRow
	props map[string]props
}

// fetchUnits reads the properties of the units in rows, pipelining the
// calls. A unit that vanished meanwhile is left out, a property the manager
// does not know reads as zero; any other failure (including a deadline)
// fails the whole fetch.
// fetchChunk is how many units fetchUnits reads at a time: their
// properties arrive as a map of variants per unit, which is turned into an
// entry once the chunk is complete, so the transient memory of a sync is
// bounded by the chunk, not by the number of units.
const fetchChunk = 256

// fetchUnits reads the properties of the units in rows, fetchChunk units
// at a time, through pipelined calls.
func (w *Watcher) fetchUnits(ctx context.Context, c *conn, rows []unitRow) ([]*entry, error) {
	out := make([]*entry, 0, len(rows))
	for len(rows) > 0 {
		n := min(len(rows), fetchChunk)
		entries, err := w.fetchBatch(ctx, c, rows[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
		rows = rows[n:]
	}
	return out, nil
}

func (w *Watcher) fetchBatch(ctx context.Context, c *conn, rows []unitRow) ([]*entry, error) {
	all := make([]*fetched, 0, len(rows))
	reqs := make([]propReq, 0, len(rows)*len(unitProps))
	for _, r := range rows {
		f := &fetched{row: r, props: map[string]props{unitIface: {
			"Description": dbus.MakeVariant(r.Description),
			"LoadState":   dbus.MakeVariant(r.LoadState),
			"ActiveState": dbus.MakeVariant(r.ActiveState),
			"SubState":    dbus.MakeVariant(r.SubState),
		}}}
		all = append(all, f)
		add := func(iface string, names []string) {
			if f.props[iface] == nil {
				f.props[iface] = props{}
			}
			for _, p := range names {
				reqs = append(reqs, propReq{r.Path, iface, p, f})
			}
		}
		add(unitIface, unitProps)
		if templateName(r.Name) != "" {
			// An instance's unit file state is its own (enabled,
			// disabled...) and ListUnitFiles lists only its template.
			// systemd caches the answer, so only the first read costs.
			add(unitIface, []string{"UnitFileState"})
		}
		switch unitType(r.Name) {
		case "service":
			add(serviceIface, serviceProps)
		case "timer":
			add(timerIface, timerProps)
		}
	}
	// Each call has its own deadline; the batch as a whole may take as
	// long as the manager keeps answering. A watchdog catches a writer
	// stuck on a frozen manager, which no call deadline can.
	bctx, cancelBatch := context.WithCancel(ctx)
	defer cancelBatch()
	done := make(chan error, 1)
	progress := make(chan struct{}, 1)
	gone := map[*fetched]bool{}
	go func() {
		ch := make(chan *dbus.Call, pipelineDepth)
		type pending struct {
			req    propReq
			cancel context.CancelFunc
		}
		byCall := make(map[*dbus.Call]pending, pipelineDepth)
		var firstErr error
		handle := func(call *dbus.Call) {
			p := byCall[call]
			delete(byCall, call)
			p.cancel()
			req := p.req
			select {
			case progress <- struct{}{}:
			default:
			}
			if call.Err != nil {
				switch dbusErrorName(call.Err) {
				case errUnknownObj, errNoSuchUnit:
					gone[req.e] = true
				case errUnknownProp:
				default:
					if firstErr == nil {
						firstErr = fmt.Errorf("systemd: %s of %s: %w", req.prop, req.e.row.Name, call.Err)
					}
				}
				return
			}
			var v dbus.Variant
			if err := call.Store(&v); err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("systemd: %s of %s: %w", req.prop, req.e.row.Name, err)
				}
				return
			}
			req.e.props[req.iface][req.prop] = v
		}
		for _, req := range reqs {
			if len(byCall) == pipelineDepth {
				handle(<-ch)
			}
			if firstErr != nil || bctx.Err() != nil {
				break
			}
			cctx, cancel := context.WithTimeout(bctx, w.opts.Timeout)
			call := c.c.Object(busName, req.path).GoWithContext(cctx, propsGet, dbus.FlagNoAutoStart, ch, req.iface, req.prop)
			byCall[call] = pending{req, cancel}
		}
		for len(byCall) > 0 {
			handle(<-ch)
		}
		if firstErr == nil {
			firstErr = bctx.Err()
		}
		done <- firstErr
	}()
	watchdog := time.NewTimer(w.opts.Timeout)
	defer watchdog.Stop()
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				return nil, err
			}
			break wait
		case <-progress:
			watchdog.Reset(w.opts.Timeout)
		case <-watchdog.C:
			// The goroutine is released when the session closes the
			// connection.
			return nil, fmt.Errorf("systemd: reading unit properties: no reply for %v: %w", w.opts.Timeout, context.DeadlineExceeded)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := make([]*entry, 0, len(all))
	for _, f := range all {
		if gone[f] {
			continue
		}
		up := f.props[unitIface]
		e := &entry{unit: unitFromProps(f.row.Name, up), names: up.strs("Names"), after: up.strs("After")}
		e.unit.UnitFileState = up.str("UnitFileState") // instances only
		if sp, ok := f.props[serviceIface]; ok {
			e.unit.Service = serviceFromProps(sp)
		}
		if tp, ok := f.props[timerIface]; ok {
			e.unit.Timer = timerFromProps(tp)
		}
		out = append(out, e)
	}
	return out, nil
}

// publish builds an immutable snapshot from the cache and makes it current.
func (w *Watcher) publish() {
	s := BuildSnapshot(w.c.input(w.opts.Scope), w.filter)
	w.gen++
	s.Generation = w.gen
	s.SyncedAt = w.syncedAt
	s.UpdatedAt = time.Now()
	w.snap.Store(s)
	w.setStatus(nil)
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

func (c *cache) input(scope Scope) SnapshotInput {
	in := SnapshotInput{
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
	for name, e := range c.units {
		in.Units = append(in.Units, e.unit)
		in.After[name] = e.after
		for _, n := range e.names {
			if n != name {
				in.Aliases[n] = name
			}
		}
	}
	return in
}

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
}

// BuildSnapshot derives a snapshot: unit file states joined onto units,
// timeline, blame and critical chain over all units, then the units and unit
// files f keeps, sorted by name, and their summary.
func BuildSnapshot(in SnapshotInput, f Filter) *Snapshot {
	files := make(map[string]string, len(in.UnitFiles))
	for n, uf := range in.UnitFiles {
		files[n] = uf.State
	}
	units := make([]Unit, len(in.Units))
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
		units[i] = u
		times[u.Name] = u.Times
	}
	sort.Slice(units, func(i, j int) bool { return units[i].Name < units[j].Name })

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
		Scope:          in.Scope.String(),
		Manager:        m,
		Timeline:       tl,
		UnitFilesError: in.UnitFilesError,
	}
	if tl.Finished {
		ut := tl.UnitTimes(times)
		for i := range units {
			units[i].ActivationUSec = ut[units[i].Name].TimeUSec
		}
		s.Blame = Blame(ut)
		s.CriticalChain = tl.CriticalChain("default.target", ut, func(n string) []string { return in.After[n] }, alias, 0)
	}
	// units is this snapshot's own copy: filter it in place.
	kept := units[:0]
	for _, u := range units {
		if f.Match(u.Name) {
			kept = append(kept, u)
		}
	}
	s.Units = kept
	s.UnitFiles = make([]UnitFile, 0, len(in.UnitFiles))
	for _, uf := range in.UnitFiles {
		if f.Match(uf.Name) {
			s.UnitFiles = append(s.UnitFiles, uf)
		}
	}
	sort.Slice(s.UnitFiles, func(i, j int) bool { return s.UnitFiles[i].Name < s.UnitFiles[j].Name })
	s.Summary = Summarize(s.Units)
	return s
}
