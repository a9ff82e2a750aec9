package bootimage

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
)

// seedImages adds the first KiB of the lab's real kernel, when the lab is
// set up, and small images of each format.
func seedImages(f *testing.F) {
	if lab, err := qemulab.Find(); err == nil {
		if b, err := os.ReadFile(lab.Kernel); err == nil {
			f.Add(b[:0x1000])
		}
	}
	f.Add([]byte("MZ\x00\x00zimg\x00\x02\x00\x00\x00\x04\x00\x00" + strings.Repeat("\x00", 0x2c) + "\x40\x00\x00\x00PE\x00\x00\x64\xaa\x02\x00"))
	f.Add([]byte(strings.Repeat("\x00", 0x38) + "ARM\x64"))
	f.Add([]byte("070701" + strings.Repeat("00000000", 11) + "0000000b00000000TRAILER!!!\x00\x00\x00\x00\x00\x28\xb5\x2f\xfd"))
	f.Add([]byte("070707"))
	// A zstd frame (zstd -q of "init\n"), then a cut copy of it.
	zstd := "\x28\xb5\x2f\xfd\x04\x58\x29\x00\x00init\n\x09\xf2\xf4\x6c"
	f.Add([]byte(zstd + zstd[:12]))
	f.Add([]byte("\x1f\x8b\x08\x00"))
}

// cost runs f and returns the bytes it allocated.
func cost(f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzReadKernel: any input, as a whole file and as the start of a 1 TiB
// one, decodes or fails with one of the package's errors, without a panic,
// reading a few KiB at most whatever the size.
func FuzzReadKernel(f *testing.F) {
	seedImages(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, size := range []int64{int64(len(in)), 1 << 40} {
			r := &countingReader{data: in, size: size}
			var k *Kernel
			var err error
			alloc := cost(func() { k, err = ReadKernel(r, size) })
			if r.read > headLen+maxVersion+24+maxSections*40 {
				t.Fatalf("size %d: read %d bytes in %d reads", size, r.read, r.calls)
			}
			if !raceEnabled && alloc > 16<<10 {
				t.Fatalf("size %d: allocated %d bytes", size, alloc)
			}
			if err != nil && !errors.Is(err, ErrNotKernel) && !errors.Is(err, ErrTruncated) {
				t.Fatalf("size %d: error %v wraps none of the package's errors", size, err)
			}
			if k == nil {
				if err == nil {
					t.Fatal("nil kernel without an error")
				}
				continue
			}
			if k.Size != size || !strings.HasPrefix(k.Version, k.Release) || !strings.HasSuffix(k.Version, k.Build) {
				t.Fatalf("size %d: %+v", size, k)
			}
		}
	})
}

// FuzzReadInitrd: the same for initramfs images; segments are in file
// order and inside the file, and at most one compressed segment ends the
// list.
func FuzzReadInitrd(f *testing.F) {
	seedImages(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, size := range []int64{int64(len(in)), 1 << 40} {
			r := &countingReader{data: in, size: size}
			var got *Initrd
			var err error
			alloc := cost(func() { got, err = ReadInitrd(r, size) })
			if r.read > MaxRead {
				t.Fatalf("size %d: read %d bytes in %d reads", size, r.read, r.calls)
			}
			// Each read allocates its buffer; the segment list and
			// errors add little.
			if !raceEnabled && alloc > 3*uint64(r.read)+64*uint64(r.calls)+16<<10 {
				t.Fatalf("size %d: allocated %d bytes for %d read", size, alloc, r.read)
			}
			if err != nil && !errors.Is(err, ErrNotInitrd) && !errors.Is(err, ErrTruncated) {
				t.Fatalf("size %d: error %v wraps none of the package's errors", size, err)
			}
			if got == nil || got.Size != size {
				t.Fatalf("size %d: %+v", size, got)
			}
			last := int64(-1)
			for i, s := range got.Segments {
				if s.Offset <= last || s.Offset >= size || (s.Format == Compressed) != (s.Compression != "") ||
					(s.Format == Compressed && s.Compression != "zstd" && i != len(got.Segments)-1) {
					t.Fatalf("size %d: %+v", size, got.Segments)
				}
				last = s.Offset
			}
		}
	})
}
