package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/host"
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
}

type historyCollector struct {
	cfg     HistoryConfig
	serials bool
	paths   Paths
	logger  *slog.Logger

	cache snapshotCache

	mu    sync.Mutex // held while building, and by Stop
	store *history.Store
	cur   *history.Record

	boots, changes, clean *prometheus.Desc
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
		cfg:     HistoryConfig{Dir: dir, Keep: keep},
		serials: cfg.DMI.Serials,
		paths:   cfg.Paths,
		logger:  cfg.Logger,
		boots:   desc("boots_recorded", "Boots kept in the state directory's history."),
		changes: desc("boot_changes", "Whether a component changed between the previous boot and this one (1) or not (0).", "component"),
		clean:   desc("previous_boot_clean", "How the previous boot ended: 1 clean shutdown, 0 crashed (pstore holds its panic or oops), -1 unknown."),
	}, nil
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
			r.FirmwareMode, r.SecureBoot = string(st.Mode), st.SecureBoot
		}
	}
	r.DefaultTarget = defaultTarget(c.paths.RootFS)
	return r, nil
}

// defaultTarget reads systemd's default.target link as systemctl
// get-default does, without D-Bus.
func defaultTarget(root string) string {
	for _, p := range []string{"etc/systemd/system/default.target", "usr/lib/systemd/system/default.target", "lib/systemd/system/default.target"} {
		if dst, err := os.Readlink(filepath.Join(root, p)); err == nil {
			return filepath.Base(dst)
		}
	}
	return ""
}

// Run records this boot in the state directory once, at start.
func (c *historyCollector) Run(context.Context) {
	if _, err := c.build(true); err != nil {
		c.logger.Error("boot history", "err", err)
	}
}

// Stop marks a clean shutdown of this boot, for the next boot to see.
func (c *historyCollector) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store == nil || c.cur == nil {
		return
	}
	if err := c.store.MarkCleanShutdown(c.cur.BootID, time.Now()); err != nil {
		c.logger.Error("cannot mark a clean shutdown", "err", err)
	}
}

func (c *historyCollector) Collect(context.Context) (*Snapshot, error) {
	return c.build(false)
}

// build makes the snapshot once. With persist (serve), this boot is
// written to the state directory; without (show), the history is only read
// and compared, so a one-shot command changes nothing on disk.
func (c *historyCollector) build(persist bool) (*Snapshot, error) {
	return c.cache.get(func() (*Snapshot, error) { return c.compare(persist) })
}

// compare reads the history, records this boot in it with persist, and
// compares this boot with the previous one.
func (c *historyCollector) compare(persist bool) (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, err := c.current()
	if err != nil {
		return nil, err
	}
	store, err := history.Open(c.cfg.Dir, c.cfg.Keep)
	if err != nil {
		return nil, err
	}
	sec := &HistorySection{StateDir: c.cfg.Dir}
	for _, p := range store.Problems() {
		sec.Problems = append(sec.Problems, p.Error())
	}
	var prev *history.Record
	if persist {
		var recErr error
		prev, recErr = store.Record(cur)
		sec.Persisted = recErr == nil
		if recErr != nil {
			sec.StateError = fmt.Sprintf("history disabled: %v", recErr)
			c.logger.Error("boot history cannot be saved; comparing in memory only", "dir", c.cfg.Dir, "err", recErr)
		}
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
	if prev != nil {
		sec.Changes = history.Diff(*prev, cur)
	}
	if !c.serials {
		sec.Boots = withholdHistorySerials(sec.Boots)
		for i, ch := range sec.Changes {
			if ch.Component == "system_identity" || ch.Component == "dimms" {
				sec.Changes[i].Before, sec.Changes[i].After = "", ""
			}
		}
	}
	sec.PreviousBootEnd = history.PreviousBootEndArchived(prev, history.PstoreDir(c.paths.SysFS),
		filepath.Join(c.paths.RootFS, history.SystemdPstoreArchive), cur.BootTime)
	c.store, c.cur = store, &cur
	// A history that cannot be saved is the collector's error, so it
	// shows in the success metric and the document's errors, while the
	// comparison is still served.
	var stateErr error
	if sec.StateError != "" {
		stateErr = errors.New(sec.StateError)
	}
	return &Snapshot{Section: sec, Metrics: c.metrics(sec)}, stateErr
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
	return append(ms, gauge(c.clean, clean))
}
