package bootdisk

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Linux swap (the kernel's include/linux/swap.h, union swap_header): a
// signature in the last 10 bytes of the first page, whose size is the
// page size of the machine that made it, and, for version 1, a header at
// byte 1024 in that machine's byte order.
const (
	swapVersion = 1024 // version: 1
	swapUUID    = 1036 // sws_uuid[16]
	swapLabel   = 1052 // sws_volume[16]
	swapEnd     = 1068

	swapMagicV1 = "SWAPSPACE2"
	swapMagicV0 = "SWAP-SPACE" // version 0: no header, no UUID
)

// swapPageSizes are the page sizes Linux runs with (x86 4 KiB; arm64,
// ppc64 and others up to 64 KiB), and so where the signature may end.
var swapPageSizes = []int64{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10}

// readSwap looks for the swap signature at the end of each page size,
// reading the 10 bytes of those beyond head, and decodes the header.
func readSwap(r io.ReaderAt, head []byte) (*FileSystem, error) {
	for _, ps := range swapPageSizes {
		off := ps - swapMagicLen
		var magic []byte
		if off+swapMagicLen <= int64(len(head)) {
			magic = head[off : off+swapMagicLen]
		} else if len(head) == headSize {
			var err error
			if magic, err = readRegion(r, off, swapMagicLen); err != nil {
				return nil, fmt.Errorf("bootdisk: reading the swap signature at %d: %w", off, err)
			}
		}
		switch string(magic) {
		case swapMagicV0:
			return &FileSystem{Type: FSSwap}, nil
		case swapMagicV1:
			return parseSwapHeader(head), nil
		}
	}
	return nil, nil
}

// parseSwapHeader decodes a version 1 header, nil when its version is not
// 1 in either byte order.
func parseSwapHeader(head []byte) *FileSystem {
	if len(head) < swapEnd {
		return nil
	}
	if v := head[swapVersion : swapVersion+4]; binary.LittleEndian.Uint32(v) != 1 && binary.BigEndian.Uint32(v) != 1 {
		return nil
	}
	return &FileSystem{Type: FSSwap, UUID: formatUUID(head[swapUUID : swapUUID+16]), Label: cString(head[swapLabel : swapLabel+16])}
}
