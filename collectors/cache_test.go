package collectors

import (
	"errors"
	"testing"
	"time"
)

// TestSnapshotCache: a snapshot is kept with its error, for good or until
// it is older than refresh; a build that returns no snapshot is retried.
func TestSnapshotCache(t *testing.T) {
	builds := 0
	build := func(snap *Snapshot, err error) func() (*Snapshot, error) {
		return func() (*Snapshot, error) { builds++; return snap, err }
	}
	var c snapshotCache
	failed := errors.New("unreadable")
	if s, err := c.get(build(nil, failed)); s != nil || err != failed {
		t.Fatalf("failing build: %v, %v", s, err)
	}
	partial, stateErr := &Snapshot{Section: 1}, errors.New("not saved")
	for range 3 {
		if s, err := c.get(build(partial, stateErr)); s != partial || err != stateErr {
			t.Fatalf("kept snapshot: %v, %v", s, err)
		}
	}
	if builds != 2 {
		t.Errorf("%d builds, want 2: one that failed, one that was kept", builds)
	}

	stale := snapshotCache{refresh: time.Nanosecond}
	first, second := &Snapshot{Section: 1}, &Snapshot{Section: 2}
	stale.get(build(first, nil))
	time.Sleep(time.Millisecond)
	if s, _ := stale.get(build(second, nil)); s != second {
		t.Errorf("a snapshot older than refresh was served again")
	}
}
