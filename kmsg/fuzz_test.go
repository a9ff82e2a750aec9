package kmsg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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

// FuzzParseRecord checks that any input decodes or fails cleanly, and that
// what decodes survives a round trip through the kernel's format.
func FuzzParseRecord(f *testing.F) {
	for _, r := range corpusRecords(f) {
		f.Add(r)
	}
	f.Add([]byte("6,1,2,-,caller=T1,x=y;a\\x0ab\\\n SUBSYSTEM=usb\n DEVICE=c189:1\nmore\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
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
	f.Fuzz(func(t *testing.T, in []byte) {
		i := 0
		for r, err := range NewCaptureReader(bytes.NewReader(in)).All() {
			if i++; i > len(in)+1 {
				t.Fatalf("more records than input bytes")
			}
			if err != nil {
				if !isRecordError(err) {
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
