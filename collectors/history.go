package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/host"
	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/prometheus/client_golang/prometheus"
)

// HistoryConfig holds the history collector's options.
type HistoryConfig struct {
	// Dir is the state directory (--state.dir).
	Dir string
	// Keep is how many boots to keep.
	Keep int
}

// HistorySection is the JSON section "history".
type HistorySection struct {
	Boots           []history.Record `json:"boots"`
	Changes         []history.Change `json:"changes"`
	PreviousBootEnd history.End      `json:"previous_boot_end"`
	// Persisted says whether this boot's record reached the state
	// directory; false with StateError when history is disabled.
	Persisted  bool     `json:"persisted"`
	StateDir   string   `json:"state_dir"`
	StateError string   `json:"state_error,omitempty"`
	Problems   []string `json:"problems,omitempty"`
	// SerialsWithheld says that serial numbers and UUIDs were left out
	// (--no-collector.dmi.serials): blank in Boots, "changed (withheld)"
	// in Changes.
	SerialsWithheld bool `json:"serials_withheld,omitempty"`
	// MessagesWithheld says that kernel message text was left out
	// (--no-collector.kmsg.records): PreviousBootEnd has no first_lines
	// and no last_kernel_messages.
	MessagesWithheld bool `json:"messages_withheld,omitempty"`
}

// maxStuckBuilds bounds the builds that callers gave up waiting for and
// that have not ended (a read stuck on a hung mount): past it, Collect fails
// at once instead of starting another.
const maxStuckBuilds = 2

// stopWait bounds how long Stop waits for the clean-shutdown mark to be
// written, so that a hung state directory cannot hold the agent's exit.
const stopWait = 5 * time.Second

type historyCollector struct {
	cfg     HistoryConfig
	serials bool
	records bool
	paths   Paths
	logger  *slog.Logger
	// openStore opens the state directory: history.Open to record this
	// boot, history.OpenReadOnly otherwise. Tests replace it to hold a
	// build in I/O.
	openStore func(dir string, keep int, persist bool) (*history.Store, error)
	// stopWait is the stopWait constant; tests shorten it.
	stopWait time.Duration

	boots, changes, clean, endKind *prometheus.Desc

	// mu guards the fields below. It is never held across I/O, so that a
	// build stuck in a read holds neither a fresh attempt nor Stop.
	mu sync.Mutex
	// serving is set by Run: builds then record this boot.
	serving bool
	// snap and err are the first complete build's, kept for good (a
	// persisting one's once serving); snapPersist says it recorded.
	snap        *Snapshot
	err         error
	snapPersist bool
	// cur is the build callers join; nil when none is in flight, or when
	// the last was given up by every caller waiting for it.
	cur *historyBuild
	// stuck counts builds given up and not ended.
	stuck int
	// store and rec are what Stop marks: the store a persisting build
	// recorded this boot in.
	store *history.Store
	rec   *history.Record
}

// historyBuild is one build in flight.
type historyBuild struct {
	persist bool
	// fromRun marks the build Run started, whose failure nobody else
	// reports (a scrape's is logged by the Set).
	fromRun bool
	done    chan struct{}
	// snap and err are set before done is closed.
	snap *Snapshot
	err  error
	// waiters and abandoned are guarded by the collector's mu.
	waiters   int
	abandoned bool
}

// NewHistoryCollector compares this boot with the previous one recorded in
// the state directory and says how the previous boot ended.
func NewHistoryCollector(cfg Config) (Collector, error) {
	keep := cfg.History.Keep
	if keep <= 0 {
		keep = history.DefaultKeep
	}
	dir := cfg.History.Dir
	if dir == "" {
		dir = history.DefaultDir
	}
	return &historyCollector{
		cfg:       HistoryConfig{Dir: dir, Keep: keep},
		serials:   cfg.DMI.Serials,
		records:   cfg.Kmsg.Records,
		paths:     cfg.Paths,
		logger:    cfg.Logger,
		openStore: openHistoryStore,
		stopWait:  stopWait,
		boots:     desc("boots_recorded", "Boots kept in the state directory's history."),
		changes:   desc("boot_changes", "Whether a component changed between the previous boot and this one (1) or not (0).", "component"),
		clean:     desc("previous_boot_clean", "How the previous boot ended: 1 clean shutdown, 0 crashed (pstore holds its panic or oops), -1 unknown."),
		endKind:   desc("previous_boot_end_info", "How the previous boot ended, by kind (reboot, poweroff, halt, kexec, watchdog, crash, unknown); value 1.", "kind"),
	}, nil
}

func openHistoryStore(dir string, keep int, persist bool) (*history.Store, error) {
	if persist {
		return history.Open(dir, keep)
	}
	return history.OpenReadOnly(dir, keep)
}

// current gathers this boot's facts from the sources themselves, so history
// works whatever other collectors are enabled.
func (c *historyCollector) current() (history.Record, error) {
	var r history.Record
	hfs, err := host.NewFS(c.paths.ProcFS, c.paths.RootFS)
	if err != nil {
		return r, err
	}
	b, _ := hfs.Boot()
	if b.BootID == "" {
		return r, errors.New("history: no boot id in procfs, cannot key this boot")
	}
	if sum, _, err := dmi.NewFS(c.paths.SysFS).Summary(); err == nil && sum != nil {
		r = history.FromSMBIOS(sum)
	}
	r.BootID, r.BootTime, r.KernelRelease, r.Cmdline = b.BootID, b.BootTime, b.KernelRelease, b.CmdlineRaw
	if efs, err := efi.NewFS(c.paths.SysFS); err == nil {
		if st, err := efs.BootState(); err == nil {
			mode, ev := decideFirmwareMode(readFirmwareFacts(hostfile.NewRoot(c.paths.SysFS), dmi.NewFS(c.paths.SysFS)))
			r.FirmwareMode, r.FirmwareModeEvidence, r.SecureBoot = string(mode), ev, st.SecureBoot
		}
	}
	r.DefaultTarget = defaultTarget(hostfile.NewRoot(c.paths.RootFS))
	return r, nil
}

// defaultTarget reads systemd's default.target link as systemctl
// get-default does, without D-Bus; the directories on the way resolve
// inside the root file system.
func defaultTarget(root hostfile.Root) string {
	for _, p := range []string{"etc/systemd/system/default.target", "usr/lib/systemd/system/default.target", "lib/systemd/system/default.target"} {
		if dst, err := root.Readlink(p); err == nil {
			return path.Base(dst)
		}
	}
	return ""
}

// Run records this boot in the state directory, in the background: serve
// listens meanwhile, and a scrape waits for the record up to its deadline.
func (c *historyCollector) Run(context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.serving = true
	if (c.snap != nil && c.snapPersist) || (c.cur != nil && c.cur.persist) {
		return
	}
	c.startLocked(true, true)
}

// Stop marks a clean shutdown of this boot, for the next boot to see. A
// boot still being recorded (the agent stopped right after it started) is
// waited for; in all, Stop waits at most stopWait for the state directory,
// so that a hung one cannot hold the agent's exit.
func (c *historyCollector) Stop() {
	timer := time.NewTimer(c.stopWait)
	defer timer.Stop()
	c.mu.Lock()
	store, rec, b := c.store, c.rec, c.cur
	c.mu.Unlock()
	if store == nil && b != nil && b.persist {
		select {
		case <-b.done:
		case <-timer.C:
			c.logger.Error("cannot mark a clean shutdown: this boot is still being recorded", "dir", c.cfg.Dir, "waited", c.stopWait)
			return
		}
		c.mu.Lock()
		store, rec = c.store, c.rec
		c.mu.Unlock()
	}
	if store == nil || rec == nil {
		return
	}
	done := make(chan error, 1)
	go func() { done <- store.MarkCleanShutdown(rec.BootID, time.Now()) }()
	select {
	case err := <-done:
		if err != nil {
			c.logger.Error("cannot mark a clean shutdown", "err", err)
		}
	case <-timer.C:
		c.logger.Error("cannot mark a clean shutdown: the state directory did not answer", "dir", c.cfg.Dir, "waited", c.stopWait)
	}
}

// Collect returns the history snapshot: the kept one, or that of the build
// in flight (starting one when there is none), waiting for it up to ctx's
// end. A build that every caller gave up on is left to end on its own; the
// next caller starts another, up to maxStuckBuilds stuck at once.
func (c *historyCollector) Collect(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	if c.snap != nil && (c.snapPersist || !c.serving) {
		defer c.mu.Unlock()
		return c.snap, c.err
	}
	b := c.cur
	if b == nil {
		if c.stuck >= maxStuckBuilds {
			n := c.stuck
			c.mu.Unlock()
			return nil, fmt.Errorf("history: %d earlier attempts are still blocked reading the host or the state directory %s; not starting another", n, c.cfg.Dir)
		}
		b = c.startLocked(c.serving, false)
	}
	b.waiters++
	c.mu.Unlock()
	select {
	case <-b.done:
		return b.snap, b.err
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		if b.waiters--; b.waiters == 0 && c.cur == b {
			// Nobody waits for it any more: the next caller starts
			// afresh rather than join a build that may never end.
			c.cur, b.abandoned = nil, true
			c.stuck++
		}
		return nil, fmt.Errorf("history: %w", ctx.Err())
	}
}

// startLocked starts a build in a goroutine of its own and makes it the
// one callers join. c.mu is held.
func (c *historyCollector) startLocked(persist, fromRun bool) *historyBuild {
	b := &historyBuild{persist: persist, fromRun: fromRun, done: make(chan struct{})}
	c.cur = b
	go c.build(b)
	return b
}

// build runs b and keeps its result.
func (c *historyCollector) build(b *historyBuild) {
	snap, store, rec, err := c.compare(b.persist)
	if err != nil && b.fromRun {
		c.logger.Error("boot history", "err", err)
	}
	c.mu.Lock()
	b.snap, b.err = snap, err
	if b.abandoned {
		c.stuck--
	}
	if c.cur == b {
		c.cur = nil
	}
	if snap != nil && (c.snap == nil || (b.persist && !c.snapPersist)) {
		c.snap, c.err, c.snapPersist = snap, err, b.persist
		if b.persist {
			c.store, c.rec = store, rec
		}
	}
	c.mu.Unlock()
	close(b.done)
}

// compare reads the history, records this boot in it with persist (serve;
// without, the state directory is only read, and a one-shot command changes
// nothing on disk), and compares this boot with the previous one. It holds
// no lock.
func (c *historyCollector) compare(persist bool) (*Snapshot, *history.Store, *history.Record, error) {
	cur, err := c.current()
	if err != nil {
		return nil, nil, nil, err
	}
	store, err := c.openStore(c.cfg.Dir, c.cfg.Keep, persist)
	if err != nil {
		return nil, nil, nil, err
	}
	sec := &HistorySection{StateDir: c.cfg.Dir}
	for _, p := range store.Problems() {
		sec.Problems = append(sec.Problems, p.Error())
	}
	var prev *history.Record
	var recErr error
	if persist {
		prev, recErr = store.Record(cur)
		sec.Persisted = recErr == nil
	} else {
		for _, b := range store.Boots() {
			if b.BootID != cur.BootID {
				b := b
				prev = &b
				break
			}
		}
	}
	sec.Boots = store.Boots()
	if rest := withoutBoot(sec.Boots, cur.BootID); !persist {
		sec.Persisted = len(rest) < len(sec.Boots)
		if !sec.Persisted {
			// This boot is not recorded yet (no agent ran): show it
			// as it would be, without writing it.
			sec.Boots = append([]history.Record{cur}, rest...)
		}
	}
	sec.Changes = []history.Change{}
	sec.PreviousBootEnd = history.PreviousBootEndOnHost(prev, hostfile.NewRoot(c.paths.SysFS),
		hostfile.NewRoot(c.paths.RootFS), cur.BootTime)
	prevID := ""
	if prev != nil {
		prevID = prev.BootID
	}
	last, cpErr := history.PreviousCheckpoint(c.cfg.Dir, cur.BootID, prevID)
	if cpErr != nil {
		sec.Problems = append(sec.Problems, cpErr.Error())
	}
	history.JudgeKind(&sec.PreviousBootEnd, last, history.ReadWatchdogs(hostfile.NewRoot(c.paths.SysFS)))
	if recErr != nil {
		sec.StateError = fmt.Sprintf("history disabled: %v", recErr)
	}
	if !c.records {
		sec.PreviousBootEnd.FirstLines = nil
		sec.PreviousBootEnd.LastKernelMessages = nil
		sec.MessagesWithheld = true
	}
	if prev != nil {
		if c.serials {
			sec.Changes = history.Diff(*prev, cur)
		} else {
			sec.Changes = history.DiffWithheld(*prev, cur)
		}
	}
	if !c.serials {
		// Every serial either boot or any kept one holds, wherever it
		// appears: the fields, and any text that quotes one.
		secrets := cur.Serials()
		for _, b := range sec.Boots {
			secrets = append(secrets, b.Serials()...)
		}
		if prev != nil {
			secrets = append(secrets, prev.Serials()...)
		}
		sec.Boots = withholdHistorySerials(sec.Boots)
		redactSection(sec, newRedactor(secrets))
		sec.SerialsWithheld = true
	}
	if recErr != nil {
		c.logger.Error("boot history cannot be saved; comparing in memory only", "dir", c.cfg.Dir, "err", sec.StateError)
	}
	// A history that cannot be saved is the collector's error, so it
	// shows in the success metric and the document's errors, while the
	// comparison is still served.
	var stateErr error
	if sec.StateError != "" {
		stateErr = errors.New(sec.StateError)
	}
	return &Snapshot{Section: sec, Metrics: c.metrics(sec)}, store, &cur, stateErr
}

// withheldText replaces a withheld value found inside other text; the same
// marker `bootinfo dmi` prints (dmidecode.Withheld).
const withheldText = "<WITHHELD>"

// newRedactor returns a function that replaces every occurrence of the
// secrets in a string, longest first, or nil when there are none.
func newRedactor(secrets []string) func(string) string {
	seen := map[string]bool{}
	var olds []string
	for _, s := range secrets {
		if len(s) >= 4 && !seen[s] {
			seen[s] = true
			olds = append(olds, s)
		}
	}
	if len(olds) == 0 {
		return func(s string) string { return s }
	}
	sort.Slice(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, withheldText)
	}
	return strings.NewReplacer(pairs...).Replace
}

// redactSection runs every free text of sec through redact: change
// descriptions, how the previous boot ended (with pstore's text), problems
// and the state error.
func redactSection(sec *HistorySection, redact func(string) string) {
	for i := range sec.Changes {
		ch := &sec.Changes[i]
		ch.Before, ch.After, ch.Detail = redact(ch.Before), redact(ch.After), redact(ch.Detail)
	}
	e := &sec.PreviousBootEnd
	e.Detail = redact(e.Detail)
	for i := range e.FirstLines {
		e.FirstLines[i] = redact(e.FirstLines[i])
	}
	e.KindDetail = redact(e.KindDetail)
	for i := range e.LastKernelMessages {
		e.LastKernelMessages[i].Message = redact(e.LastKernelMessages[i].Message)
	}
	for i := range sec.Problems {
		sec.Problems[i] = redact(sec.Problems[i])
	}
	sec.StateError = redact(sec.StateError)
	for i := range sec.Boots {
		b := &sec.Boots[i]
		b.Cmdline = redact(b.Cmdline)
	}
}

// withholdHistorySerials returns copies of boots without serial numbers and
// UUIDs (--no-collector.dmi.serials); the state file keeps them for the
// comparison.
func withholdHistorySerials(boots []history.Record) []history.Record {
	out := make([]history.Record, len(boots))
	for i, b := range boots {
		b.System.UUID, b.System.SerialNumber = "", ""
		dimms := make([]history.DIMM, len(b.DIMMs))
		for j, d := range b.DIMMs {
			d.SerialNumber = ""
			dimms[j] = d
		}
		b.DIMMs = dimms
		out[i] = b
	}
	return out
}

func withoutBoot(boots []history.Record, id string) []history.Record {
	out := boots[:0:0]
	for _, b := range boots {
		if b.BootID != id {
			out = append(out, b)
		}
	}
	return out
}

func (c *historyCollector) metrics(sec *HistorySection) []prometheus.Metric {
	ms := []prometheus.Metric{gauge(c.boots, float64(len(sec.Boots)))}
	changed := map[string]bool{}
	for _, ch := range sec.Changes {
		changed[ch.Component] = true
	}
	for _, comp := range history.Components {
		ms = append(ms, gauge(c.changes, boolFloat(changed[comp]), comp))
	}
	clean := -1.0
	switch strings.ToLower(sec.PreviousBootEnd.State) {
	case history.EndClean:
		clean = 1
	case history.EndCrashed:
		clean = 0
	}
	ms = append(ms, gauge(c.clean, clean))
	if k := sec.PreviousBootEnd.Kind; k != "" {
		ms = append(ms, gauge(c.endKind, 1, k))
	}
	return ms
}
