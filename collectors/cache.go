package collectors

import (
	"sync"
	"time"
)

// snapshotCache keeps a collector's last snapshot and serves it again
// while it is younger than refresh, or for good when refresh is 0. A
// build that returns a snapshot is kept together with its error; one that
// returns none is not, and the next call builds again. Concurrent calls
// build once.
type snapshotCache struct {
	refresh time.Duration

	mu   sync.Mutex
	snap *Snapshot
	err  error
	at   time.Time
}

// get returns the kept snapshot and its error, or what build returns
// when there is none or it is too old.
func (c *snapshotCache) get(build func() (*Snapshot, error)) (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && (c.refresh == 0 || time.Since(c.at) < c.refresh) {
		return c.snap, c.err
	}
	snap, err := build()
	if snap != nil {
		c.snap, c.err, c.at = snap, err, time.Now()
	}
	return snap, err
}
