package bootimage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Formats of an initramfs segment, as Segment.Format.
const (
	CpioNewc = "cpio-newc" // 070701
	CpioCRC  = "cpio-crc"  // 070702, newc with checksums
	CpioODC  = "cpio-odc"  // 070707, POSIX.1 portable format: the kernel refuses it
	// Compressed is a segment in one of the compressed formats;
	// Segment.Compression names which.
	Compressed = "compressed"
)

// Initrd is what the headers of an initial RAM file system image say.
type Initrd struct {
	// Segments are the archives found, in order, as the kernel unpacks
	// them: uncompressed cpio archives (an early microcode archive,
	// typically) and compressed ones. A zstd frame's end is found from its
	// block headers, which must all lie within the file (a frame cut short
	// is ErrTruncated), and the walk goes on after it. The other
	// compressed formats say where they end only once decompressed: the
	// walk ends at the first of them, checked no further than its magic
	// number.
	Segments []Segment `json:"segments"`
	// Incomplete is set when the walk stopped at MaxRead bytes before the
	// end of the uncompressed archives, or of a zstd archive's frames.
	Incomplete bool `json:"incomplete,omitempty"`
	// Size is the file's size in bytes.
	Size int64 `json:"size_bytes"`
}

// Segment is one archive in an initramfs image.
type Segment struct {
	// Offset is where the segment starts in the file.
	Offset int64 `json:"offset"`
	// Format is CpioNewc, CpioCRC, CpioODC or Compressed.
	Format string `json:"format"`
	// Compression names a compressed segment's format: gzip, bzip2, lzma,
	// xz, lzo, lz4 or zstd.
	Compression string `json:"compression,omitempty"`
	// Entries counts the files of an uncompressed archive, its trailer
	// excluded.
	Entries int `json:"entries,omitempty"`
}

// compressions are the magic numbers the kernel's decompress_method
// (lib/decompress.c) recognises. lz4 is the legacy frame only: the kernel
// does not read the LZ4 frame format (04 22 4D 18).
var compressions = []struct {
	magic, name string
}{
	{"\x1f\x8b", "gzip"},
	{"\x1f\x9e", "gzip"},
	{"BZh", "bzip2"},
	{"\x5d\x00\x00", "lzma"},
	{"\xfd7zXZ\x00", "xz"},
	{"\x89LZO", "lzo"},
	{"\x02\x21\x4c\x18", "lz4"},
	{"\x28\xb5\x2f\xfd", "zstd"},
}

// A newc or crc cpio header is the magic and 13 fields of 8 hex digits.
const (
	newcHeaderLen = 110
	// maxName bounds a member's name (the kernel's PATH_MAX).
	maxName = 4096
)

// ParseInitrd identifies the initramfs image b.
func ParseInitrd(b []byte) (*Initrd, error) {
	return ReadInitrd(bytes.NewReader(b), int64(len(b)))
}

// ReadInitrd identifies the initramfs image of size bytes that r reads, as
// the kernel's unpack_to_rootfs walks it: NUL padding is skipped, a "0" on
// a 4-byte boundary starts a cpio archive, anything else must be a
// compressed one. It reads at most MaxRead bytes. The returned Initrd holds
// what was found even with an error, which wraps ErrNotInitrd (empty,
// unknown data, an odc archive, an LZ4 frame) or ErrTruncated (an archive
// cut short).
func ReadInitrd(r io.ReaderAt, size int64) (*Initrd, error) {
	in := &Initrd{Segments: []Segment{}, Size: size}
	if size <= 0 {
		return in, fmt.Errorf("%w: empty file", ErrNotInitrd)
	}
	b := &budget{r: r, size: size}
	off := int64(0)
	for {
		var err error
		off, err = skipPadding(b, off)
		switch {
		case errors.Is(err, errBudget):
			in.Incomplete = true
			return in, nil
		case err != nil:
			return in, fmt.Errorf("bootimage: initramfs at byte %d: %w", off, err)
		case off == size:
			if len(in.Segments) == 0 {
				return in, fmt.Errorf("%w: only NUL bytes", ErrNotInitrd)
			}
			return in, nil
		}
		head, err := b.read(off, int(min(8, size-off)))
		if err != nil {
			in.Incomplete = errors.Is(err, errBudget)
			if in.Incomplete {
				return in, nil
			}
			return in, err
		}
		if head[0] == '0' && off&3 == 0 {
			seg, next, err := walkCpio(b, off)
			if seg.Format != "" {
				in.Segments = append(in.Segments, seg)
			}
			switch {
			case errors.Is(err, errBudget):
				in.Incomplete = true
				return in, nil
			case err != nil:
				return in, err
			}
			off = next
			continue
		}
		name := compressionOf(head)
		if name == "" {
			if bytes.HasPrefix(head, []byte("\x04\x22\x4d\x18")) {
				return in, fmt.Errorf("%w: an LZ4 frame at byte %d; the kernel reads only the legacy LZ4 format (lz4 -l)", ErrNotInitrd, off)
			}
			return in, fmt.Errorf("%w: at byte %d, neither a cpio archive nor a compressed format the kernel knows (%x)", ErrNotInitrd, off, head)
		}
		in.Segments = append(in.Segments, Segment{Offset: off, Format: Compressed, Compression: name})
		if name != "zstd" {
			return in, nil // where it ends is known only by decompressing it
		}
		next, err := walkZstd(b, off)
		switch {
		case errors.Is(err, errBudget) || errors.Is(err, errZstdBlocks):
			in.Incomplete = true
			return in, nil
		case err != nil:
			return in, err
		}
		off = next
	}
}

// compressionOf names the compressed format head starts with, or "".
func compressionOf(head []byte) string {
	for _, c := range compressions {
		if bytes.HasPrefix(head, []byte(c.magic)) {
			return c.name
		}
	}
	return ""
}

// skipPadding returns the offset of the first byte at or after off that is
// not NUL, or the file's size.
func skipPadding(b *budget, off int64) (int64, error) {
	const chunk = 4096
	for off < b.size {
		buf, err := b.read(off, int(min(chunk, b.size-off)))
		if err != nil {
			return off, err
		}
		for i, c := range buf {
			if c != 0 {
				return off + int64(i), nil
			}
		}
		off += int64(len(buf))
	}
	return off, nil
}

// walkCpio reads the member headers of the cpio archive at off up to its
// trailer and returns the segment and where the archive ends.
func walkCpio(b *budget, off int64) (Segment, int64, error) {
	seg := Segment{Offset: off}
	magic, err := b.read(off, 6)
	if err != nil {
		return seg, off, truncated(err, off)
	}
	switch string(magic) {
	case "070701":
		seg.Format = CpioNewc
	case "070702":
		seg.Format = CpioCRC
	case "070707":
		seg.Format = CpioODC
		return seg, off, fmt.Errorf("%w: an odc cpio archive (070707) at byte %d; the kernel unpacks only newc (cpio -H newc)", ErrNotInitrd, off)
	default:
		return seg, off, fmt.Errorf("%w: no cpio magic at byte %d (%q)", ErrNotInitrd, off, magic)
	}
	for {
		h, err := b.read(off, newcHeaderLen)
		if err != nil {
			return seg, off, truncated(err, off)
		}
		if string(h[:6]) != string(magic) {
			return seg, off, fmt.Errorf("%w: cpio member at byte %d has magic %q", ErrNotInitrd, off, h[:6])
		}
		// c_filesize is the 7th field and c_namesize the 12th after the
		// magic, 8 hex digits each.
		fileSize, err1 := hexField(h, 6+6*8)
		nameSize, err2 := hexField(h, 6+11*8)
		if err1 != nil || err2 != nil || nameSize == 0 || nameSize > maxName {
			return seg, off, fmt.Errorf("%w: malformed cpio header at byte %d", ErrNotInitrd, off)
		}
		name, err := b.read(off+newcHeaderLen, int(nameSize))
		if err != nil {
			return seg, off, truncated(err, off)
		}
		dataStart := align4(off + newcHeaderLen + nameSize)
		next := align4(dataStart + fileSize)
		if string(name) == "TRAILER!!!\x00" {
			// The trailer has no data; the archive ends with it.
			return seg, min(dataStart, b.size), nil
		}
		if next > b.size && dataStart+fileSize > b.size {
			return seg, off, fmt.Errorf("%w: cpio member %q at byte %d runs past the end of the file", ErrTruncated, cString(name), off)
		}
		seg.Entries++
		off = next
	}
}

func hexField(h []byte, at int) (int64, error) {
	v, err := strconv.ParseUint(string(h[at:at+8]), 16, 32)
	return int64(v), err
}

func align4(n int64) int64 { return (n + 3) &^ 3 }

// truncated turns a read past the end of the file into ErrTruncated.
func truncated(err error, off int64) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: cpio archive cut short at byte %d, before its trailer", ErrTruncated, off)
	}
	return err
}
