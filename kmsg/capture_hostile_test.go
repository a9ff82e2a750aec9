package kmsg

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// repeatReader yields b over and over, for ever.
type repeatReader struct {
	b   []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	return n, nil
}

// readAllRecords reads c to its end, returning the records' sequence
// numbers, the number of record errors and the error that ended it (nil
// at io.EOF).
func readAllRecords(c *CaptureReader) (seqs []uint64, bad int, end error) {
	for {
		r, err := c.Next()
		switch {
		case errors.Is(err, io.EOF):
			return seqs, bad, nil
		case err != nil && isRecordError(err):
			bad++
		case err != nil:
			return seqs, bad, err
		default:
			seqs = append(seqs, r.Seq)
		}
	}
}

// TestCaptureReaderEndlessJunk: input with no record in it ends with
// ErrNotCapture after MaxJunk bytes, however it is made: /dev/zero (NUL
// bytes are separators of empty records), one endless line, endless
// malformed lines, endless oversized NUL records. Before, /dev/zero and the
// endless line were read for ever.
func TestCaptureReaderEndlessJunk(t *testing.T) {
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	for _, tt := range []struct {
		name string
		r    io.Reader
	}{
		{"dev-zero", zero},
		{"one endless line", &repeatReader{b: []byte("a")}},
		{"blank lines", &repeatReader{b: []byte("\n \n")}},
		{"malformed lines", &repeatReader{b: []byte("not a record\n")}},
		{"oversized records", &repeatReader{b: append(bytes.Repeat([]byte("6,1,1,-;"), MaxRecordSize), 0)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: tt.r}
			c := NewCaptureReader(cr)
			seqs, _, err := readAllRecords(c)
			if !errors.Is(err, ErrNotCapture) || len(seqs) != 0 {
				t.Fatalf("records %v, err %v; want none and ErrNotCapture", seqs, err)
			}
			// It read the budget and at most a buffer more.
			if cr.n < MaxJunk || cr.n > MaxJunk+2*(MaxRecordSize+1) {
				t.Errorf("read %d bytes, budget %d", cr.n, MaxJunk)
			}
			if _, err2 := c.Next(); !errors.Is(err2, ErrNotCapture) {
				t.Errorf("next call after the end: %v", err2)
			}
		})
	}
}

// TestCaptureReaderJunkBetweenRecords: a record that decodes starts the
// budget again, so junk between records, each stretch below MaxJunk, does
// not stop the reading; and ParseCapture says why it stopped.
func TestCaptureReaderJunkBetweenRecords(t *testing.T) {
	junk := strings.Repeat("garbage line\n", (MaxJunk-1000)/len("garbage line\n"))
	in := "6,1,1,-;one\n" + junk + "6,2,2,-;two\n" + junk + "6,3,3,-;three\n"
	seqs, bad, err := readAllRecords(NewCaptureReader(strings.NewReader(in)))
	if err != nil || !cmp.Equal(seqs, []uint64{1, 2, 3}) || bad != 2*strings.Count(junk, "\n") {
		t.Errorf("records %v, %d bad, err %v", seqs, bad, err)
	}
	recs, err := ParseCapture([]byte(in + junk + junk + "6,4,4,-;too late\n"))
	if len(recs) != 3 || !errors.Is(err, ErrNotCapture) || !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseCapture: %d records, err %v", len(recs), err)
	}
}

// TestCaptureRecordSizeLimit: a record of MaxRecordSize bytes decodes, one
// byte more is skipped with ErrTruncated, in both formats, dictionary
// lines included, and the next record is read in each case.
func TestCaptureRecordSizeLimit(t *testing.T) {
	header := "6,1,1,-;"
	fill := func(n int) string { return header + strings.Repeat("m", n-len(header)) }
	dict := "\n SUBSYSTEM=" + strings.Repeat("d", 100)
	for _, tt := range []struct {
		name, record string
		ok           bool
	}{
		{"at the limit", fill(MaxRecordSize), true},
		{"one byte over", fill(MaxRecordSize + 1), false},
		{"dictionary at the limit", fill(MaxRecordSize-len(dict)) + dict, true},
		{"dictionary over", fill(MaxRecordSize-len(dict)+1) + dict, false},
		{"200000 bytes", fill(200000), false},
	} {
		for _, sep := range []string{"\n", "\x00"} {
			name := tt.name + map[string]string{"\n": "/newline", "\x00": "/nul"}[sep]
			t.Run(name, func(t *testing.T) {
				in := "6,0,0,-;before" + sep + tt.record + sep + "6,2,2,-;after" + sep
				c := NewCaptureReader(strings.NewReader(in))
				var got []string
				for r, err := range c.All() {
					switch {
					case err == nil:
						got = append(got, r.Message[:min(len(r.Message), 6)])
					case errors.Is(err, ErrTruncated):
						got = append(got, "truncated")
					default:
						t.Fatal(err)
					}
				}
				want := []string{"before", "mmmmmm", "after"}
				if !tt.ok {
					want[1] = "truncated"
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestCaptureReaderStreams: the reader returns a record once the start of
// the next one shows it is complete, without waiting for more input: a
// capture piped in slowly is decoded as it comes. Before, the format
// detection waited for 128 KiB or the end of the input.
func TestCaptureReaderStreams(t *testing.T) {
	for _, tt := range []struct {
		name, first, second string
		format              CaptureFormat
	}{
		// A line is a record's header once it starts "N,N,N,".
		{"newline", "6,1,1,-;one\n SUBSYSTEM=x\n", "6,2,2,", FormatNewline},
		{"nul", "6,1,1,-;one\n SUBSYSTEM=x\n\x00", "6", FormatNUL},
		{"nul, message of two lines", "6,1,1,-;one\nmore\n\x00", "6", FormatNUL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pr.Close()
			go func() {
				// Each write returns once the reader took all of it.
				io.WriteString(pw, tt.first)
				io.WriteString(pw, tt.second)
			}()
			c := NewCaptureReader(pr)
			r, err := c.Next()
			if err != nil || r.Seq != 1 {
				t.Fatalf("%+v, %v", r, err)
			}
			if c.Format() != tt.format {
				t.Errorf("format %v, want %v", c.Format(), tt.format)
			}
			pw.CloseWithError(errors.New("writer gone"))
		})
	}
}
