package main

import (
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/nfd"
)

// nfdOptions are the --nfd.* flags.
type nfdOptions struct {
	// dir is where to write the feature file; "" writes none.
	dir string
	// interval is how often the labels are made again.
	interval time.Duration
	// expiry is how long nfd-worker keeps the labels after a write; 0
	// for ever.
	expiry time.Duration
}

// nfdFileName is the feature file's name in --nfd.features-dir.
const nfdFileName = "bootinfo"

// nfdComment heads the feature file.
const nfdComment = `Node labels for node-feature-discovery's local source, written by
bootinfo serve --nfd.features-dir while it runs; edits are overwritten.`

// nfdSections are the collectors the labels are made from.
var nfdSections = []string{"firmware", "bootloader"}

// nodeFeatures keeps node-feature-discovery's feature file in step with the
// firmware and bootloader sections. It runs in a goroutine of its own: a
// directory that hangs holds it, never the server.
type nodeFeatures struct {
	logger   *slog.Logger
	set      *collectors.Set
	interval time.Duration
	file     nfd.File // used by run's goroutine alone

	mu      sync.Mutex
	stats   collectors.FeatureFileStats
	lastErr string // the error last logged, "" when the last update succeeded
}

func newNodeFeatures(logger *slog.Logger, set *collectors.Set, o nfdOptions) *nodeFeatures {
	return &nodeFeatures{
		logger:   logger.With("feature_file", filepath.Join(o.dir, nfdFileName)),
		set:      set,
		interval: o.interval,
		file:     nfd.File{Dir: o.dir, Name: nfdFileName, Comment: nfdComment, Expiry: o.expiry},
	}
}

// Stats returns what the writer has done so far.
func (n *nodeFeatures) Stats() collectors.FeatureFileStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// run updates the file at once and then every interval, until ctx ends.
func (n *nodeFeatures) run(ctx context.Context) {
	names := n.set.Names()
	var have []string
	for _, s := range nfdSections {
		if slices.Contains(names, s) {
			have = append(have, s)
		}
	}
	if len(have) == 0 {
		n.logger.Warn("the firmware and bootloader collectors are off: the node feature file holds no labels")
	}
	ticker := time.NewTicker(n.interval)
	defer ticker.Stop()
	for {
		n.update(ctx, have)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// update gathers the sections, shared with any scrape in flight, and
// brings the file up to date.
func (n *nodeFeatures) update(ctx context.Context, sections []string) {
	var outcomes []collectors.Outcome
	if len(sections) > 0 {
		outcomes = n.set.Gather(ctx, sections...)
	}
	if ctx.Err() != nil {
		return
	}
	byName := collectors.NodeLabels(outcomes)
	labels := make([]nfd.Label, 0, len(byName))
	for _, k := range slices.Sorted(maps.Keys(byName)) {
		labels = append(labels, nfd.Label{Key: collectors.NodeLabelPrefix + k, Value: byName[k]})
	}
	wrote, err := n.file.Update(labels, time.Now())

	n.mu.Lock()
	defer n.mu.Unlock()
	if wrote {
		n.stats.Writes++
	}
	n.stats.Success = err == nil
	if err != nil {
		n.stats.Failures++
		// Logged when it changes, not at every interval.
		if msg := err.Error(); msg != n.lastErr {
			n.logger.Error("cannot update the node feature file", "err", err)
			n.lastErr = msg
		}
		return
	}
	if n.lastErr != "" {
		n.logger.Info("node feature file updated again")
		n.lastErr = ""
	}
	if wrote {
		n.logger.Debug("node feature file written", "labels", len(labels))
	}
}
