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
	"sync"
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
// goroutines: while a collection is in flight, later callers share it.
type Set struct {
	runners []*runner
	timeout time.Duration
	logger  *slog.Logger

	durationDesc *prometheus.Desc
	successDesc  *prometheus.Desc
}

// NewSet builds a Set over named collectors. timeout bounds each collector's
// share of one gathering.
func NewSet(collectors map[string]Collector, timeout time.Duration, logger *slog.Logger) *Set {
	names := make([]string, 0, len(collectors))
	for n := range collectors {
		names = append(names, n)
	}
	sort.Strings(names)
	s := &Set{
		timeout:      timeout,
		logger:       logger,
		durationDesc: desc("scrape_collector_duration_seconds", "Time a collector took in this scrape.", "collector"),
		successDesc:  desc("scrape_collector_success", "Whether a collector succeeded in this scrape (1) or not (0).", "collector"),
	}
	for _, n := range names {
		r := &runner{name: n, c: collectors[n], logger: logger}
		r.flight.fn = func(start time.Time) outcome { return r.execute(start, timeout) }
		s.runners = append(s.runners, r)
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
			out[i] = r.run(ctx, s.timeout)
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
// own deadline.
type runner struct {
	name   string
	c      Collector
	logger *slog.Logger
	// faults are the Faults last logged; only execute touches them.
	faults map[string]string

	flight flight[outcome]
	// blocks caches the encoded metrics of the last snapshot (see
	// Set.Exposition).
	blocks blockCache
}

// outcome is what one call of Collect produced, and how long it took.
type outcome struct {
	snap *Snapshot
	err  error
	took time.Duration
}

// ErrTimeout is wrapped by the error of a collector that missed its deadline.
var ErrTimeout = errors.New("deadline exceeded")

func (r *runner) run(ctx context.Context, timeout time.Duration) Outcome {
	start := time.Now()
	c := r.flight.join()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return Outcome{Name: r.name, Snapshot: c.val.snap, Err: c.val.err, Duration: c.val.took}
	case <-timer.C:
		return Outcome{Name: r.name, Err: fmt.Errorf("%w: no answer within %s (running for %s)", ErrTimeout, timeout, time.Since(c.start).Round(time.Millisecond)), Duration: time.Since(start)}
	case <-ctx.Done():
		return Outcome{Name: r.name, Err: ctx.Err(), Duration: time.Since(start)}
	}
}

// execute runs Collect, under its own deadline, for a call that started
// at start. A panic is the call's error.
func (r *runner) execute(start time.Time, timeout time.Duration) (o outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			o.snap, o.err = nil, fmt.Errorf("panic: %v", p)
		}
		o.took = time.Since(start)
	}()
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

// Stop tells every Stopper in the set that the agent is shutting down.
func (s *Set) Stop() {
	for _, r := range s.runners {
		if st, ok := r.c.(Stopper); ok {
			st.Stop()
		}
	}
}

// Run starts every Runner in the set.
func (s *Set) Run(ctx context.Context) {
	for _, r := range s.runners {
		if rr, ok := r.c.(Runner); ok {
			rr.Run(ctx)
		}
	}
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
