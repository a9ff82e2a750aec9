package kmsg

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// Follower keeps reading the kernel log device: it reads the log to its
// end, then follows it, and when a reading fails it opens the device
// again after a backoff. The backoff starts at a second and doubles while
// readings keep failing, up to a minute and once more; a reading that
// lasted more than a minute before it failed starts it again at a second.
// Every reading starts at the oldest record the kernel still holds, so a
// Follower passes each record on once: records at or below the newest
// sequence number it passed on are skipped.
//
// Run and ReadToEnd read; they must not run at the same time. State and
// CaughtUp are safe to call from any goroutine.
type Follower struct {
	add    func(Record)
	failed func(err error, retryIn time.Duration)

	open func(OpenOptions) (recordReader, error)
	now  func() time.Time
	// wait waits d, and reports false when ctx ended first.
	wait func(ctx context.Context, d time.Duration) bool

	mu       sync.Mutex
	seen     bool
	last     uint64
	restarts uint64
	err      error

	caughtUp chan struct{}
	upOnce   sync.Once
}

// recordReader is what a Follower reads: a Device, or a test's fake.
type recordReader interface {
	Next(ctx context.Context) (Record, error)
	Close() error
}

// NewFollower returns a Follower of the device fs locates. add receives
// each record once, in the order read, from the goroutine reading. failed,
// when not nil, is told of each failed reading that Run will start again:
// why it failed and how long Run waits before it opens the device again.
func NewFollower(fs FS, add func(Record), failed func(err error, retryIn time.Duration)) *Follower {
	return &Follower{
		add:    add,
		failed: failed,
		open: func(o OpenOptions) (recordReader, error) {
			d, err := fs.Open(o)
			if err != nil {
				return nil, err
			}
			return d, nil
		},
		now:      time.Now,
		wait:     sleep,
		caughtUp: make(chan struct{}),
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// FollowerState is what a Follower has read so far.
type FollowerState struct {
	// Seen is true once a record was passed on; LastSeq is the newest
	// one's sequence number.
	Seen    bool
	LastSeq uint64
	// Restarts counts the readings Run saw fail.
	Restarts uint64
	// Err is why the last of them failed; nil before the first.
	Err error
}

// State returns what the Follower has read so far.
func (f *Follower) State() FollowerState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FollowerState{Seen: f.seen, LastSeq: f.last, Restarts: f.restarts, Err: f.err}
}

// CaughtUp is closed once a reading reached the end of the log, or a
// reading in Run failed: from then on, State and what add received are
// the whole log, or all there is to have of it for now.
func (f *Follower) CaughtUp() <-chan struct{} { return f.caughtUp }

func (f *Follower) markCaughtUp() { f.upOnce.Do(func() { close(f.caughtUp) }) }

// ReadToEnd reads the device from its oldest record to the end of the
// log, passing on the records not passed on before, and returns. It stops
// with ctx's error once ctx is done.
func (f *Follower) ReadToEnd(ctx context.Context) error { return f.read(ctx, false) }

// Run reads the log to its end and then follows it until ctx is done,
// opening the device again with backoff whenever a reading fails. It
// returns when ctx is done.
func (f *Follower) Run(ctx context.Context) {
	backoff := time.Second
	for {
		start := f.now()
		// Read to the end first, so that CaughtUp tells when the whole
		// log is in; then follow.
		err := f.read(ctx, false)
		if err == nil {
			err = f.read(ctx, true)
		}
		if ctx.Err() != nil {
			return
		}
		f.mu.Lock()
		f.err = err
		f.restarts++
		f.mu.Unlock()
		// A reader that cannot read must not keep its users waiting
		// for the log: they can see why in State.
		f.markCaughtUp()
		if f.now().Sub(start) > time.Minute {
			backoff = time.Second
		}
		if f.failed != nil {
			f.failed(err, backoff)
		}
		if !f.wait(ctx, backoff) {
			return
		}
		if backoff < time.Minute {
			backoff *= 2
		}
	}
}

// read reads from the device until the end of the log (follow false), or
// until ctx is done or a read fails.
func (f *Follower) read(ctx context.Context, follow bool) error {
	dev, err := f.open(OpenOptions{Follow: follow})
	if err != nil {
		return err
	}
	defer dev.Close()
	for {
		if !follow {
			// Reading to the end must not outlive ctx either.
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r, err := dev.Next(ctx)
		switch {
		case err == nil:
			f.pass(r)
		case errors.Is(err, io.EOF):
			f.markCaughtUp()
			return nil
		default:
			return err
		}
	}
}

// pass hands r to add unless it was passed on before. Only the reading
// goroutine writes seen and last, so they change after add returns: a
// State that says a record was seen is never ahead of add.
func (f *Follower) pass(r Record) {
	f.mu.Lock()
	old := f.seen && r.Seq <= f.last
	f.mu.Unlock()
	if old {
		return
	}
	f.add(r)
	f.mu.Lock()
	f.seen, f.last = true, r.Seq
	f.mu.Unlock()
}
