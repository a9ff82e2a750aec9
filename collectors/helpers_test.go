package collectors

import (
	"context"
	"testing"

	"github.com/prometheus/common/promslog"
)

// collect makes a collector with cfg, logging nowhere, and collects once;
// a collection that fails fails the test.
func collect(t *testing.T, newCollector func(Config) (Collector, error), cfg Config) (Collector, *Snapshot) {
	t.Helper()
	cfg.Logger = promslog.NewNopLogger()
	c, err := newCollector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return c, snap
}
