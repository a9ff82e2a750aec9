package collectors

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bootinfo/bootinfo/internal/gzipcat"
)

// recompressAfter is how many times a block made at flate.BestSpeed is
// served again, and recompressAge how long it must have been kept, before
// it is compressed anew at flate.DefaultCompression: a snapshot that
// lasts is worth the smaller body (about a tenth smaller) on every later
// request. The age keeps that work, and the second compressor's memory,
// out of bursts of change such as a first sync, where each block lasts a
// moment and the heap is at its highest: measured at 5,000 units,
// recompressing at once added about 2 MiB to the agent's peak.
const recompressAfter = 2

// recompressAge is a variable for tests.
var recompressAge = 5 * time.Second

// blockCache keeps one encoded Block and the key it was made for (a
// snapshot's MetricsKey, or the snapshot itself), for requests served
// concurrently. No lock is held while encoding or compressing, so a
// request for an unchanged block never waits:
//   - the kept block is read through an atomic pointer;
//   - a block for a new key is built once, by the first request to want
//     it, and shared by those that want the same key meanwhile (they wait
//     for it: a build is CPU work, bounded by the size of what it encodes,
//     and has no source to block on);
//   - a block of packAt bytes or more is kept compressed only (see
//     Block), its text hashed to tell whether a new one is the same;
//   - a new block whose text equals the kept one's keeps the kept block
//     (and its thorough compression) under the new key;
//   - a block served recompressAfter times again is recompressed at
//     flate.DefaultCompression in a goroutine of its own, and swapped in
//     when done.
type blockCache struct {
	cur atomic.Pointer[blockEntry]

	mu      sync.Mutex // guards pending and seq; held only to look them up
	pending *blockBuild
	seq     uint64

	// recompressing counts recompressions running in the background,
	// for tests to wait on.
	recompressing sync.WaitGroup
}

// blockEntry is a kept block. seq orders builds: a build that started
// before the kept one's never replaces it.
type blockEntry struct {
	key      any
	seq      uint64
	block    *Block
	thorough bool   // block.Gzip is at flate.DefaultCompression
	sum      uint64 // hash of the block's text (see textSeed)
	hits     atomic.Int32
	made     time.Time // when the block was first kept
	// recompressing is set by the hit that starts the recompression.
	recompressing atomic.Bool
}

// blockBuild is a build in flight: block and err are set before done is
// closed.
type blockBuild struct {
	key     any
	done    chan struct{}
	block   *Block
	err     error
	waiting atomic.Int32 // requests waiting for it
}

// get returns the block for key: the kept one, the one being built for
// key, or one it builds with encode, which returns the uncompressed text
// and the families' names. A build that fails is not kept (the next
// request tries again and reports the error again); its requests get
// what could be encoded and the error. A panic in encode is that build's
// error.
func (c *blockCache) get(key any, encode func() (*Block, error)) (block *Block, err error) {
	if e := c.cur.Load(); e != nil && e.key == key {
		c.hit(e)
		return e.block, nil
	}
	c.mu.Lock()
	if e := c.cur.Load(); e != nil && e.key == key {
		// Kept while this request waited for the lock.
		c.mu.Unlock()
		c.hit(e)
		return e.block, nil
	}
	if p := c.pending; p != nil && p.key == key {
		p.waiting.Add(1)
		c.mu.Unlock()
		<-p.done
		return p.block, p.err
	}
	c.seq++
	seq := c.seq
	p := &blockBuild{key: key, done: make(chan struct{})}
	c.pending = p
	c.mu.Unlock()

	defer func() {
		if r := recover(); r != nil {
			block, err = nil, fmt.Errorf("panic while encoding: %v", r)
			p.block, p.err = block, err
		}
		c.mu.Lock()
		if c.pending == p {
			c.pending = nil
		}
		c.mu.Unlock()
		close(p.done)
	}()
	b, err := encode()
	if err != nil {
		if b != nil {
			b.Gzip = gzipcat.Compress(b.Text, flate.BestSpeed)
		}
		p.block, p.err = b, err
		return b, err
	}
	e := &blockEntry{key: key, seq: seq, made: time.Now(), sum: maphash.Bytes(textSeed, b.Text)}
	if old := c.cur.Load(); old != nil && old.sameText(b.Text, e.sum) {
		// Changed key, same text (a snapshot without a key whose
		// metrics did not move): keep the block made before.
		e.block, e.thorough, e.made = old.block, old.thorough, old.made
		b.release()
	} else {
		b.Gzip = gzipcat.Compress(b.Text, flate.BestSpeed)
		e.block = pack(b)
		if e.block != b {
			// Kept compressed only: the text's room goes back to its
			// writer for the next block.
			b.release()
		}
	}
	c.keep(e)
	p.block = e.block
	return e.block, nil
}

// hit counts one more serving of e, and starts its recompression once
// that count reaches recompressAfter and e is recompressAge old.
func (c *blockCache) hit(e *blockEntry) {
	if e.hits.Add(1) < recompressAfter || e.thorough || time.Since(e.made) < recompressAge || !e.recompressing.CompareAndSwap(false, true) {
		return
	}
	c.recompressing.Add(1)
	go func() {
		defer c.recompressing.Done()
		text, err := e.block.Bytes()
		if err != nil {
			return // cannot happen to the cache's own compression; keep serving e
		}
		b := *e.block
		b.Gzip = gzipcat.Compress(text, flate.DefaultCompression)
		ne := &blockEntry{key: e.key, seq: e.seq, block: &b, thorough: true, sum: e.sum}
		ne.hits.Store(e.hits.Load())
		// Only in place of e: a block built meanwhile stays.
		c.cur.CompareAndSwap(e, ne)
	}()
}

// packAt is the size from which a kept block holds only its compressed
// form (see Block): below it the text costs little to keep, and a client
// that does not accept gzip gets it without inflating. At 5,000 units the
// systemd collector's text is about 3 MB, and compressed at
// flate.BestSpeed about a tenth of that; keeping the text as well held
// the agent's peak memory during a first sync 3 to 4 MiB higher.
const packAt = 64 << 10

// pack returns b, or for a block of packAt bytes or more a copy of it
// without its text.
func pack(b *Block) *Block {
	if len(b.Text) < packAt {
		return b
	}
	p := *b
	p.Text, p.recycle = nil, nil
	return &p
}

// textSeed seeds the hashes of kept blocks' texts.
var textSeed = maphash.MakeSeed()

// sameText reports whether e's block has text, whose hash is sum: the
// hashes first, then the text itself, inflated without a copy for a
// packed block.
func (e *blockEntry) sameText(text []byte, sum uint64) bool {
	if e.sum != sum || e.block.Len() != int64(len(text)) {
		return false
	}
	if !e.block.packed() {
		return bytes.Equal(e.block.Text, text)
	}
	w := &prefixWriter{want: text}
	_, err := e.block.WriteText(w)
	return err == nil && len(w.want) == 0
}

// prefixWriter accepts writes while they are the next bytes of want, and
// fails the first that is not.
type prefixWriter struct{ want []byte }

var errDiffers = errors.New("text differs")

func (w *prefixWriter) Write(p []byte) (int, error) {
	if !bytes.HasPrefix(w.want, p) {
		return 0, errDiffers
	}
	w.want = w.want[len(p):]
	return len(p), nil
}

// keep makes e the kept block unless one built after it already is.
func (c *blockCache) keep(e *blockEntry) {
	for {
		old := c.cur.Load()
		if old != nil && old.seq > e.seq {
			return
		}
		if c.cur.CompareAndSwap(old, e) {
			return
		}
	}
}

// waitingForTest returns how many requests wait for the build in flight.
func (c *blockCache) waitingForTest() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		return 0
	}
	return int(c.pending.waiting.Load())
}
