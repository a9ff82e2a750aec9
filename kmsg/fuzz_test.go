package kmsg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// formatRecord writes r back in the /dev/kmsg form, escaping as the kernel
// does (bytes below 0x20, from 0x7f, and the backslash).
func formatRecord(r Record) []byte {
	var b []byte
	b = strconv.AppendInt(b, int64(r.Priority()), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, r.TimestampUsec, 10)
	b = append(b, ',', byte(r.Flag))
	if r.Caller != "" {
		b = append(b, ",caller="...)
		b = append(b, r.Caller...)
	}
	b = append(b, ';')
	b = appendEscaped(b, r.Message)
	keys := make([]string, 0, len(r.Dict))
	for k := range r.Dict {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = append(b, '\n', ' ')
		b = append(b, k...)
		b = append(b, '=')
		b = appendEscaped(b, r.Dict[k])
	}
	return append(b, '\n')
}

func appendEscaped(b []byte, s string) []byte {
	const hexdig = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == '\\' {
			b = append(b, '\\', 'x', hexdig[c>>4], hexdig[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// corpusFiles returns the shared corpus's kmsg captures, or none when it
// is absent (the committed testdata/fuzz seeds then still run).
func corpusFiles(tb testing.TB) []string {
	base := os.Getenv(testutil.EnvSharedTestdata)
	if base == "" {
		base = filepath.Join(testutil.RepoRoot(tb), "..", "shared", "testdata")
	}
	var files []string
	for _, pat := range []string{"kmsg/util-linux/*input", "kmsg/util-linux/cid-kmsg-newlines", "kmsg/go-kmsg-parser/*.kmsg", "boots/*/dev-kmsg.txt"} {
		m, _ := filepath.Glob(filepath.Join(base, pat))
		files = append(files, m...)
	}
	return files
}

// corpusRecords returns raw records from the shared corpus's captures.
func corpusRecords(tb testing.TB) [][]byte {
	var out [][]byte
	for _, f := range corpusFiles(tb) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		recs, _ := ParseCapture(b)
		for _, r := range recs {
			out = append(out, formatRecord(r))
		}
	}
	return out
}

func TestFormatRecordRoundTrip(t *testing.T) {
	recs := corpusRecords(t)
	if len(recs) < 2000 {
		testutil.SkipOrFail(t, "shared corpus gave only %d records", len(recs))
	}
	for _, raw := range recs {
		r, err := ParseRecord(raw)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if again := formatRecord(r); !bytes.Equal(again, raw) {
			t.Errorf("round trip changed %q to %q", raw, again)
		}
	}
}

// cost returns the allocations f makes and the bytes it allocates: the
// fuzz targets fail on an input that costs more than its size allows, not
// only on a panic.
func cost(f func()) (allocs, bytes uint64) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc
}

// costlyRecord is a record whose decoding allocates the most per byte:
// thousands of distinct dictionary keys, and message lines.
func costlyRecord() []byte {
	b := []byte("6,1,1,-;m\n")
	for i := range 5000 {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, "=\n"...)
	}
	return append(b, bytes.Repeat([]byte("a\n"), 5000)...)
}

// FuzzParseRecord checks that any input decodes or fails cleanly, and that
// what decodes survives a round trip through the kernel's format.
func FuzzParseRecord(f *testing.F) {
	for _, r := range corpusRecords(f) {
		f.Add(r)
	}
	f.Add([]byte("6,1,2,-,caller=T1,x=y;a\\x0ab\\\n SUBSYSTEM=usb\n DEVICE=c189:1\nmore\n\n"))
	f.Add(costlyRecord())
	f.Fuzz(func(t *testing.T, in []byte) {
		// Cost: one allocation per dictionary entry or so, and the
		// bytes a few times the input (the map's growth dominates).
		allocs, bytes := cost(func() { ParseRecord(in) })
		if !raceEnabled && (allocs > uint64(len(in))/2+32 || bytes > 48*uint64(len(in))+4096) {
			t.Fatalf("%d bytes in: %d allocations, %d bytes allocated", len(in), allocs, bytes)
		}
		r, err := ParseRecord(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if r.Level > LevelDebug || r.Priority() > 1023 {
			t.Fatalf("priority out of range: %+v", r)
		}
		if len(r.Message) > len(in) {
			t.Fatalf("message longer than the input")
		}
		r2, err := ParseRecord(formatRecord(r))
		if err != nil {
			t.Fatalf("re-encoded record fails: %v", err)
		}
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzCaptureReader feeds arbitrary captures: no panic, every error is a
// record error or EOF, and each record is bounded by the input.
func FuzzCaptureReader(f *testing.F) {
	for _, p := range corpusFiles(f) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("6,1,1,-;a\n SUBSYSTEM=x\n6,2,2,c;b\n"))
	f.Add([]byte("6,1,1,-;a\n\x00\x00 6,2,2,-;b"))
	f.Add(costlyRecord())
	f.Add(bytes.Repeat([]byte("a\n"), 20000))
	f.Fuzz(func(t *testing.T, in []byte) {
		// Cost: the reader's buffer, and then a few allocations per
		// record (an error for each that does not decode), so at most
		// a few per input byte. Beyond MaxJunk it stops reading.
		allocs, size := cost(func() {
			for range NewCaptureReader(bytes.NewReader(in)).All() {
			}
		})
		if !raceEnabled && (allocs > 8*uint64(min(len(in), MaxJunk+MaxRecordSize+1))+64 || size > 256*uint64(len(in))+4*MaxRecordSize) {
			t.Fatalf("%d bytes in: %d allocations, %d bytes allocated", len(in), allocs, size)
		}
		i := 0
		for r, err := range NewCaptureReader(bytes.NewReader(in)).All() {
			if i++; i > len(in)+1 {
				t.Fatalf("more records than input bytes")
			}
			if err != nil {
				if !isRecordError(err) && !(errors.Is(err, ErrNotCapture) && len(in) > MaxJunk) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if len(r.Message) > len(in) {
				t.Fatalf("record larger than input")
			}
		}
	})
}
