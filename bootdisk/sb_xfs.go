package bootdisk

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// The XFS superblock (XFS Algorithms & Data Structures, "On-disk
// Superblock"): at byte 0 of the device, big-endian but for the checksum.
const (
	xfsBlockSize  = 4   // sb_blocksize
	xfsDBlocks    = 8   // sb_dblocks
	xfsUUID       = 32  // sb_uuid[16]
	xfsAGBlocks   = 84  // sb_agblocks
	xfsAGCount    = 88  // sb_agcount
	xfsVersionNum = 100 // sb_versionnum: the version in its low 4 bits
	xfsSectSize   = 102 // sb_sectsize
	xfsFName      = 108 // sb_fname[12]
	xfsBlockLog   = 120 // sb_blocklog
	xfsSectLog    = 121 // sb_sectlog
	xfsCRC        = 224 // sb_crc (version 5): little-endian crc32c of the sector with it zeroed
	xfsV5Size     = 232

	xfsMagic = "XFSB"
)

// parseXFS decodes an XFS superblock from the device's first bytes, nil
// when there is none.
func parseXFS(head []byte) *FileSystem {
	if len(head) < xfsV5Size || string(head[:4]) != xfsMagic {
		return nil
	}
	be := binary.BigEndian
	bs, ss := be.Uint32(head[xfsBlockSize:]), uint32(be.Uint16(head[xfsSectSize:]))
	// The geometry must hold together, as the kernel's superblock
	// verifier wants it: power-of-two block and sector sizes matching
	// their logarithms, and allocation groups.
	if bs < 512 || bs > 65536 || bits.OnesCount32(bs) != 1 || uint32(head[xfsBlockLog]) != uint32(bits.TrailingZeros32(bs)) ||
		ss < 512 || ss > 32768 || bits.OnesCount32(ss) != 1 || uint32(head[xfsSectLog]) != uint32(bits.TrailingZeros32(ss)) ||
		be.Uint32(head[xfsAGCount:]) == 0 || be.Uint32(head[xfsAGBlocks:]) == 0 || be.Uint64(head[xfsDBlocks:]) == 0 {
		return nil
	}
	f := &FileSystem{Type: FSXFS, UUID: formatUUID(head[xfsUUID : xfsUUID+16]), Label: cString(head[xfsFName : xfsFName+12])}
	switch v := be.Uint16(head[xfsVersionNum:]) & 0xf; {
	case v < 1 || v > 5, len(head) < int(min(ss, headSize)):
		// Not a version there is, or the device ends inside the sector.
		return nil
	case v == 5 && int(ss) <= len(head):
		// Sectors larger than what is read (16 and 32 KiB) go unchecked.
		var zero [4]byte
		c := crc32.Update(0, castagnoli, head[:xfsCRC])
		c = crc32.Update(c, castagnoli, zero[:])
		c = crc32.Update(c, castagnoli, head[xfsCRC+4:ss])
		f.BadChecksum = c != binary.LittleEndian.Uint32(head[xfsCRC:])
	}
	return f
}
