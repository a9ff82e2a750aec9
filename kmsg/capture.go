package kmsg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
)

// MaxRecordSize bounds one record in a capture file. The kernel formats a
// record for /dev/kmsg into CONSOLE_EXT_LOG_MAX (8 KiB) bytes; a capture's
// record may be longer only after escaping was undone or by corruption, so
// anything beyond this bound is skipped and reported rather than buffered.
const MaxRecordSize = 64 << 10

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
// from the first bytes. It never holds more than about MaxRecordSize bytes.
type CaptureReader struct {
	br     *bufio.Reader
	format CaptureFormat
	rec    []byte
	line   int // records started, for error messages
}

// NewCaptureReader returns a reader over r. The format is FormatNUL when a
// NUL byte appears within the first 2*MaxRecordSize bytes (a NUL capture of
// more than one record must have one there), else FormatNewline.
func NewCaptureReader(r io.Reader) *CaptureReader {
	br := bufio.NewReaderSize(r, 2*MaxRecordSize)
	head, _ := br.Peek(2 * MaxRecordSize) // a short peek at EOF is fine
	c := &CaptureReader{br: br}
	if bytes.IndexByte(head, 0) >= 0 {
		c.format = FormatNUL
	}
	return c
}

// Format reports the detected capture format.
func (c *CaptureReader) Format() CaptureFormat { return c.format }

// Next returns the next record. At the end it returns io.EOF. A record that
// does not decode yields an error wrapping ErrMalformed (or ErrTruncated
// for an oversized one); the caller may keep calling Next to get the
// records after it. Other errors come from the underlying reader.
func (c *CaptureReader) Next() (Record, error) {
	var raw []byte
	var err error
	if c.format == FormatNUL {
		raw, err = c.nextNUL()
	} else {
		raw, err = c.nextNewline()
	}
	if err != nil {
		return Record{}, err
	}
	c.line++
	rec, err := ParseRecord(raw)
	if err != nil {
		return Record{}, fmt.Errorf("record %d: %w", c.line, err)
	}
	return rec, nil
}

// All iterates over the records that remain, as Next returns them: a
// record, or the error of one that does not decode, after which it goes
// on. It stops at the end, and after an error from the underlying reader.
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
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrTruncated)
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
			return nil, derr
		}
		if len(c.rec)+1+len(dict) > MaxRecordSize {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTruncated, MaxRecordSize)
		}
		c.rec = append(c.rec, '\n')
		c.rec = append(c.rec, dict...)
	}
	return c.rec, nil
}

// readUntil returns the bytes before delim (consuming delim). A span longer
// than MaxRecordSize is discarded up to delim and reported as ErrTruncated.
// At the end without delim it returns the rest and io.EOF.
func (c *CaptureReader) readUntil(delim byte) ([]byte, error) {
	b, err := c.br.ReadSlice(delim)
	switch {
	case err == nil:
		return b[:len(b)-1], nil
	case errors.Is(err, bufio.ErrBufferFull):
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = c.br.ReadSlice(delim)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTruncated, MaxRecordSize)
	default:
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
