package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/bootinfo/bootinfo/internal/gzipcat"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Block is a piece of a response body, with its compressed form for a
// gzip response (see internal/gzipcat): a run of metric families in the
// Prometheus text format, or a piece of a JSON document. Blocks are never
// modified once made.
//
// A large block kept by a cache between requests holds only its
// compressed form (Text is nil; see blockCache): most clients ask for
// gzip, and the text would be most of what the agent keeps. Read a
// block's text with Len, Bytes or WriteText, not Text.
type Block struct {
	Text  []byte
	Gzip  gzipcat.Segment
	Names []string // the metric families' names, in order; none in JSON

	// recycle, when set, takes Text back for the writer that made it, once
	// the block cache no longer needs it (see release).
	recycle func([]byte)
}

// release hands b's text back to the writer that made it, if one wants
// it: the caller holds no other reference to it, and b has no text after.
func (b *Block) release() {
	if b.recycle != nil && b.Text != nil {
		b.recycle(b.Text)
		b.Text = nil
	}
	b.recycle = nil
}

// packed reports whether b's text is kept only compressed.
func (b *Block) packed() bool { return b.Text == nil && b.Gzip.Len > 0 }

// Len is the length of b's text.
func (b *Block) Len() int64 {
	if b.packed() {
		return b.Gzip.Len
	}
	return int64(len(b.Text))
}

// Bytes returns b's text, inflated anew for a block kept compressed.
func (b *Block) Bytes() ([]byte, error) {
	if b.packed() {
		return b.Gzip.Inflate()
	}
	return b.Text, nil
}

// JoinText returns the text of blocks, one after another.
func JoinText(blocks ...*Block) ([]byte, error) {
	var n int64
	for _, b := range blocks {
		n += b.Len()
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	for _, b := range blocks {
		if _, err := b.WriteText(buf); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// WriteText writes b's text to w, inflating it as it goes for a block
// kept compressed.
func (b *Block) WriteText(w io.Writer) (int64, error) {
	if b.packed() {
		return b.Gzip.WriteTo(w)
	}
	n, err := w.Write(b.Text)
	return int64(n), err
}

// EncodeBlock encodes families in the text format and compresses them at
// level (flate.BestSpeed for a block made per scrape, a higher level for
// one kept and sent many times).
func EncodeBlock(fams []*dto.MetricFamily, level int) (*Block, error) {
	b, err := encodeText(fams)
	b.Gzip = gzipcat.Compress(b.Text, level)
	return b, err
}

// encodeText is EncodeBlock without the compression.
func encodeText(fams []*dto.MetricFamily) (*Block, error) {
	var buf bytes.Buffer
	b := &Block{Names: make([]string, 0, len(fams))}
	var errs []error
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			errs = append(errs, fmt.Errorf("encoding %s: %w", f.GetName(), err))
			continue
		}
		b.Names = append(b.Names, f.GetName())
	}
	b.Text = bytes.Clone(buf.Bytes())
	return b, errors.Join(errs...)
}

// ErrDuplicateFamily is wrapped by CheckDisjoint's error when two blocks
// hold families of the same name, which the text format does not allow;
// callers fall back to merging families (GatherFamilies).
var ErrDuplicateFamily = errors.New("metric family in more than one block")

// DuplicateFamilyError is CheckDisjoint's error: Family is in blocks[Block]
// and in an earlier one.
type DuplicateFamilyError struct {
	Family string
	Block  int
}

func (e *DuplicateFamilyError) Error() string { return ErrDuplicateFamily.Error() + ": " + e.Family }

// Unwrap returns ErrDuplicateFamily.
func (e *DuplicateFamilyError) Unwrap() error { return ErrDuplicateFamily }

// Exposition gathers every collector and returns the scrape as text-format
// blocks: one per collector that has a snapshot, in collector order, then
// one for the per-collector success and duration. A collector's block is
// encoded and compressed once per snapshot and reused while the snapshot
// is unchanged, so serving ten thousand unchanged series costs a copy.
// Families are sorted within a block, not across blocks, which the format
// allows. Whether the blocks' family names are disjoint is left to the
// caller, to check once with CheckDisjoint over every block it serves. A
// collector whose metrics cannot be encoded is left out and named in the
// error; the other blocks are still returned.
func (s *Set) Exposition(ctx context.Context) ([]*Block, error) {
	outcomes := s.Gather(ctx) // all runners, in their order
	blocks := make([]*Block, 0, len(outcomes)+1)
	var errs []error
	for i, o := range outcomes {
		if o.Snapshot == nil {
			continue
		}
		b, err := s.runners[i].block(o.Snapshot)
		if err != nil {
			errs = append(errs, fmt.Errorf("collector %s: %w", o.Name, err))
		}
		if b != nil {
			blocks = append(blocks, b)
		}
	}
	blocks = append(blocks, scrapeMetrics{s, outcomes, s.runners}.block())
	return blocks, errors.Join(errs...)
}

// CheckDisjoint returns a *DuplicateFamilyError for the first family name,
// in block order, that appears in more than one of blocks.
func CheckDisjoint(blocks ...*Block) error {
	seen := make(map[string]bool, 128)
	for i, b := range blocks {
		for _, n := range b.Names {
			if seen[n] {
				return &DuplicateFamilyError{Family: n, Block: i}
			}
			seen[n] = true
		}
	}
	return nil
}

// block returns snap's metrics as a block, from the runner's cache when
// snap has the key of the block kept (see blockCache). Neither the
// metrics nor the families are kept: the block is the one form held
// between changes. A new block is compressed fast (a collector whose
// metrics change on every collection would otherwise pay for a thorough
// compression each time), and again thoroughly, off the request path,
// once it has been served recompressAfter more times.
func (r *runner) block(snap *Snapshot) (*Block, error) {
	key := snap.MetricsKey
	if key == nil {
		key = snap
	}
	return r.blocks.get(key, func() (*Block, error) {
		if snap.TextFunc != nil {
			return snap.TextFunc(), nil
		}
		fams, err := gatherSnapshot(snap)
		b, encErr := encodeText(fams)
		return b, errors.Join(err, encErr)
	})
}
