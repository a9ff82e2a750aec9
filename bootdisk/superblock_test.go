package bootdisk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fsImages reads the committed file system images (testdata/fs, see
// make-images.sh there) with what blkid read from each.
func fsImages(t testing.TB) map[string]struct {
	img  []byte
	want FileSystem
} {
	t.Helper()
	paths, _ := filepath.Glob("testdata/fs/*.img")
	if len(paths) == 0 {
		t.Fatal("no testdata/fs/*.img")
	}
	out := map[string]struct {
		img  []byte
		want FileSystem
	}{}
	for _, p := range paths {
		img, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		exp, err := os.ReadFile(p + ".blkid")
		if err != nil {
			t.Fatal(err)
		}
		want := parseBlkidExport(exp)
		out[filepath.Base(p)] = struct {
			img  []byte
			want FileSystem
		}{img, want}
	}
	return out
}

// TestFileSystemGolden decodes images made by mkfs.ext4, mkfs.ext2,
// mkfs.xfs, mkfs.btrfs, mkfs.vfat and mkswap, cut to what ReadFileSystem
// reads, and compares with what blkid read from the whole images.
func TestFileSystemGolden(t *testing.T) {
	for name, c := range fsImages(t) {
		got, err := ParseFileSystem(c.img)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if diff := cmp.Diff(c.want, *got); diff != "" {
			t.Errorf("%s: -blkid +ParseFileSystem:\n%s", name, diff)
		}
	}
}

// TestFileSystemTruncated cuts each image short at every boundary that
// matters: no panic, and a superblock that is cut is not found.
func TestFileSystemTruncated(t *testing.T) {
	for name, c := range fsImages(t) {
		for _, n := range []int{0, 1, 3, 511, 512, 1023, 1024, 1500, 2047, 2048, 4085, 4096, 8191, btrfsOffset, btrfsOffset + btrfsSize - 1, len(c.img) - 1} {
			if n > len(c.img) {
				continue
			}
			got, err := ParseFileSystem(c.img[:n])
			if err == nil && got.Type != c.want.Type {
				t.Errorf("%s cut to %d: %+v, a %s cut short", name, n, got, c.want.Type)
			}
			if err != nil && !errors.Is(err, ErrNoFileSystem) {
				t.Errorf("%s cut to %d: %v", name, n, err)
			}
		}
	}
	// Cut where its superblock ends, each is still found; a byte less and
	// it is not.
	for name, end := range map[string]int{"ext4.img": extOffset + extSize, "xfs.img": 512, "btrfs.img": btrfsOffset + btrfsSize, "swap.img": 4096} {
		img := fsImages(t)[name].img
		if _, err := ParseFileSystem(img[:end]); err != nil {
			t.Errorf("%s cut to %d: %v", name, end, err)
		}
		if got, err := ParseFileSystem(img[:end-1]); !errors.Is(err, ErrNoFileSystem) {
			t.Errorf("%s cut to %d: %+v, %v; want none", name, end-1, got, err)
		}
	}
}

// TestFileSystemHostile feeds superblocks edited the ways a broken or
// hostile device might be.
func TestFileSystemHostile(t *testing.T) {
	imgs := fsImages(t)
	edit := func(name string, f func(b []byte)) []byte {
		b := bytes.Clone(imgs[name].img)
		f(b)
		return b
	}
	fill := func(b []byte, c byte) {
		for i := range b {
			b[i] = c
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, btrfsOffset+btrfsSize)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	// extCsum recomputes an ext4 superblock's checksum after an edit.
	extCsum := func(b []byte) {
		sb := b[extOffset : extOffset+extSize]
		binary.LittleEndian.PutUint32(sb[extChecksum:], ^crc32.Checksum(sb[:extChecksum], castagnoli))
	}
	for _, c := range []struct {
		name string
		b    []byte
		want *FileSystem // nil: ErrNoFileSystem
	}{
		{"garbage", garbage, nil},
		{"all ones", bytes.Repeat([]byte{0xff}, btrfsOffset+btrfsSize), nil},
		{"ext4 label without a NUL", edit("ext4.img", func(b []byte) {
			fill(b[extOffset+extVolumeName:extOffset+extVolumeName+16], 'x')
			extCsum(b)
		}), &FileSystem{Type: FSExt4, UUID: "4f1c3b2a-9e8d-4c7b-a6f5-0e1d2c3b4a59", Label: strings.Repeat("x", 16)}},
		{"ext4 label edited, checksum not", edit("ext4.img", func(b []byte) { b[extOffset+extVolumeName] = 'X' }),
			&FileSystem{Type: FSExt4, UUID: "4f1c3b2a-9e8d-4c7b-a6f5-0e1d2c3b4a59", Label: "Xebian-root", BadChecksum: true}},
		{"ext4 block size 2^40", edit("ext4.img", func(b []byte) {
			binary.LittleEndian.PutUint32(b[extOffset+extLogBlockSize:], 30)
			extCsum(b)
		}), nil},
		{"btrfs label of 256 bytes, no NUL, checksum not updated", edit("btrfs.img", func(b []byte) {
			fill(b[btrfsOffset+btrfsLabel:btrfsOffset+btrfsLabel+256], 'y')
		}), &FileSystem{Type: FSBtrfs, UUID: "7e6d5c4b-3a29-4817-8695-a4b3c2d1e0f9", Label: strings.Repeat("y", 256), BadChecksum: true}},
		{"btrfs label of 256 bytes, no NUL", edit("btrfs.img", func(b []byte) {
			sb := b[btrfsOffset : btrfsOffset+btrfsSize]
			fill(sb[btrfsLabel:btrfsLabel+256], 'y')
			binary.LittleEndian.PutUint32(sb[btrfsCsum:], crc32.Checksum(sb[btrfsCsumStart:], castagnoli))
		}), &FileSystem{Type: FSBtrfs, UUID: "7e6d5c4b-3a29-4817-8695-a4b3c2d1e0f9", Label: strings.Repeat("y", 256)}},
		{"btrfs copy claiming another position", edit("btrfs.img", func(b []byte) {
			binary.LittleEndian.PutUint64(b[btrfsOffset+btrfsBytenr:], 64<<20)
		}), nil},
		{"btrfs unknown checksum type: not checked", edit("btrfs.img", func(b []byte) {
			binary.LittleEndian.PutUint16(b[btrfsOffset+btrfsCsumType:], 9)
		}), &FileSystem{Type: FSBtrfs, UUID: "7e6d5c4b-3a29-4817-8695-a4b3c2d1e0f9", Label: "btrfs-root"}},
		{"xfs checksum wrong", edit("xfs.img", func(b []byte) { b[xfsFName] = 'X' }),
			&FileSystem{Type: FSXFS, UUID: "5d4c3b2a-1f0e-4d9c-8b7a-695847362514", Label: "Xfs-root", BadChecksum: true}},
		{"xfs sector size 32 KiB: beyond what is read, not checked", edit("xfs.img", func(b []byte) {
			binary.BigEndian.PutUint16(b[xfsSectSize:], 32768)
			b[xfsSectLog] = 15
		}), &FileSystem{Type: FSXFS, UUID: "5d4c3b2a-1f0e-4d9c-8b7a-695847362514", Label: "xfs-root"}},
		{"xfs block size 3000", edit("xfs.img", func(b []byte) { binary.BigEndian.PutUint32(b[xfsBlockSize:], 3000) }), nil},
		{"xfs no allocation groups", edit("xfs.img", func(b []byte) { binary.BigEndian.PutUint32(b[xfsAGCount:], 0) }), nil},
		{"vfat 0 bytes a sector", edit("vfat16.img", func(b []byte) { binary.LittleEndian.PutUint16(b[fatBytsPerSec:], 0) }), nil},
		{"vfat 3 sectors a cluster", edit("vfat16.img", func(b []byte) { b[fatSecPerClus] = 3 }), nil},
		{"vfat media byte 0", edit("vfat16.img", func(b []byte) { b[fatMedia] = 0 }), nil},
		{"vfat no jump", edit("vfat16.img", func(b []byte) { b[0] = 0 }), nil},
		{"vfat root directory far past the end", edit("vfat16.img", func(b []byte) {
			binary.LittleEndian.PutUint16(b[fatFATSz16:], 0xffff)
			b[fatNumFATs] = 0xff
		}), &FileSystem{Type: FSVFAT, UUID: "1234-ABCD"}},
		{"vfat label entry of 11 bytes, no padding", edit("vfat16.img", func(b []byte) {
			copy(b[67584:67584+11], "ABCDEFGHIJK")
		}), &FileSystem{Type: FSVFAT, UUID: "1234-ABCD", Label: "ABCDEFGHIJK"}},
		{"vfat no extended boot signature", edit("vfat16.img", func(b []byte) { b[fat16BootSig] = 0 }), &FileSystem{Type: FSVFAT, Label: "ESP"}},
		{"swap version 2", edit("swap.img", func(b []byte) { binary.LittleEndian.PutUint32(b[swapVersion:], 2) }), nil},
		{"swap big-endian", edit("swap.img", func(b []byte) { binary.BigEndian.PutUint32(b[swapVersion:], 1) }),
			&FileSystem{Type: FSSwap, UUID: "e3e3c1e0-7c3f-4c55-9a2b-7f1a7a1f0001", Label: "swap"}},
		{"swap label without a NUL", edit("swap.img", func(b []byte) { fill(b[swapLabel:swapLabel+16], 's') }),
			&FileSystem{Type: FSSwap, UUID: "e3e3c1e0-7c3f-4c55-9a2b-7f1a7a1f0001", Label: strings.Repeat("s", 16)}},
		{"swap version 0", edit("swap.img", func(b []byte) { copy(b[4086:], swapMagicV0) }), &FileSystem{Type: FSSwap}},
	} {
		got, err := ParseFileSystem(c.b)
		switch {
		case c.want == nil && !errors.Is(err, ErrNoFileSystem):
			t.Errorf("%s: %+v, %v; want none", c.name, got, err)
		case c.want != nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != nil:
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s: -want +got:\n%s", c.name, diff)
			}
		}
	}
	// Two superblocks: an XFS one at 0 over btrfs's at 64 KiB.
	both := bytes.Clone(imgs["btrfs.img"].img)
	copy(both, imgs["xfs.img"].img)
	if got, err := ParseFileSystem(both); !errors.Is(err, ErrAmbivalent) {
		t.Errorf("xfs and btrfs: %+v, %v; want ErrAmbivalent", got, err)
	}
}

// countingReader counts what ReadFileSystem reads.
type countingReader struct {
	r            *bytes.Reader
	mu           sync.Mutex
	calls, bytes int
	maxEnd       int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.calls++
	c.bytes += len(p)
	c.maxEnd = max(c.maxEnd, off+int64(len(p)))
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

// TestFileSystemReadsBounded: whatever the device holds, ReadFileSystem
// asks for MaxFileSystemRead bytes at most, in six reads at most, and
// beyond the first 68 KiB only for a FAT root directory.
func TestFileSystemReadsBounded(t *testing.T) {
	for name, c := range fsImages(t) {
		r := &countingReader{r: bytes.NewReader(c.img)}
		if _, err := ReadFileSystem(r); err != nil {
			t.Fatal(err)
		}
		if r.bytes > MaxFileSystemRead || r.calls > 6 {
			t.Errorf("%s: %d bytes in %d reads, want %d at most in 6", name, r.bytes, r.calls, MaxFileSystemRead)
		}
		if r.maxEnd > btrfsOffset+btrfsSize && !strings.HasPrefix(name, "vfat") {
			t.Errorf("%s: read up to %d", name, r.maxEnd)
		}
		t.Logf("%s: %d bytes in %d reads", name, r.bytes, r.calls)
	}
}

func BenchmarkReadFileSystem(b *testing.B) {
	for name, c := range fsImages(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			r := bytes.NewReader(c.img)
			for b.Loop() {
				if _, err := ReadFileSystem(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// parseBlkidExport reads TYPE, UUID and LABEL from `blkid -o export`.
func parseBlkidExport(out []byte) FileSystem {
	var fs FileSystem
	for _, l := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(l, "=")
		// export quotes for a shell: a backslash before each special
		// character.
		v = exportUnquote(v)
		switch k {
		case "TYPE":
			fs.Type = v
		case "UUID":
			fs.UUID = v
		case "LABEL":
			fs.Label = v
		}
	}
	return fs
}

func exportUnquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
