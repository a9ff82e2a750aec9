package gzipcat

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		b := make([]byte, r.IntN(5000))
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		cut := 0
		if len(b) > 0 {
			cut = r.IntN(len(b) + 1)
		}
		got := Combine(crc32.ChecksumIEEE(b[:cut]), crc32.ChecksumIEEE(b[cut:]), int64(len(b)-cut))
		if want := crc32.ChecksumIEEE(b); got != want {
			t.Fatalf("len %d cut %d: Combine = %08x, want %08x", len(b), cut, got, want)
		}
	}
}

// pieces returns a body in pieces shaped like an exposition: long runs of
// similar lines, a few tiny and empty pieces.
func pieces() [][]byte {
	var ps [][]byte
	for k := 0; k < 6; k++ {
		var b strings.Builder
		for i := 0; i < k*k*300; i++ {
			fmt.Fprintf(&b, "bootinfo_systemd_unit_state{name=\"unit-%04d.service\",state=\"active\"} %d\n", i, i%2)
		}
		ps = append(ps, []byte(b.String()), nil, []byte("# EOF\n"))
	}
	return ps
}

func body(ps [][]byte) []byte { return bytes.Join(ps, nil) }

// splice writes ps as one member, compressing them in turn at BestSpeed,
// at DefaultCompression and as stored blocks (Stored).
func splice(t *testing.T, ps [][]byte) []byte {
	t.Helper()
	var segs []Segment
	for i, p := range ps {
		switch i % 3 {
		case 0:
			segs = append(segs, Compress(p, flate.DefaultCompression))
		case 1:
			segs = append(segs, Compress(p, flate.BestSpeed))
		default:
			segs = append(segs, Stored(p))
		}
	}
	var out bytes.Buffer
	if err := Write(&out, segs...); err != nil {
		t.Fatal(err)
	}
	if int64(out.Len()) != Size(segs...) {
		t.Errorf("Size = %d, wrote %d", Size(segs...), out.Len())
	}
	return out.Bytes()
}

// TestWriteIsOneValidMember decodes the spliced body as a single gzip
// member (not a concatenation of members, which some clients stop after
// the first of) and checks the trailer's CRC and length, which the reader
// verifies.
func TestWriteIsOneValidMember(t *testing.T) {
	ps := pieces()
	gz := splice(t, ps)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if !bytes.Equal(got, body(ps)) {
		t.Fatalf("decoded %d bytes, want %d", len(got), len(body(ps)))
	}
	if _, err := zr.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("bytes after the member: %v", err)
	}
	// Compressed pieces by themselves stay compact: within a few percent
	// of compressing the whole body at once.
	var segs []Segment
	for _, p := range ps {
		segs = append(segs, Compress(p, flate.DefaultCompression))
	}
	var whole bytes.Buffer
	zw := gzip.NewWriter(&whole)
	zw.Write(body(ps))
	zw.Close()
	t.Logf("spliced %d bytes, whole %d, raw %d", Size(segs...), whole.Len(), len(body(ps)))
	if Size(segs...) > int64(whole.Len()*11/10) {
		t.Errorf("spliced body %d bytes, more than 110%% of compressing it whole (%d)", Size(segs...), whole.Len())
	}
}

// TestStored: pieces stored uncompressed, of every size around a stored
// block's limit, splice with compressed ones into a valid member, and cost
// five bytes a block.
func TestStored(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, maxStored - 1, maxStored, maxStored + 1, 3*maxStored + 7} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.UintN(256))
		}
		ps := [][]byte{[]byte("head\n"), []byte("x"), p, []byte("tail\n"), nil, p}
		zr, err := gzip.NewReader(bytes.NewReader(splice(t, ps)))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, body(ps)) {
			t.Fatalf("%d stored bytes: decoded %d bytes, want %d (%v)", n, len(got), len(body(ps)), err)
		}
		if s := Stored(p); len(s.Deflate) != n+5*((n+maxStored-1)/maxStored) {
			t.Errorf("%d bytes stored in %d", n, len(s.Deflate))
		}
	}
}

// TestGzipToolDecodes: the gzip program (zlib's format, as curl and
// browsers decode it) accepts the spliced member and its integrity check.
func TestGzipToolDecodes(t *testing.T) {
	gzipBin, err := exec.LookPath("gzip")
	if err != nil {
		testutil.SkipOrFail(t, "gzip not installed")
	}
	ps := pieces()
	cmd := exec.Command(gzipBin, "-dc")
	cmd.Stdin = bytes.NewReader(splice(t, ps))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("gzip -dc: %v %s", err, stderr.Bytes())
	}
	if !bytes.Equal(out, body(ps)) {
		t.Fatalf("gzip -dc gave %d bytes, want %d", len(out), len(body(ps)))
	}
}

func TestEmpty(t *testing.T) {
	gz := splice(t, nil)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || len(b) != 0 {
		t.Errorf("empty body: %q %v", b, err)
	}
}

func FuzzSplice(f *testing.F) {
	f.Add([]byte("a"), []byte(""), []byte("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		ps := [][]byte{a, b, c, a}
		zr, err := gzip.NewReader(bytes.NewReader(splice(t, ps)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, body(ps)) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func BenchmarkWrite(b *testing.B) {
	ps := pieces()
	var segs []Segment
	for _, p := range ps {
		segs = append(segs, Compress(p, flate.DefaultCompression))
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body(ps))))
	for b.Loop() {
		_ = Write(io.Discard, segs...)
	}
}

// BenchmarkCompress compresses an exposition-shaped piece at the two
// levels the agent uses, one at a time and from concurrent callers.
func BenchmarkCompress(b *testing.B) {
	p := body(pieces())
	for _, level := range []int{flate.BestSpeed, flate.DefaultCompression} {
		b.Run(fmt.Sprintf("level%d", level), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				Compress(p, level)
			}
		})
		b.Run(fmt.Sprintf("level%d-parallel", level), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					Compress(p, level)
				}
			})
		})
	}
}

// BenchmarkWriteTo inflates an exposition-shaped piece, as a plain
// (not gzip) request for a block kept compressed does.
func BenchmarkWriteTo(b *testing.B) {
	p := body(pieces())
	seg := Compress(p, flate.DefaultCompression)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := seg.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInflate: every kind of segment gives back its bytes, and a segment
// whose bytes do not match its length or CRC is an error.
func TestInflate(t *testing.T) {
	for i, p := range pieces() {
		for _, seg := range []Segment{Compress(p, flate.BestSpeed), Compress(p, flate.DefaultCompression), Stored(p)} {
			got, err := seg.Inflate()
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("piece %d (%d bytes): Inflate = %d bytes, %v", i, len(p), len(got), err)
			}
			var buf bytes.Buffer
			if n, err := seg.WriteTo(&buf); err != nil || n != int64(len(p)) || !bytes.Equal(buf.Bytes(), p) {
				t.Fatalf("piece %d: WriteTo = %d, %v", i, n, err)
			}
		}
	}
	p := []byte(strings.Repeat("bootinfo_systemd_unit_state 1\n", 100))
	seg := Compress(p, flate.BestSpeed)
	for name, bad := range map[string]Segment{
		"wrong CRC":    {Deflate: seg.Deflate, CRC: seg.CRC ^ 1, Len: seg.Len},
		"wrong length": {Deflate: seg.Deflate, CRC: seg.CRC, Len: seg.Len + 1},
		"cut short":    {Deflate: seg.Deflate[:len(seg.Deflate)/2], CRC: seg.CRC, Len: seg.Len},
		"not DEFLATE":  {Deflate: []byte{0xff, 0xff, 0xff}, Len: 1},
		"impossible":   {Deflate: seg.Deflate, CRC: seg.CRC, Len: 1 << 40},
	} {
		if _, err := bad.Inflate(); err == nil {
			t.Errorf("%s: Inflate gave no error", name)
		}
	}
}
