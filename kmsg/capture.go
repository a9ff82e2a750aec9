package kmsg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
)

// MaxRecordSize bounds one record of a capture file: its header, message
// and dictionary lines as the capture holds them (escaped), without the
// separator after it. The kernel formats a /dev/kmsg record, dictionary
// included, into CONSOLE_EXT_LOG_MAX (8 KiB) bytes, so no record it wrote
// comes near this; the margin is for captures edited by hand or written by
// other tools, whose lines may be longer. A longer record is skipped, up to
// its separator, and reported with ErrTruncated; the records after it are
// still read. The device reader grows its buffer up to this size too.
const MaxRecordSize = 64 << 10

// MaxJunk bounds how much input a CaptureReader reads without finding a
// record that decodes: records that do not, oversized ones, and runs of
// NUL bytes and blank lines all count, and a record that decodes starts
// the count again. Past it, Next fails with ErrNotCapture and reading
// stops: /dev/zero, a stream of random bytes or a file of some other kind
// ends with an error after 1 MiB instead of being read for ever.
const MaxJunk = 16 * MaxRecordSize

// ErrNotCapture is wrapped by the error Next returns once MaxJunk bytes in
// a row held no record that decodes. Reading stops there.
var ErrNotCapture = errors.New("kmsg: not a kernel log capture")

// CaptureFormat names the two on-disk forms of a /dev/kmsg capture.
type CaptureFormat int

const (
	// FormatNewline is what `cat /dev/kmsg` writes: each record's header
	// line starts at the beginning of a line and its dictionary lines
	// start with a space.
	FormatNewline CaptureFormat = iota
	// FormatNUL is util-linux's `dmesg --kmsg-file` input: records
	// separated by NUL bytes.
	FormatNUL
)

// String names the format.
func (f CaptureFormat) String() string {
	if f == FormatNUL {
		return "nul"
	}
	return "newline"
}

// CaptureReader decodes records from a capture file, detecting its format
// from the first record. It never holds more than about MaxRecordSize bytes
// of input, and reads no more of it than the records it returns need: it
// may read a pipe that a writer fills slowly.
type CaptureReader struct {
	br       *bufio.Reader
	format   CaptureFormat
	detected bool
	rec      []byte
	records  int   // records started, for error messages
	offset   int64 // bytes consumed
	junk     int64 // bytes consumed since the last record that decoded
	stopped  error // ErrNotCapture, once reached
}

// NewCaptureReader returns a reader over r. It reads nothing until the
// first call of Next.
func NewCaptureReader(r io.Reader) *CaptureReader {
	return &CaptureReader{br: bufio.NewReaderSize(r, MaxRecordSize+1)}
}

// Format reports the capture format, detected by the first call of Next:
// FormatNUL when a NUL byte comes before the second line that starts
// like a record header ("N,N,N,"), else FormatNewline. (A NUL capture's
// messages may span lines, but none starts with a header.)
func (c *CaptureReader) Format() CaptureFormat { return c.format }

// detect decides the format from the first record, reading no further
// than that record and the start of the line after it (or MaxRecordSize+1
// bytes).
func (c *CaptureReader) detect() error {
	lineStart := -1 // start of the current line, once past the first
	for i := 0; ; {
		b, err := c.br.Peek(i + 1)
		for ; i < len(b); i++ {
			switch b[i] {
			case 0:
				c.format = FormatNUL
				return nil
			case '\n':
				lineStart = i + 1
				continue
			}
			if lineStart >= 0 {
				switch looksLikeHeader(b[lineStart:]) {
				case 1:
					c.format = FormatNewline
					return nil
				case -1:
					lineStart = -2 // this line is not one; wait for the next
				}
			}
		}
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) || errors.Is(err, io.EOF) {
				// No NUL in the first record's worth of bytes, or
				// none at all.
				c.format = FormatNewline
				return nil
			}
			return err
		}
	}
}

// looksLikeHeader tells whether b starts with "N,N,N,": 1 when it does, -1
// when it does not, and 0 when b is too short to tell.
func looksLikeHeader(b []byte) int {
	digits := 0
	for fields, i := 0, 0; i < len(b); i++ {
		switch c := b[i]; {
		case c >= '0' && c <= '9':
			if digits++; digits > 20 {
				return -1
			}
		case c == ',' && digits > 0:
			if fields++; fields == 3 {
				return 1
			}
			digits = 0
		default:
			return -1
		}
	}
	return 0
}

// Next returns the next record. At the end it returns io.EOF. A record that
// does not decode yields an error wrapping ErrMalformed (or ErrTruncated
// for an oversized one); the caller may keep calling Next to get the
// records after it. After MaxJunk bytes without a record that decodes it
// returns an error wrapping ErrNotCapture, and so on every later call.
// Other errors come from the underlying reader.
func (c *CaptureReader) Next() (Record, error) {
	if c.stopped != nil {
		return Record{}, c.stopped
	}
	if !c.detected {
		if err := c.detect(); err != nil {
			return Record{}, err
		}
		c.detected = true
	}
	start := c.offset
	var raw []byte
	var err error
	if c.format == FormatNUL {
		raw, err = c.nextNUL()
	} else {
		raw, err = c.nextNewline()
	}
	if err == nil || errors.Is(err, ErrTruncated) {
		c.records++
	}
	if err == nil {
		var rec Record
		if rec, err = ParseRecord(raw); err == nil {
			c.junk = 0
			return rec, nil
		}
	}
	if c.stopped != nil {
		return Record{}, c.stopped
	}
	if isRecordError(err) {
		return Record{}, fmt.Errorf("record %d at offset %d: %w", c.records, start, err)
	}
	return Record{}, err
}

// All iterates over the records that remain, as Next returns them: a
// record, or the error of one that does not decode, after which it goes
// on. It stops at the end, and after an error from the underlying reader
// or ErrNotCapture.
func (c *CaptureReader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			rec, err := c.Next()
			if errors.Is(err, io.EOF) || !yield(rec, err) || (err != nil && !isRecordError(err)) {
				return
			}
		}
	}
}

// isRecordError tells an error of one record, after which reading goes on.
func isRecordError(err error) bool {
	return !errors.Is(err, ErrNotCapture) && (errors.Is(err, ErrMalformed) || errors.Is(err, ErrTruncated))
}

// consumed counts n bytes read, and stops the reader once MaxJunk bytes
// in a row held no record.
func (c *CaptureReader) consumed(n int) error {
	c.offset += int64(n)
	c.junk += int64(n)
	if c.junk > MaxJunk && c.stopped == nil {
		c.stopped = fmt.Errorf("%w: no record decodes in the %d MiB before offset %d", ErrNotCapture, MaxJunk>>20, c.offset)
	}
	return c.stopped
}

// nextNUL returns the bytes up to the next NUL, skipping empty records.
func (c *CaptureReader) nextNUL() ([]byte, error) {
	for {
		raw, err := c.readUntil(0)
		if err != nil && !(errors.Is(err, io.EOF) && len(raw) > 0) {
			return nil, err
		}
		raw = bytes.TrimLeft(raw, "\n")
		if len(bytes.TrimSpace(raw)) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		return raw, nil
	}
}

// nextNewline returns a header line and the dictionary lines (those that
// start with a space) after it.
func (c *CaptureReader) nextNewline() ([]byte, error) {
	var line []byte
	var err error
	for {
		line, err = c.readUntil('\n')
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			if errors.Is(err, ErrTruncated) {
				// The dictionary lines of the oversized record
				// belong to it.
				if derr := c.skipDict(); derr != nil {
					return nil, derr
				}
			}
			return nil, err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	c.rec = append(c.rec[:0], line...)
	for {
		next, perr := c.br.Peek(1)
		if perr != nil || next[0] != ' ' {
			break
		}
		dict, derr := c.readUntil('\n')
		if derr != nil && !errors.Is(derr, io.EOF) {
			if errors.Is(derr, ErrTruncated) {
				derr = c.skipDict()
			}
			if derr == nil {
				derr = fmt.Errorf("%w: more than %d bytes", ErrTruncated, MaxRecordSize)
			}
			return nil, derr
		}
		if len(c.rec)+1+len(dict) > MaxRecordSize {
			if err := c.skipDict(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTruncated, MaxRecordSize)
		}
		c.rec = append(c.rec, '\n')
		c.rec = append(c.rec, dict...)
	}
	return c.rec, nil
}

// skipDict discards the dictionary lines that follow, after an oversized
// record.
func (c *CaptureReader) skipDict() error {
	for {
		next, err := c.br.Peek(1)
		if err != nil || next[0] != ' ' {
			return nil
		}
		if _, err := c.readUntil('\n'); err != nil && !errors.Is(err, ErrTruncated) && !errors.Is(err, io.EOF) {
			return err
		}
	}
}

// readUntil returns the bytes before delim (consuming delim). A span longer
// than MaxRecordSize is discarded up to delim and reported as ErrTruncated.
// At the end without delim it returns the rest and io.EOF. Every byte
// counts towards MaxJunk, so a span without delim is not read for ever.
func (c *CaptureReader) readUntil(delim byte) ([]byte, error) {
	b, err := c.br.ReadSlice(delim)
	if jerr := c.consumed(len(b)); jerr != nil {
		return nil, jerr
	}
	switch {
	case err == nil:
		b = b[:len(b)-1]
		if len(b) > MaxRecordSize {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTruncated, MaxRecordSize)
		}
		return b, nil
	case errors.Is(err, bufio.ErrBufferFull):
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = c.br.ReadSlice(delim)
			if jerr := c.consumed(len(b)); jerr != nil {
				return nil, jerr
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTruncated, MaxRecordSize)
	default:
		if len(b) > MaxRecordSize {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTruncated, MaxRecordSize)
		}
		return b, err
	}
}

// ParseCapture decodes a whole capture file in either format. It returns
// every record that decodes; err joins the errors of those that do not
// (at most 16 are kept, then a count).
func ParseCapture(b []byte) ([]Record, error) {
	var recs []Record
	var errs []error
	bad := 0
	for rec, err := range NewCaptureReader(bytes.NewReader(b)).All() {
		if err != nil {
			if errors.Is(err, ErrNotCapture) {
				return recs, errors.Join(append(errs, err)...)
			}
			if !isRecordError(err) {
				return recs, fmt.Errorf("kmsg: %w", err)
			}
			if bad++; bad <= 16 {
				errs = append(errs, err)
			}
			continue
		}
		recs = append(recs, rec)
	}
	if bad > 16 {
		errs = append(errs, fmt.Errorf("kmsg: %d more bad records", bad-16))
	}
	return recs, errors.Join(errs...)
}
