package collectors

import (
	"sync"
	"time"
)

// snapshotCache keeps a collector's last snapshot and serves it again
// while it is younger than refresh, or for good when refresh is 0. A
// build that returns a snapshot is kept together with its error; one that
// returns none is not, and the next call builds again.
//
// No lock is held while building. A build can block in a system call that
// never returns (a FIFO where a file was, a hung NFS mount); the Set then
// abandons it at its deadline, and the next collection must be able to
// build afresh instead of queueing behind it. Builds that overlap (a fresh
// attempt beside an abandoned one, or a Runner's first build beside a
// scrape) all run; the first snapshot to arrive is kept, and a build that
// ends while a fresh kept snapshot exists returns that one, so every caller
// sees the same snapshot.
type snapshotCache struct {
	refresh time.Duration

	mu   sync.Mutex
	snap *Snapshot
	err  error
	at   time.Time
}

// fresh returns the kept snapshot and whether it may still be served.
func (c *snapshotCache) fresh() (*Snapshot, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && (c.refresh == 0 || time.Since(c.at) < c.refresh) {
		return c.snap, c.err, true
	}
	return nil, nil, false
}

// get returns the kept snapshot and its error, or what build returns
// when there is none or it is too old.
func (c *snapshotCache) get(build func() (*Snapshot, error)) (*Snapshot, error) {
	if snap, err, ok := c.fresh(); ok {
		return snap, err
	}
	started := time.Now()
	snap, err := build()
	if snap == nil {
		return snap, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && c.at.After(started) && (c.refresh == 0 || time.Since(c.at) < c.refresh) {
		// Another build, kept while this one ran, is served instead.
		return c.snap, c.err
	}
	c.snap, c.err, c.at = snap, err, time.Now()
	return snap, err
}
