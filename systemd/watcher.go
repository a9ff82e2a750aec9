package systemd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
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
	// Debounce plus one refresh. (A socket that brings only signals is
	// read in batches, 250ms apart, and just before each refresh.)
	Debounce time.Duration
	// CallRate is the most property reads the watcher sends the manager
	// in any second (default DefaultCallRate): systemd sleeps a second
	// when its loop turns more than 50,000 times in one (see pacer).
	CallRate int
	// Coalesce is the least time between two signal-driven refreshes
	// (default 1s): however many signals a unit sends, it is looked at no
	// more than once per Coalesce, and its counters (restarts) are at
	// most Coalesce behind the manager's.
	Coalesce time.Duration
	// ResyncInterval is the period of the full resync that repairs any
	// missed signal (default 5min). A resync re-reads every loaded unit;
	// the first after a daemon-reload costs the manager more, as it then
	// computes each UnitFileState afresh.
	ResyncInterval time.Duration
	// UnitFilesInterval is how often the unit file list is re-read
	// besides on connecting, daemon-reload and UnitFilesChanged
	// (default 10min). ListUnitFiles blocks the manager while it resolves
	// every file's install state, so its cost grows with the number of
	// unit files.
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
	// Root is where the manager's file system is seen (default "/"): the
	// unit file list is read from the unit directories below it, along
	// the manager's own search path, when they show every unit the
	// manager loaded, and from the manager's ListUnitFiles otherwise.
	Root string
	// UnitFilesFromManager always asks the manager for the unit file
	// list, never the disk.
	UnitFilesFromManager bool
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
	if o.CallRate <= 0 {
		o.CallRate = DefaultCallRate
	}
	def(&o.Debounce, 100*time.Millisecond)
	def(&o.Coalesce, time.Second)
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
	in     atomic.Pointer[inbox]    // the current session's
	snap   atomic.Pointer[Snapshot] // last good snapshot
	gen    uint64                   // Generation of the last publish; Run's goroutine only
	status atomic.Pointer[error]    // nil: connected and synced

	pacer *pacer // holds the calls of every session to Options.CallRate

	details    chan struct{} // a slot per Detail call running
	dconn      detailConns   // Detail's connection
	detailIdle time.Duration // how long dconn stays open unused

	sessions, fullSyncs, refreshes, filesFailures, badSignals, propReads, unitFaults atomic.Uint64
	signals, ignored                                                                 atomic.Uint64 // of past sessions

	// Owned by the Run goroutine.
	c        *cache
	fail     failures // the services' failure records
	syncedAt time.Time
	filesAt  time.Time
	unitPath []string // the manager's UnitPath
	reloads  reloadWatch
	// loadedUSec is when the manager last loaded its unit files
	// (CLOCK_REALTIME µs; 0 unknown).
	loadedUSec uint64
	// scope is the manager's, from its unit path, once scopeKnown.
	scope      Scope
	scopeKnown bool
	// held says the cache has a change of the manager's properties that
	// no snapshot shows yet: the next refresh (or ping) publishes it.
	held bool
}

// cache is the watcher's view of the manager, updated in place.
type cache struct {
	mgr           Manager
	units         map[string]*entry
	files         map[string]UnitFile
	filesErr      error  // the last ListUnitFiles failure, nil once it works
	filesListed   bool   // ListUnitFiles was called (files or filesErr hold its answer)
	loading       bool   // the units' detail is being read afresh
	refused       int    // units the last full listing left out (see listUnits)
	defaultTarget string // GetDefaultTarget()

	// order is the units' names sorted, and fileList the unit files
	// sorted by name (nil until asked for after files changed): kept
	// between snapshots, which a storm makes every second, while the set
	// of units and the file list stay the same.
	order    []string
	fileList []UnitFile

	filesFrom string // FilesFromDisk or FilesFromManager
	diskErr   string // why the unit files were not read from disk
}

// setFiles replaces the unit file list.
func (c *cache) setFiles(files map[string]UnitFile) {
	c.files, c.fileList = files, nil
}

type entry struct {
	unit  Unit
	path  dbus.ObjectPath
	after []string
	// detail is set once the unit's properties were read (not only its
	// ListUnits row); readFrom and readTo are the inbox seq before its
	// first read and after its last reply.
	detail           bool
	readFrom, readTo uint64
}

// complete says whether the cache holds every unit's detail and the unit
// file list.
func (c *cache) complete() bool {
	if !c.filesListed || c.loading {
		return false
	}
	for _, e := range c.units {
		if !e.detail {
			return false
		}
	}
	return true
}

// New returns a Watcher for opts. It does not connect until Run. A bad
// filter pattern is reported by Run and Snapshot.
func New(opts Options) *Watcher {
	opts.defaults()
	w := &Watcher{opts: opts, details: make(chan struct{}, maxDetails), detailIdle: detailIdle,
		pacer: newPacer(opts.CallRate, time.Now())}
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
// wraps ErrNotSynced before the first sync, ErrDisconnected while the
// connection is down or the manager does not answer, and ErrStale when the
// snapshot has not been brought up to date for longer than any sync
// should take; LastGood then still has the last good snapshot and its age.
func (w *Watcher) Snapshot() (*Snapshot, error) {
	if e := w.status.Load(); e != nil {
		return nil, *e
	}
	s := w.snap.Load()
	if age := s.Age(time.Now()); age > w.staleAfter() {
		return nil, fmt.Errorf("%w: last brought up to date %v ago, more than any sync or call should take", ErrStale, age.Round(time.Second))
	}
	return s, nil
}

// staleAfter is how old a snapshot may get while the watcher is still
// connected: the longest a unit file listing may take, plus two pings and
// two call timeouts. The watcher confirms the snapshot fresh at every
// ping; an older one means its loop is stuck in a call.
func (w *Watcher) staleAfter() time.Duration {
	return w.opts.UnitFilesTimeout + 2*w.opts.PingInterval + 2*w.opts.Timeout
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
	// IgnoredSignals counts signals not believed (not the manager's, or
	// unreadable), of no interest, or about an object no unit can be.
	IgnoredSignals uint64 `json:"ignored_signals"`
	// PropertyReads counts unit property reads (one Get each).
	PropertyReads uint64 `json:"property_reads"`
	// UnitFaults counts units whose properties the manager would not
	// give (see Unit.DetailError).
	UnitFaults uint64 `json:"unit_faults"`
	// UnitFilesFailures counts ListUnitFiles calls that failed or timed
	// out (see Options.UnitFilesTimeout).
	UnitFilesFailures uint64 `json:"unit_files_failures"`
	// CallPauses counts the times a property read waited to keep the
	// calls of a second within Options.CallRate.
	CallPauses uint64 `json:"call_pauses"`
}

// Stats returns the watcher's counters; it makes no D-Bus call.
func (w *Watcher) Stats() Stats {
	st := Stats{
		Connected: true,
		Sessions:  w.sessions.Load(),
		FullSyncs: w.fullSyncs.Load(),
		Refreshes: w.refreshes.Load(),
		Signals:   w.signals.Load(),

		IgnoredSignals: w.ignored.Load() + w.badSignals.Load(),
		PropertyReads:  w.propReads.Load(),
		UnitFaults:     w.unitFaults.Load(),

		UnitFilesFailures: w.filesFailures.Load(),
		CallPauses:        w.pacer.paused(),
	}
	if in := w.in.Load(); in != nil {
		st.Signals += in.signals.Load()
		st.IgnoredSignals += in.ignored.Load()
	}
	if e := w.status.Load(); e != nil {
		st.Connected, st.Err = false, (*e).Error()
	}
	return st
}

// Connected says whether the watcher has a connection to the manager on
// which Detail can ask; it may not have synced yet.
func (w *Watcher) Connected() bool { return w.conn.Load() != nil }

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
	defer w.dconn.close()
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

// callManager calls a Manager method, storing its reply in out, within one
// call timeout.
func (w *Watcher) callManager(ctx context.Context, c *conn, method string, out any, args ...any) error {
	cctx, cancel := w.callCtx(ctx)
	defer cancel()
	return c.manager(cctx, method, out, args...)
}
