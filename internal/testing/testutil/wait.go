package testutil

import (
	"context"
	"testing"
	"time"
)

// Longest pause between two calls of a WaitFor condition.
const maxPoll = 250 * time.Millisecond

// WaitFor calls cond until it returns nil, pausing between calls (10 ms at
// first, growing to a quarter second), and fails the test at once when a
// process in watch exits meanwhile. It sets no time limit of its own: a
// condition that never holds runs into the test binary's -timeout, and
// shortly before that WaitFor fails the test naming what it waited for and
// cond's last error, which reads better than the timeout's goroutine dump.
func WaitFor(tb testing.TB, what string, cond func() error, watch ...*Process) {
	tb.Helper()
	deadline, limited := Deadline(tb)
	pause := 10 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		for _, p := range watch {
			if perr := p.Alive(); perr != nil {
				tb.Fatalf("waiting for %s: %v", what, perr)
			}
		}
		if limited && time.Now().After(deadline) {
			tb.Fatalf("waiting for %s: the test binary's -timeout is near; last: %v", what, err)
		}
		time.Sleep(pause)
		pause = min(2*pause, maxPoll)
	}
}

// Deadline returns a moment shortly before the test binary's -timeout
// ends it, and false when there is no timeout (or tb is not a *testing.T).
func Deadline(tb testing.TB) (time.Time, bool) {
	t, ok := tb.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return time.Time{}, false
	}
	d, ok := t.Deadline()
	if !ok {
		return time.Time{}, false
	}
	// Room to fail readably and run the cleanups.
	return d.Add(-min(30*time.Second, time.Until(d)/4)), true
}

// Context returns a context that ends at Deadline, if there is one, and
// when the test ends: for work that takes a context, such as a QEMU boot.
func Context(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	if d, ok := Deadline(tb); ok {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadline(ctx, d)
		tb.Cleanup(stop)
	}
	return ctx
}
