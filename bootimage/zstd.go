package bootimage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Zstandard framing (RFC 8878, section 3.1): the magic number, and the
// largest block a frame may hold (Block_Maximum_Size, 128 KiB).
const (
	zstdMagic    = 0xFD2FB528
	zstdMaxBlock = 128 << 10
	// maxZstdBlocks bounds the block headers one walk reads: at the
	// largest block size, 8 GiB of compressed data, far more than any
	// initramfs; a hostile file of tiny blocks is walked that far and
	// reported incomplete.
	maxZstdBlocks = 1 << 16
)

// errZstdBlocks ends a walk that has read maxZstdBlocks block headers.
var errZstdBlocks = errors.New("bootimage: zstd block budget spent")

// walkZstd checks the framing of the Zstandard frame at off by its headers
// alone, without decompressing anything, and returns where the frame ends:
// every block header and block the frame announces must lie within the
// file, and so must its last block and checksum. A file cut short (by a
// full disk, a copy that stopped) fails here, as the kernel's decompressor
// fails on it ("ZSTD-compressed data is truncated") and the boot with it.
// The kernel's streaming decompressor (lib/decompress_unzstd.c) reads one
// frame, and its unpacker (init/initramfs.c) goes on after it as after any
// segment: NUL padding, a cpio archive, or another compressed one. It
// reads 3 bytes per block.
func walkZstd(b *budget, off int64) (int64, error) {
	frame := off
	head, err := b.read(off, 5)
	if err != nil {
		return off, zstdErr(err, frame)
	}
	if binary.LittleEndian.Uint32(head) != zstdMagic {
		return off, fmt.Errorf("%w: no zstd frame at byte %d", ErrNotInitrd, off)
	}
	d := head[4] // Frame_Header_Descriptor
	if d&0x08 != 0 {
		return off, fmt.Errorf("%w: zstd frame at byte %d sets the reserved bit of its header", ErrNotInitrd, frame)
	}
	single := d&0x20 != 0
	checksum := d&0x04 != 0
	hdr := int64(1) // the descriptor
	if !single {
		hdr++ // Window_Descriptor
	}
	hdr += [4]int64{0, 1, 2, 4}[d&3] // Dictionary_ID
	fcs := [4]int64{0, 2, 4, 8}[d>>6]
	if single && d>>6 == 0 {
		fcs = 1
	}
	off += 4 + hdr + fcs
	for blocks, last := 0, false; !last; blocks++ {
		if blocks == maxZstdBlocks {
			return off, errZstdBlocks
		}
		bh, err := b.read(off, 3)
		if err != nil {
			return off, zstdErr(err, frame)
		}
		h := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		last = h&1 != 0
		size := int64(h >> 3)
		switch (h >> 1) & 3 {
		case 1: // RLE: one byte, repeated size times
			size = 1
		case 3:
			return off, fmt.Errorf("%w: zstd block at byte %d has the reserved block type", ErrNotInitrd, off)
		}
		if size > zstdMaxBlock {
			return off, fmt.Errorf("%w: zstd block at byte %d holds %d bytes, more than %d", ErrNotInitrd, off, size, zstdMaxBlock)
		}
		off += 3 + size
		if off > b.size {
			return off, fmt.Errorf("%w: zstd frame at byte %d is cut short: a block runs %d bytes past the end of the file", ErrTruncated, frame, off-b.size)
		}
	}
	if checksum {
		off += 4
	}
	if off > b.size {
		return off, fmt.Errorf("%w: zstd frame at byte %d is cut short in its checksum", ErrTruncated, frame)
	}
	return off, nil
}

// zstdErr turns a read past the end of the file into ErrTruncated.
func zstdErr(err error, frame int64) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: zstd frame at byte %d is cut short in a header", ErrTruncated, frame)
	}
	return err
}
