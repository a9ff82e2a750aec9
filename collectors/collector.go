// Package collectors adapts bootinfo's decoders to Prometheus metrics and to
// the sections of the JSON document. Each collector turns one source into a
// Snapshot that carries both, so /metrics and /bootinfo never disagree.
package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every metric bootinfo exports.
const Namespace = "bootinfo"

// Paths are the roots every source is read below, so that a container with
// the host mounted under /host, and tests with fixture trees, both work.
type Paths struct {
	RootFS string // "/"
	SysFS  string // "/sys"
	ProcFS string // "/proc"
	DevFS  string // "/dev"
	Boot   string // "/boot"
}

// Config is what cmd/bootinfo hands every collector: paths, a logger and
// the collector-specific options parsed from flags.
type Config struct {
	Paths      Paths
	Logger     *slog.Logger
	Firmware   FirmwareConfig
	DMI        DMIConfig
	Kmsg       KmsgConfig
	History    HistoryConfig
	Systemd    SystemdConfig
	Bootloader BootloaderConfig
}

// Snapshot is one collection: the JSON section and the metrics made from the
// same data.
type Snapshot struct {
	Section any
	Metrics []prometheus.Metric
	// MetricsFunc, when set, makes the snapshot's metrics on demand in
	// place of Metrics: a collector with many series (systemd's units)
	// then holds them only in the encoded form the Set keeps.
	MetricsFunc func() []prometheus.Metric
	// TextFunc, when set, writes the same metrics as MetricsFunc straight
	// into a block (text format, not yet compressed), which the Set then
	// uses in place of gathering and encoding them.
	TextFunc func() *Block
	// Faults are the section's own errors: parts of the source that could
	// not be read or decoded while the collector still succeeded (field →
	// message). The Set logs them when they change.
	Faults map[string]string
	// MetricsKey, when not nil, says that snapshots of the same collector
	// with equal keys have the same metrics (their sections may differ),
	// so the Set reuses the encoding it made for the first. Without it a
	// snapshot's metrics are reused only for the very same *Snapshot.
	MetricsKey any
}

// AllMetrics returns the snapshot's metrics: Metrics, or MetricsFunc's.
func (s *Snapshot) AllMetrics() []prometheus.Metric {
	if s.MetricsFunc != nil {
		return s.MetricsFunc()
	}
	return s.Metrics
}

// Collector reads one source. Collect must honour ctx's deadline where it
// blocks, and may return a partial Snapshot together with an error.
type Collector interface {
	Collect(ctx context.Context) (*Snapshot, error)
}

// Factory builds a collector by name.
type Factory struct {
	Name           string
	Help           string
	DefaultEnabled bool
	New            func(Config) (Collector, error)
}

// Factories lists every collector bootinfo has, in a stable order.
func Factories() []Factory {
	return []Factory{
		{Name: "host", Help: "host identity, kernel, OS and kernel command line (procfs, /etc)", DefaultEnabled: true, New: NewHostCollector},
		{Name: "dmi", Help: "SMBIOS/DMI hardware inventory: BIOS, system, board, chassis, processors, memory (sysfs DMI tables, or /sys/class/dmi/id)", DefaultEnabled: true, New: NewDMICollector},
		{Name: "kmsg", Help: "kernel log: records by level and facility, boot milestones, kernel problems (/dev/kmsg)", DefaultEnabled: true, New: NewKmsgCollector},
		{Name: "history", Help: "this boot compared with the previous one, and how the previous boot ended (--state.dir, pstore)", DefaultEnabled: true, New: NewHistoryCollector},
		{Name: "systemd", Help: "service manager over D-Bus: boot timeline, system state, every unit's state, enablement and restarts", DefaultEnabled: true, New: NewSystemdCollector},
		{Name: "bootloader", Help: "boot loader view: GRUB/BLS/systemd-boot entries, the entry that boots next, installed kernels, pending reboots (--path.boot)", DefaultEnabled: true, New: NewBootloaderCollector},
		{Name: "firmware", Help: "legacy BIOS or UEFI, Secure Boot, Setup Mode, EFI boot entries, TPM (sysfs, efivarfs)", DefaultEnabled: true, New: NewFirmwareCollector},
	}
}

// Outcome is what one collector produced in one gathering.
type Outcome struct {
	Name     string
	Snapshot *Snapshot
	Err      error
	Duration time.Duration
}

// Set runs a group of collectors concurrently, each under its own deadline,
// and never lets one slow or hung collector hold the others or pile up
// goroutines: while a collection is in flight, later callers share it; a
// collection still running at its deadline is abandoned (see runner).
type Set struct {
	runners []*runner
	timeout time.Duration
	logger  *slog.Logger

	durationDesc, successDesc, blockedDesc, abandonedDesc *prometheus.Desc
}

// MaxBlocked is how many abandoned collections of one collector may still
// be running (blocked in a system call that ignores its deadline, such as
// an open of a FIFO or a read on a hung NFS mount) before the Set stops
// starting new ones for that collector: each holds a goroutine and an OS
// thread until the kernel lets it go.
const MaxBlocked = 2

// NewSet builds a Set over named collectors. timeout bounds each collector's
// share of one gathering.
func NewSet(collectors map[string]Collector, timeout time.Duration, logger *slog.Logger) *Set {
	names := make([]string, 0, len(collectors))
	for n := range collectors {
		names = append(names, n)
	}
	sort.Strings(names)
	s := &Set{
		timeout:       timeout,
		logger:        logger,
		durationDesc:  desc("scrape_collector_duration_seconds", "Time a collector took in this scrape.", "collector"),
		successDesc:   desc("scrape_collector_success", "Whether a collector succeeded in this scrape (1) or not (0).", "collector"),
		blockedDesc:   desc("scrape_collector_blocked", "Collections of a collector abandoned at their deadline that are still running, blocked in the source; at "+strconv.Itoa(MaxBlocked)+" no new collection is started until one returns.", "collector"),
		abandonedDesc: desc("scrape_collector_abandoned_total", "Collections of a collector abandoned because they were still running at their deadline.", "collector"),
	}
	for _, n := range names {
		s.runners = append(s.runners, &runner{name: n, c: collectors[n], logger: logger, timeout: timeout, jsonKeys: newJSONKeys(n)})
	}
	return s
}

// Names returns the enabled collectors' names, sorted.
func (s *Set) Names() []string {
	out := make([]string, len(s.runners))
	for i, r := range s.runners {
		out[i] = r.name
	}
	return out
}

// Gather runs the named collectors (all when names is empty) concurrently
// and returns their outcomes in name order.
func (s *Set) Gather(ctx context.Context, names ...string) []Outcome {
	var sel []*runner
	if len(names) == 0 {
		sel = s.runners
	} else {
		for _, r := range s.runners {
			for _, n := range names {
				if r.name == n {
					sel = append(sel, r)
				}
			}
		}
	}
	out := make([]Outcome, len(sel))
	var wg sync.WaitGroup
	for i, r := range sel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = r.run(ctx)
			if out[i].Err != nil {
				s.logger.Error("collector failed", "collector", r.name, "duration_seconds", out[i].Duration.Seconds(), "err", out[i].Err)
			}
		}()
	}
	wg.Wait()
	return out
}

// runner serialises one collector: at most one Collect runs at a time and
// concurrent callers wait for (and share) the one in flight, each up to its
// own deadline. A Collect still running at its deadline is abandoned: it
// keeps its goroutine until it returns, but it is no longer shared, and the
// next caller starts a fresh one. A Collect blocked in a system call (an
// open of a FIFO, a read on a hung NFS mount) cannot be interrupted; the
// runner never has more than MaxBlocked of them, and past that refuses to
// start more until one returns.
type runner struct {
	name    string
	c       Collector
	logger  *slog.Logger
	timeout time.Duration
	// faults are the Faults last logged. Collections overlap when one was
	// abandoned, so they are guarded by faultsMu.
	faultsMu sync.Mutex
	faults   map[string]string

	mu  sync.Mutex
	cur *call // the collection callers share, nil when none
	// blocked are the abandoned collections still running, oldest first.
	blocked   []*call
	abandoned uint64 // collections abandoned so far
	// nBlocked and nAbandoned are len(blocked) and abandoned, stored
	// under mu and read without it: every scrape reports them, and
	// should not queue on mu behind the requests joining a collection.
	nBlocked   atomic.Int64
	nAbandoned atomic.Uint64
	// started, when not nil, is closed once the collector's Run has
	// returned; Collect waits for it (see Set.Run).
	started chan struct{}

	// blocks caches the encoded metrics of the last snapshot (see
	// Set.Exposition), sections its encoded JSON section (see
	// Set.DocumentBlocks), and jsonKeys are the pieces that stand before
	// the section in the document.
	blocks   blockCache
	sections blockCache
	jsonKeys jsonKeys
}

// call is one call of Collect: val is set before done is closed.
type call struct {
	done      chan struct{}
	start     time.Time
	val       outcome
	abandoned bool // guarded by the runner's mu
}

// outcome is what one call of Collect produced, and how long it took.
type outcome struct {
	snap *Snapshot
	err  error
	took time.Duration
}

// ErrTimeout is wrapped by the error of a collector that missed its deadline.
var ErrTimeout = errors.New("deadline exceeded")

// ErrBlocked is wrapped (with ErrTimeout) by the error of a collector that
// is not run because MaxBlocked of its earlier collections are still
// blocked past their deadline.
var ErrBlocked = errors.New("earlier collections still blocked")

func (r *runner) run(ctx context.Context) Outcome {
	start := time.Now()
	c, err := r.join()
	if err != nil {
		return Outcome{Name: r.name, Err: err, Duration: time.Since(start)}
	}
	timer := time.NewTimer(r.timeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return Outcome{Name: r.name, Snapshot: c.val.snap, Err: c.val.err, Duration: c.val.took}
	case <-timer.C:
		// The collection is abandoned by the next caller, not here: a
		// collector that honours its context returns just after the
		// deadline, and is not one left blocked.
		if r.starting() {
			return Outcome{Name: r.name, Err: errStarting(time.Since(start)), Duration: time.Since(start)}
		}
		return Outcome{Name: r.name, Err: fmt.Errorf("%w: no answer within %s (running for %s)", ErrTimeout, r.timeout, time.Since(c.start).Round(time.Millisecond)), Duration: time.Since(start)}
	case <-ctx.Done():
		return Outcome{Name: r.name, Err: ctx.Err(), Duration: time.Since(start)}
	}
}

// join returns the collection in flight, or starts one in a goroutine of
// its own. A collection in flight past its deadline is abandoned first,
// and none is started while MaxBlocked abandoned ones still run.
func (r *runner) join() (*call, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.abandonLateLocked()
	if r.cur != nil {
		return r.cur, nil
	}
	if len(r.blocked) >= MaxBlocked {
		return nil, fmt.Errorf("%w: %w: %d earlier collections are still blocked in the source past their %s deadline (the oldest for %s); no new one starts until one returns",
			ErrTimeout, ErrBlocked, len(r.blocked), r.timeout, time.Since(r.blocked[0].start).Round(time.Millisecond))
	}
	c := &call{done: make(chan struct{}), start: time.Now()}
	r.cur = c
	go func() {
		v := r.execute(c.start)
		r.mu.Lock()
		c.val = v
		if c.abandoned {
			r.blocked = slices.DeleteFunc(r.blocked, func(b *call) bool { return b == c })
			r.nBlocked.Store(int64(len(r.blocked)))
		} else if r.cur == c {
			r.cur = nil
		}
		r.mu.Unlock()
		close(c.done)
	}()
	return c, nil
}

// abandonLateLocked abandons the collection in flight if it has run past
// its deadline.
func (r *runner) abandonLateLocked() {
	c := r.cur
	if c == nil || time.Since(c.start) < r.timeout {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	c.abandoned = true
	r.cur = nil
	r.blocked = append(r.blocked, c)
	r.abandoned++
	r.nBlocked.Store(int64(len(r.blocked)))
	r.nAbandoned.Store(r.abandoned)
	r.logger.Warn("collector abandoned at its deadline; a fresh collection starts next time", "collector", r.name, "running_for", time.Since(c.start).Round(time.Millisecond), "blocked", len(r.blocked))
}

// starting reports whether the collector's Run has been started and has
// not returned yet.
func (r *runner) starting() bool {
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if started == nil {
		return false
	}
	select {
	case <-started:
		return false
	default:
		return true
	}
}

func errStarting(waited time.Duration) error {
	return fmt.Errorf("%w: the collector is still starting (reading its source at start); waited %s", ErrTimeout, waited.Round(time.Millisecond))
}

// blockedCount returns how many abandoned collections still run, and how
// many were abandoned so far.
func (r *runner) blockedCount() (blocked int, abandoned uint64) {
	return int(r.nBlocked.Load()), r.nAbandoned.Load()
}

// execute runs Collect, under its own deadline, for a call that started
// at start. A panic is the call's error. A collector whose Run has not
// returned yet is not called: the wait for it ends at the deadline.
func (r *runner) execute(start time.Time) (o outcome) {
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(r.timeout))
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			o.snap, o.err = nil, fmt.Errorf("panic: %v", p)
		}
		o.took = time.Since(start)
	}()
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if started != nil {
		select {
		case <-started:
		case <-ctx.Done():
			return outcome{err: errStarting(time.Since(start))}
		}
	}
	o.snap, o.err = r.c.Collect(ctx)
	if o.snap != nil {
		r.logFaults(o.snap.Faults)
	}
	return o
}

// logFaults logs the faults a collector reports beside its data when they
// differ from those it reported last: each new or changed one at warn
// level, and that the others cleared, so a journal shows a fault once, not
// once per scrape.
func (r *runner) logFaults(faults map[string]string) {
	r.faultsMu.Lock()
	defer r.faultsMu.Unlock()
	if maps.Equal(faults, r.faults) {
		return
	}
	for _, f := range slices.Sorted(maps.Keys(faults)) {
		if old, ok := r.faults[f]; !ok || old != faults[f] {
			r.logger.Warn("collector could not read part of its source", "collector", r.name, "field", f, "err", faults[f])
		}
	}
	for _, f := range slices.Sorted(maps.Keys(r.faults)) {
		if _, ok := faults[f]; !ok {
			r.logger.Info("collector fault cleared", "collector", r.name, "field", f)
		}
	}
	r.faults = maps.Clone(faults)
}

// Querier is implemented by collectors that answer questions below their
// section, such as /bootinfo/kmsg/records or /bootinfo/systemd/units/NAME.
// path is what follows "SECTION/"; params are the URL's query values. The
// answer is served as JSON. Errors wrapping ErrNotFound or ErrBadRequest
// become 404 and 400; any other error 503.
type Querier interface {
	Query(ctx context.Context, path string, params url.Values) (any, error)
}

// Sentinels a Querier wraps to say what kind of failure a query met.
var (
	ErrNotFound   = errors.New("not found")
	ErrBadRequest = errors.New("bad request")
	ErrForbidden  = errors.New("forbidden")
)

// Runner is implemented by collectors that keep their data current in the
// background (kmsg follows the device, systemd watches D-Bus). serve starts
// Run for each; one-shot commands never do, and such collectors then read
// what they need inside Collect. Run starts the background work, which
// lasts until ctx ends, and returns at once.
type Runner interface {
	Run(ctx context.Context)
}

// Stopper is implemented by collectors that record something when the agent
// is stopped by SIGTERM (history marks a clean shutdown).
type Stopper interface {
	Stop()
}

// Stop tells every Stopper in the set that the agent is shutting down. It
// waits for them up to the Set's timeout, not longer: a Stopper stuck
// behind a source that never answers must not keep the agent from exiting.
func (s *Set) Stop() {
	var wg sync.WaitGroup
	pending := map[string]bool{}
	var mu sync.Mutex
	for _, r := range s.runners {
		st, ok := r.c.(Stopper)
		if !ok {
			continue
		}
		mu.Lock()
		pending[r.name] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					s.logger.Error("collector panicked while stopping", "collector", r.name, "panic", p)
				}
			}()
			st.Stop()
			mu.Lock()
			delete(pending, r.name)
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		mu.Lock()
		names := slices.Sorted(maps.Keys(pending))
		mu.Unlock()
		s.logger.Error("collectors did not finish stopping within the collector timeout; exiting without them", "collectors", strings.Join(names, ","), "timeout", s.timeout)
	}
}

// Run starts every Runner in the set, each in a goroutine of its own, and
// returns at once: a Run that reads its source at start (history records
// this boot) may block on it, and must hold neither the caller (serve
// listens next) nor the other collectors. A collector's Collect waits, up
// to its deadline, until its Run has returned.
func (s *Set) Run(ctx context.Context) {
	for _, r := range s.runners {
		rr, ok := r.c.(Runner)
		if !ok {
			continue
		}
		started := make(chan struct{})
		r.mu.Lock()
		r.started = started
		r.mu.Unlock()
		go func() {
			defer close(started)
			defer func() {
				if p := recover(); p != nil {
					s.logger.Error("collector panicked while starting", "collector", r.name, "panic", p)
				}
			}()
			rr.Run(ctx)
		}()
	}
}

// Collector returns the named collector of the set, or nil.
func (s *Set) Collector(name string) Collector {
	for _, r := range s.runners {
		if r.name == name {
			return r.c
		}
	}
	return nil
}

// Query passes a query to the named collector, under the Set's deadline.
func (s *Set) Query(ctx context.Context, name, path string, params url.Values) (any, error) {
	for _, r := range s.runners {
		if r.name != name {
			continue
		}
		q, ok := r.c.(Querier)
		if !ok {
			return nil, fmt.Errorf("%w: section %s has no %q", ErrNotFound, name, path)
		}
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		return q.Query(ctx, path, params)
	}
	return nil, fmt.Errorf("%w: no such section: %s", ErrNotFound, name)
}
