package bootimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"testing"
)

// zstdTestOK is zstd -t's verdict on b: whether it decodes whole.
func zstdTestOK(t *testing.T, b []byte) bool {
	t.Helper()
	cmd := exec.Command(tool(t, "zstd"), "-q", "-t")
	cmd.Stdin = bytes.NewReader(b)
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("zstd -t: %v", err)
	}
	return err == nil
}

// zstdPayload is data that compresses into blocks of every kind: text that
// compresses, a run (RLE blocks), and noise (raw blocks), more than one
// 128 KiB block of each.
func zstdPayload() []byte {
	var b bytes.Buffer
	for i := range 8000 {
		fmt.Fprintf(&b, "lib/modules/6.1.0-%d-amd64/kernel/drivers/block/virtio_blk.ko\n", i%97)
	}
	b.Write(bytes.Repeat([]byte{0x5a}, 300<<10))
	r := rand.New(rand.NewPCG(7, 8))
	noise := make([]byte, 300<<10)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	b.Write(noise)
	return b.Bytes()
}

// TestZstdFramingAgreesWithZstd: for frames the real zstd writes (with
// and without a content checksum, multi-threaded as Debian's mkinitramfs
// runs it, a small single-segment frame), whole and cut at every kind of
// place, the walk calls an archive cut short exactly when zstd -t refuses
// it.
func TestZstdFramingAgreesWithZstd(t *testing.T) {
	payload := zstdPayload()
	archives := map[string][]byte{
		"checksum":       compress(t, payload, "zstd", "-q", "-19", "-c"),
		"no checksum":    compress(t, payload, "zstd", "-q", "-c", "--no-check"),
		"mkinitramfs":    compress(t, payload, "zstd", "-q", "-1", "-T0", "-c"),
		"single segment": compress(t, []byte("init\n"), "zstd", "-q", "-c"),
	}
	for name, z := range archives {
		t.Run(name, func(t *testing.T) {
			cuts := []int{len(z), 5, 6, 9, 12, 20, len(z) / 3, len(z) / 2, len(z) - 5, len(z) - 4, len(z) - 3, len(z) - 1}
			slices.Sort(cuts)
			for _, n := range slices.Compact(cuts) {
				if n < 4 || n > len(z) {
					continue
				}
				got, err := ParseInitrd(z[:n])
				if err != nil && !errors.Is(err, ErrTruncated) {
					t.Fatalf("cut at %d of %d: %v", n, len(z), err)
				}
				if len(got.Segments) != 1 || got.Segments[0].Compression != "zstd" || got.Incomplete {
					t.Fatalf("cut at %d of %d: %+v", n, len(z), got)
				}
				if want := zstdTestOK(t, z[:n]); (err == nil) != want {
					t.Errorf("cut at %d of %d: walk says %v; zstd -t decodes it: %v", n, len(z), err, want)
				}
			}
		})
	}
}

// TestZstdThenMore: after a zstd frame the walk goes on as the kernel's
// unpacker does (init/initramfs.c): NUL padding is skipped, a cpio archive
// or another frame is a segment of its own, and a skippable frame, which
// zstd -t accepts but the kernel's unpacker does not know, is junk.
func TestZstdThenMore(t *testing.T) {
	z := compress(t, []byte("init\n"), "zstd", "-q", "-c")
	trailer := []byte("07070100000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000b00000000TRAILER!!!\x00\x00\x00\x00")
	skippable := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 0x184D2A5E), 1)
	skippable = append(skippable, 'x')
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for name, tc := range map[string]struct {
		img      []byte
		segments int
		err      error
	}{
		"NUL padding":        {cat(z, make([]byte, 512)), 1, nil},
		"two frames":         {cat(z, z), 2, nil},
		"padding then frame": {cat(z, make([]byte, 3), z), 2, nil},
		"then cpio":          {cat(z, make([]byte, (4-len(z)%4)%4), trailer), 2, nil},
		"second frame cut":   {cat(z, z[:len(z)-1]), 2, ErrTruncated},
		"a skippable frame":  {cat(z, skippable), 1, ErrNotInitrd},
		"junk after a frame": {cat(z, []byte("junk")), 1, ErrNotInitrd},
	} {
		got, err := ParseInitrd(tc.img)
		if len(got.Segments) != tc.segments || (tc.err == nil) != (err == nil) || (tc.err != nil && !errors.Is(err, tc.err)) {
			t.Errorf("%s: %d segments, %v; want %d, %v", name, len(got.Segments), err, tc.segments, tc.err)
		}
	}
}

// TestZstdFramingRefusesWhatTheKernelRefuses: a frame header with its
// reserved bit set, a block of the reserved type or larger than a block
// may be is not an initramfs the kernel unpacks; a hostile file of more
// blocks than any initramfs holds is walked only so far.
func TestZstdFramingRefusesWhatTheKernelRefuses(t *testing.T) {
	frame := func(fhd byte, blocks ...uint32) []byte {
		b := binary.LittleEndian.AppendUint32(nil, zstdMagic)
		b = append(b, fhd, 0x58) // a window descriptor
		for _, h := range blocks {
			b = append(b, byte(h), byte(h>>8), byte(h>>16))
			if (h>>1)&3 == 1 {
				b = append(b, 'x')
			} else {
				b = append(b, make([]byte, h>>3)...)
			}
		}
		return b
	}
	const last = 1
	rle := func(n uint32) uint32 { return n<<3 | 1<<1 }
	raw := func(n uint32) uint32 { return n << 3 }
	if _, err := ParseInitrd(frame(0, raw(10), rle(1000)|last)); err != nil {
		t.Fatalf("a well-formed frame: %v", err)
	}
	for name, img := range map[string][]byte{
		"reserved bit":        frame(0x08, raw(1)|last),
		"reserved block type": frame(0, 3<<1|last),
		"block too large":     frame(0, raw(zstdMaxBlock+1)|last),
	} {
		if _, err := ParseInitrd(img); !errors.Is(err, ErrNotInitrd) {
			t.Errorf("%s: %v", name, err)
		}
	}
	blocks := make([]uint32, maxZstdBlocks+10)
	for i := range blocks {
		blocks[i] = rle(1)
	}
	r := &countingReader{data: frame(0, blocks...)}
	r.size = int64(len(r.data))
	got, err := ReadInitrd(r, r.size)
	if err != nil || !got.Incomplete || r.calls > maxZstdBlocks+10 {
		t.Errorf("%d blocks: %+v, %v, after %d reads", len(blocks), got, err, r.calls)
	}
}
