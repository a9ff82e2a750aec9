// Package gzipcat writes one gzip member (RFC 1952) whose body is spliced
// from pieces compressed ahead of time, so that a response assembled from
// mostly unchanged parts costs a copy, not a compression, per request.
//
// Each Segment is a raw DEFLATE stream (RFC 1951) of one piece, compressed
// alone and ended by a sync flush: an empty stored block that leaves the
// stream byte-aligned and not final. Such segments can follow each other in
// one stream (no back-reference reaches before its own segment's start);
// Write closes the stream with an empty final block and the member's
// trailer, whose CRC-32 is combined from the segments' own, so no
// uncompressed byte is read again.
package gzipcat

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Segment is one piece of a body: its compressed form, the CRC-32 (IEEE)
// and length of its uncompressed bytes.
type Segment struct {
	Deflate []byte
	CRC     uint32
	Len     int64
}

// compressors keeps idle compressors per level (flate.HuffmanOnly, -2, to
// flate.BestCompression, 9): each holds some hundreds of KiB of state, and
// a scratch buffer that has grown to the size of what it last compressed,
// so that only the result is allocated anew. Not a sync.Pool, which every
// garbage collection empties: with a collection or more between two
// compressions (a busy agent makes several a second) each would make a
// compressor afresh, a megabyte of garbage that brings the next collection
// closer. One idle compressor per level stays, with a scratch buffer of at
// most keptScratch; more are made and dropped.
var compressors [12]chan *compressor

// keptCompressors is how many idle compressors a level keeps.
const keptCompressors = 1

// keptScratch is the largest scratch buffer an idle compressor keeps.
const keptScratch = 1 << 20

func init() {
	for i := range compressors {
		compressors[i] = make(chan *compressor, keptCompressors)
	}
}

// compressor is a flate writer and the buffer it writes to.
type compressor struct {
	fw  *flate.Writer
	buf bytes.Buffer
}

// Compress compresses p into a Segment at the given flate level (use
// flate.BestSpeed for pieces compressed per request, and a higher level
// for pieces kept and sent many times). An invalid level means
// flate.DefaultCompression. Concurrent calls are safe.
func Compress(p []byte, level int) Segment {
	if level < flate.HuffmanOnly || level > flate.BestCompression {
		level = flate.DefaultCompression
	}
	idle := compressors[level-flate.HuffmanOnly]
	var c *compressor
	select {
	case c = <-idle:
		c.buf.Reset()
		c.fw.Reset(&c.buf)
	default:
		c = &compressor{}
		c.fw, _ = flate.NewWriter(&c.buf, level) // level is valid: no error
	}
	// Writes to a bytes.Buffer cannot fail.
	_, _ = c.fw.Write(p)
	_ = c.fw.Flush()
	seg := Segment{Deflate: bytes.Clone(c.buf.Bytes()), CRC: crc32.ChecksumIEEE(p), Len: int64(len(p))}
	if c.buf.Cap() > keptScratch {
		c.buf = bytes.Buffer{}
		c.fw.Reset(&c.buf)
	}
	select {
	case idle <- c:
	default:
	}
	return seg
}

// header is a gzip member header: no name, no mtime, unknown OS.
var header = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// final is an empty final DEFLATE block with fixed Huffman codes: BFINAL=1,
// BTYPE=01, then the end-of-block code 0000000, padded to a byte.
var final = []byte{0x03, 0x00}

// Size is the number of bytes Write produces for segs.
func Size(segs ...Segment) int64 {
	n := int64(len(header) + len(final) + 8)
	for _, s := range segs {
		n += int64(len(s.Deflate))
	}
	return n
}

// Write writes one gzip member holding the concatenation of segs.
func Write(w io.Writer, segs ...Segment) error {
	if _, err := w.Write(header); err != nil {
		return err
	}
	var crc uint32
	var n int64
	for _, s := range segs {
		if _, err := w.Write(s.Deflate); err != nil {
			return err
		}
		crc = Combine(crc, s.CRC, s.Len)
		n += s.Len
	}
	var trailer [10]byte
	copy(trailer[:], final)
	binary.LittleEndian.PutUint32(trailer[2:], crc)
	binary.LittleEndian.PutUint32(trailer[6:], uint32(n)) // ISIZE is the length mod 2^32
	_, err := w.Write(trailer[:])
	return err
}

// maxStored is the most bytes one stored DEFLATE block holds (its LEN is
// 16 bits).
const maxStored = 1<<16 - 1

// Stored returns p as a Segment of stored (uncompressed) DEFLATE blocks,
// without a compressor: for pieces too small, or made too often, to be
// worth compressing (punctuation between cached pieces, a short error).
// Each block is 5 bytes of header before its bytes.
func Stored(p []byte) Segment {
	seg := Segment{CRC: crc32.ChecksumIEEE(p), Len: int64(len(p))}
	if len(p) == 0 {
		return seg
	}
	seg.Deflate = make([]byte, 0, len(p)+5*(len(p)/maxStored+1))
	for len(p) > 0 {
		n := min(len(p), maxStored)
		// BFINAL=0, BTYPE=00 and the padding to the byte boundary (the
		// stream is byte-aligned between segments), then LEN and NLEN.
		seg.Deflate = append(seg.Deflate, 0, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		seg.Deflate = append(seg.Deflate, p[:n]...)
		p = p[n:]
	}
	return seg
}

// WriteTo writes the segment's uncompressed bytes to w, inflating them as
// it goes, and checks them against the segment's length and CRC-32. It is
// for a piece kept only in its compressed form and wanted uncompressed by
// the rare client that does not accept gzip: no copy of the whole piece
// is made. A mismatch is an error after the bytes have been written.
func (s Segment) WriteTo(w io.Writer) (int64, error) {
	fr := flate.NewReader(io.MultiReader(bytes.NewReader(s.Deflate), bytes.NewReader(final)))
	defer fr.Close()
	h := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(w, h), fr)
	if err != nil {
		return n, fmt.Errorf("inflating a segment: %w", err)
	}
	if n != s.Len || h.Sum32() != s.CRC {
		return n, fmt.Errorf("inflating a segment: %d bytes with CRC-32 %08x, want %d with %08x", n, h.Sum32(), s.Len, s.CRC)
	}
	return n, nil
}

// Inflate returns the segment's uncompressed bytes (see WriteTo).
func (s Segment) Inflate() ([]byte, error) {
	if s.Len < 0 || s.Len > int64(len(s.Deflate))*1032+1 {
		// DEFLATE expands at most 1032:1 (a run of 258 bytes in 2 bits).
		return nil, fmt.Errorf("inflating a segment: %d bytes claimed from %d compressed", s.Len, len(s.Deflate))
	}
	var buf bytes.Buffer
	buf.Grow(int(s.Len))
	_, err := s.WriteTo(&buf)
	return buf.Bytes(), err
}
