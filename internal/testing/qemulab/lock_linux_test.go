package qemulab

import (
	"context"
	"testing"
)

func TestLockBoots(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	unlock, err := lockBoots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A second holder (another open file description, as in another process)
	// must wait; with its context already done it gives up.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if u, err := lockBoots(ctx); err == nil {
		u()
		t.Fatal("second lock taken while the first is held")
	}
	unlock()
	u, err := lockBoots(ctx)
	if err != nil {
		t.Fatalf("lock not free after unlock: %v", err)
	}
	u()
}
