package collectors

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"time"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/host"
)

// DefaultCheckpointInterval is how often serve writes this boot's last
// words into the state directory, at most.
const DefaultCheckpointInterval = time.Minute

// checkpointMessages is how many kernel records at warning or worse a
// checkpoint keeps.
const checkpointMessages = 20

// shutdownAskWait bounds the question to the manager at SIGTERM.
const shutdownAskWait = 3 * time.Second

// CheckpointConfig configures the checkpoints serve writes.
type CheckpointConfig struct {
	// Dir is the state directory (--state.dir).
	Dir string
	// Paths locate procfs, for the boot ID.
	Paths Paths
	// Records stores message text; false stores none
	// (--no-collector.kmsg.records).
	Records bool
	// Interval is the time between periodic writes; zero means
	// DefaultCheckpointInterval.
	Interval time.Duration
	// Source gives the kernel's problem counts and last messages; nil
	// when the kmsg collector is disabled (then only last_alive is kept).
	Source LastWordsSource
	// Shutdown asks the manager which shutdown is queued (see
	// QueuedShutdown); nil records none.
	Shutdown func(ctx context.Context) (kind, detail string, err error)
	Logger   *slog.Logger
	// now is the clock; tests replace it.
	now func() time.Time
}

// Checkpoints writes this boot's last words into the state directory: once
// the kernel log has been read through, then at most once an Interval, and
// when the agent is stopped, with the shutdown the manager had queued. The
// writes happen in a goroutine of their own: a hung state directory holds
// neither serving nor, beyond stopWait, the agent's exit.
type Checkpoints struct {
	cfg     CheckpointConfig
	stopReq chan *history.Stop
	done    chan struct{}
	started bool
}

// NewCheckpoints returns the checkpoint writer; Run starts it.
func NewCheckpoints(cfg CheckpointConfig) *Checkpoints {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultCheckpointInterval
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	return &Checkpoints{cfg: cfg, stopReq: make(chan *history.Stop), done: make(chan struct{})}
}

// Run starts writing until Stop, or until ctx ends (then without a stop
// mark: the boot is not known to be shutting down).
func (c *Checkpoints) Run(ctx context.Context) {
	c.started = true
	go c.loop(ctx)
}

func (c *Checkpoints) loop(ctx context.Context) {
	defer close(c.done)
	hfs, err := host.NewFS(c.cfg.Paths.ProcFS, c.cfg.Paths.RootFS)
	var bootID string
	if err == nil {
		b, _ := hfs.Boot()
		bootID = b.BootID
	}
	if bootID == "" {
		c.cfg.Logger.Error("no boot id in procfs; not checkpointing this boot's last words", "err", err)
		return
	}
	w := history.NewCheckpointer(c.cfg.Dir, bootID)
	// The first write waits for the kernel log to be read through, so
	// that it counts the whole boot, but not past one interval.
	if src := c.cfg.Source; src != nil {
		t := time.NewTimer(c.cfg.Interval)
		select {
		case <-src.CaughtUp():
		case <-t.C:
		case <-ctx.Done():
		case s := <-c.stopReq:
			t.Stop()
			c.write(w, s)
			return
		}
		t.Stop()
	}
	c.write(w, nil)
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			c.write(w, nil)
		case s := <-c.stopReq:
			c.write(w, s)
			return
		case <-ctx.Done():
			// serve ends ctx at SIGTERM and calls Stop right after:
			// wait for it a moment rather than end without the mark.
			select {
			case s := <-c.stopReq:
				c.write(w, s)
			case <-time.After(stopWait):
			}
			return
		}
	}
}

// write makes one checkpoint from the current view, stop marking the last.
func (c *Checkpoints) write(w *history.Checkpointer, stop *history.Stop) {
	cp := history.Checkpoint{LastAlive: c.cfg.now(), Stop: stop, MessagesWithheld: !c.cfg.Records}
	if c.cfg.Source != nil {
		cp.KernelProblems, cp.KernelMessages = c.cfg.Source.LastWords(checkpointMessages)
	}
	if err := w.Write(cp); err != nil {
		c.cfg.Logger.Error("cannot checkpoint this boot's last words", "dir", c.cfg.Dir, "err", err)
	}
}

// Stop asks the manager which shutdown is queued and writes the last
// checkpoint with that stop mark. It waits at most shutdownAskWait for the
// manager and stopWait for the state directory.
func (c *Checkpoints) Stop() {
	if !c.started {
		return
	}
	stop := &history.Stop{At: c.cfg.now()}
	if c.cfg.Shutdown != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownAskWait)
		kind, detail, err := c.cfg.Shutdown(ctx)
		cancel()
		stop.Kind, stop.Detail = kind, detail
		if err != nil {
			stop.Detail = "cannot ask the manager: " + err.Error()
			if !errors.Is(err, fs.ErrNotExist) { // no manager here
				c.cfg.Logger.Error("cannot ask the service manager which shutdown is queued", "err", err)
			}
		}
	}
	timer := time.NewTimer(stopWait)
	defer timer.Stop()
	select {
	case c.stopReq <- stop:
	case <-c.done:
		return
	case <-timer.C:
		c.cfg.Logger.Error("cannot checkpoint the stop: the state directory did not answer", "dir", c.cfg.Dir, "waited", stopWait)
		return
	}
	select {
	case <-c.done:
	case <-timer.C:
		c.cfg.Logger.Error("cannot checkpoint the stop: the state directory did not answer", "dir", c.cfg.Dir, "waited", stopWait)
	}
}
