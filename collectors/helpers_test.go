package collectors

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/common/promslog"
)

// writeFiles creates files (path relative to root, slash-separated, to
// content) and the directories they are in.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

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
