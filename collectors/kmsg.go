package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultKmsgKeep and MaxKmsgKeep are the default and the largest number
// of recent records the kmsg collector keeps. The ring of kept records is
// allocated at start, about 72 bytes a slot, and each record then holds its
// message (up to about 1 KiB): MaxKmsgKeep is 7 MiB up front and some tens
// of MiB when full, more records than the largest kernel ring buffers hold.
const (
	DefaultKmsgKeep = 1000
	MaxKmsgKeep     = 100_000
)

// KmsgConfig holds the kmsg collector's options.
type KmsgConfig struct {
	// Keep is how many recent records are kept for /bootinfo/kmsg/records.
	Keep int
	// Records serves message text (recent records, the last message of each
	// problem, milestone lines); false withholds it.
	Records bool
}

// KmsgSection is the JSON section "kmsg": the summary of the kernel log since
// boot, plus the state of the reader.
type KmsgSection struct {
	kmsg.Snapshot
	Following       bool   `json:"following"`
	ReaderRestarts  uint64 `json:"reader_restarts"`
	ReaderError     string `json:"reader_error,omitempty"`
	MessageWithheld bool   `json:"messages_withheld,omitempty"`
}

// KmsgRecord is one record as /bootinfo/kmsg/records and `bootinfo kmsg
// --format json` print it. Priority is the raw prefix (facility*8 + level).
type KmsgRecord struct {
	Seq      uint64            `json:"seq"`
	Priority int               `json:"priority"`
	Level    string            `json:"level"`
	Facility string            `json:"facility"`
	TimeUS   uint64            `json:"time_us"`
	Caller   string            `json:"caller,omitempty"`
	Message  string            `json:"message"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// NewKmsgRecord converts a decoded record.
func NewKmsgRecord(r kmsg.Record) KmsgRecord {
	return KmsgRecord{Seq: r.Seq, Priority: r.Priority(), Level: r.Level.String(), Facility: r.Facility.String(),
		TimeUS: r.TimestampUsec, Caller: r.Caller, Message: r.Message, Fields: r.Dict}
}

type levelFacility struct {
	f kmsg.Facility
	l kmsg.Level
}

type kmsgCollector struct {
	fs       kmsg.FS
	cfg      KmsgConfig
	follower *kmsg.Follower

	mu        sync.Mutex
	summary   *kmsg.Summary
	ring      *kmsg.Ring
	counts    map[levelFacility]uint64
	following bool
	// stopped is closed once the follower Run started has returned.
	stopped chan struct{}

	records, lost, problems, milestone, restartsDesc, tainted *prometheus.Desc
}

// NewKmsgCollector reads the kernel log. In serve it follows /dev/kmsg in
// the background (Run); elsewhere each Collect reads what is new.
func NewKmsgCollector(cfg Config) (Collector, error) {
	keep := cfg.Kmsg.Keep
	switch {
	case keep == 0:
		keep = DefaultKmsgKeep
	case keep < 0 || keep > MaxKmsgKeep:
		// The ring is allocated whole, at once: refused rather than
		// replaced (cmd/bootinfo refuses the flag before this).
		return nil, fmt.Errorf("kmsg: records to keep must be from 1 to %d, got %d", MaxKmsgKeep, keep)
	}
	c := &kmsgCollector{
		fs:           kmsg.NewFS(cfg.Paths.DevFS),
		cfg:          cfg.Kmsg,
		summary:      kmsg.NewSummary(),
		ring:         kmsg.NewRing(keep),
		counts:       map[levelFacility]uint64{},
		records:      desc("kmsg_records_total", "Kernel log records read since boot, by syslog facility and level.", "facility", "level"),
		lost:         desc("kmsg_lost_records_total", "Kernel log records overwritten in the ring buffer before they could be read (sequence gaps)."),
		problems:     desc("kernel_problems_total", "Kernel problems logged since boot by kind (oom_kill, hung_task, soft_lockup, rcu_stall, io_error, fs_error, hardware_error, segfault, oops, panic, firmware_bug, buffer_io_error, fs_readonly, fs_shutdown, fs_warning, unregister_netdevice, net_tx_timeout, nfs_timeout); kernel-facility records only.", "kind"),
		milestone:    desc("kernel_milestone_seconds", "Seconds after boot at which the kernel logged a boot milestone.", "milestone"),
		restartsDesc: desc("kmsg_reader_restarts_total", "Times the kernel log reader failed and reopened the device."),
		tainted:      desc("kernel_tainted", "Whether the kernel log says the kernel is tainted (1) or not (0)."),
	}
	logger := cfg.Logger
	c.follower = kmsg.NewFollower(c.fs, c.add, func(err error, retryIn time.Duration) {
		logger.Error("kernel log reader failed; reopening", "err", c.withhold(err), "retry_in", retryIn)
	})
	c.stopped = make(chan struct{})
	return c, nil
}

// add takes one new record into the summary, ring and counters.
func (c *kmsgCollector) add(r kmsg.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.summary.Add(r)
	c.ring.Add(r)
	c.counts[levelFacility{r.Facility, r.Level}]++
}

// Run starts following the device until ctx ends (see kmsg.Follower).
func (c *kmsgCollector) Run(ctx context.Context) {
	c.mu.Lock()
	c.following = true
	c.mu.Unlock()
	go func() {
		defer close(c.stopped)
		c.follower.Run(ctx)
	}()
}

func (c *kmsgCollector) Collect(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	following := c.following
	c.mu.Unlock()
	var readErr error
	if following {
		// Serve the first scrape from the whole buffer, not half of it.
		select {
		case <-c.follower.CaughtUp():
		case <-ctx.Done():
		}
	} else if err := c.follower.ReadToEnd(ctx); err != nil {
		readErr = c.readError(err)
	}

	st := c.follower.State()
	if following && st.Err != nil && !st.Seen {
		readErr = c.readError(st.Err)
	}
	if readErr != nil && !st.Seen {
		return nil, readErr
	}
	return c.snapshot(following, st), readErr
}

// snapshot makes the section and series from the records added so far and
// the reader's state st.
func (c *kmsgCollector) snapshot(following bool, st kmsg.FollowerState) *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	sec := &KmsgSection{Snapshot: c.summary.Snapshot(), Following: following, ReaderRestarts: st.Restarts}
	if st.Err != nil {
		sec.ReaderError = c.withhold(st.Err).Error()
	}
	if !c.cfg.Records {
		withholdKmsgText(&sec.Snapshot)
		sec.MessageWithheld = true
	}
	// Every series but the restarts is made from the records added, each
	// of which moves RecordsSeen (with the counters, under c.mu); lost
	// records are counted from the same records, and are in the key in
	// case they are ever counted otherwise.
	key := kmsgMetricsKey{seen: sec.RecordsSeen, lost: sec.RecordsLost, restarts: sec.ReaderRestarts}
	return &Snapshot{Section: sec, Metrics: c.metrics(sec), MetricsKey: key}
}

// kmsgMetricsKey says when the kmsg collector's series change: with every
// record read, and with every restart of the reader.
type kmsgMetricsKey struct{ seen, lost, restarts uint64 }

// readError names the device a reading failed on, and what reading it
// takes when it was refused.
func (c *kmsgCollector) readError(err error) error {
	return fmt.Errorf("reading %s: %w%s", c.fs.Path(), c.withhold(err), kmsg.PermissionHint(err))
}

// withheldError stands for an error whose message may quote a record's
// text (a malformed record's header), with --no-collector.kmsg.records.
type withheldError struct{ kind error }

func (e withheldError) Error() string {
	return e.kind.Error() + " (its text withheld: --no-collector.kmsg.records)"
}

func (e withheldError) Unwrap() error { return e.kind }

// withhold returns err, or without --collector.kmsg.records an error that
// quotes nothing of the record when err might: every error the collector
// logs or serves goes through it.
func (c *kmsgCollector) withhold(err error) error {
	return WithholdKmsgError(err, c.cfg.Records)
}

// WithholdKmsgError returns err when records (--collector.kmsg.records) is
// set, else, for an error about a record that may quote its text, one that
// names only the kind of fault: for `bootinfo kmsg` as for the collector.
func WithholdKmsgError(err error, records bool) error {
	if err == nil || records {
		return err
	}
	for _, kind := range []error{kmsg.ErrMalformed, kmsg.ErrTruncated} {
		if errors.Is(err, kind) {
			return withheldError{kind}
		}
	}
	return err
}

// WithholdKmsgText blanks every message the summary quotes
// (--no-collector.kmsg.records), for `bootinfo kmsg` as for the collector.
func WithholdKmsgText(s *kmsg.Snapshot) { withholdKmsgText(s) }

// withholdKmsgText blanks every message the summary quotes.
func withholdKmsgText(s *kmsg.Snapshot) {
	for k, p := range s.Problems {
		if p.Last != nil {
			e := *p.Last
			e.Message = ""
			p.Last = &e
			s.Problems[k] = p
		}
	}
	m := &s.Milestones
	for _, e := range []**kmsg.Event{&m.KernelBanner, &m.CommandLine, &m.EFI, &m.SMBIOS, &m.DMI, &m.SecureBoot, &m.InitHandoff, &m.FreeingInitMem, &m.Taint.First} {
		if *e != nil {
			cp := **e
			cp.Message = ""
			*e = &cp
		}
	}
	m.CommandLineText = ""
	m.Taint.Reasons = nil
}

func (c *kmsgCollector) metrics(sec *KmsgSection) []prometheus.Metric {
	var ms []prometheus.Metric
	for lf, n := range c.counts {
		ms = append(ms, counter(c.records, float64(n), lf.f.String(), lf.l.String()))
	}
	ms = append(ms,
		counter(c.lost, float64(sec.RecordsLost)),
		counter(c.restartsDesc, float64(sec.ReaderRestarts)),
		gauge(c.tainted, boolFloat(sec.Milestones.Taint.Tainted)),
	)
	for _, p := range kmsg.Problems {
		ms = append(ms, counter(c.problems, float64(sec.Problems[p].Count), string(p)))
	}
	m := sec.Milestones
	for name, e := range map[string]*kmsg.Event{
		"kernel_banner": m.KernelBanner, "command_line": m.CommandLine, "efi": m.EFI, "smbios": m.SMBIOS,
		"dmi": m.DMI, "secure_boot": m.SecureBoot, "init_handoff": m.InitHandoff, "freeing_init_mem": m.FreeingInitMem,
	} {
		if e != nil {
			ms = append(ms, gauge(c.milestone, e.Seconds, name))
		}
	}
	return ms
}

// Query answers records?level=LEVEL[,LEVEL]&since_seq=N&limit=N: the recent
// records kept, oldest first.
func (c *kmsgCollector) Query(_ context.Context, path string, params url.Values) (any, error) {
	if path != "records" {
		return nil, fmt.Errorf("%w: kmsg has records, not %q", ErrNotFound, path)
	}
	if !c.cfg.Records {
		return nil, fmt.Errorf("%w: kernel messages are withheld (--no-collector.kmsg.records)", ErrForbidden)
	}
	q := kmsg.Query{}
	levels, err := ParseKmsgLevels(params.Get("level"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if s := params.Get("since_seq"); s != "" {
		if q.SinceSeq, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, fmt.Errorf("%w: since_seq must be a sequence number, got %q", ErrBadRequest, s)
		}
	}
	limit := 0
	if s := params.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 0 {
			return nil, fmt.Errorf("%w: limit must be a number of records, got %q", ErrBadRequest, s)
		}
	}
	recs := c.ring.Query(q)
	out := make([]KmsgRecord, 0, len(recs))
	for _, r := range recs {
		if levels == nil || levels[r.Level] {
			out = append(out, NewKmsgRecord(r))
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return map[string]any{"records": out}, nil
}

// ParseKmsgLevels parses dmesg's --level list ("err,warn"); nil means all.
func ParseKmsgLevels(s string) (map[kmsg.Level]bool, error) {
	if s == "" {
		return nil, nil
	}
	out := map[kmsg.Level]bool{}
	for _, name := range strings.Split(s, ",") {
		l, ok := kmsg.ParseLevel(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown level %q (emerg, alert, crit, err, warn, notice, info, debug)", name)
		}
		out[l] = true
	}
	return out, nil
}
