package bootdisk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
)

// The btrfs superblock (the btrfs documentation's "On-disk format",
// struct btrfs_super_block): 4096 bytes at 64 KiB, little-endian. Its
// copies at 64 MiB and 256 GiB are not read, as blkid reads none.
const (
	btrfsCsum     = 0x00  // csum[32]: of bytes 20h to the end
	btrfsFSID     = 0x20  // fsid[16]: the file system's UUID
	btrfsBytenr   = 0x30  // bytenr: where this copy is, 64 KiB for the primary
	btrfsMagicOff = 0x40  // magic: "_BHRfS_M"
	btrfsCsumType = 0xC4  // csum_type: 0 crc32c, 1 xxhash64, 2 sha256, 3 blake2b
	btrfsLabel    = 0x12B // label[256]

	btrfsMagic     = "_BHRfS_M"
	btrfsCsumStart = 0x20
)

// parseBtrfs decodes the btrfs superblock sb (the 4 KiB at 64 KiB), nil
// when there is none.
func parseBtrfs(sb []byte) *FileSystem {
	if len(sb) < btrfsSize || string(sb[btrfsMagicOff:btrfsMagicOff+8]) != btrfsMagic ||
		binary.LittleEndian.Uint64(sb[btrfsBytenr:]) != btrfsOffset {
		return nil
	}
	f := &FileSystem{Type: FSBtrfs, UUID: formatUUID(sb[btrfsFSID : btrfsFSID+16]), Label: cString(sb[btrfsLabel : btrfsLabel+256])}
	// The checksums Go's standard library computes are checked; one made
	// with xxhash64 or blake2b, or of a type to come, is not.
	switch binary.LittleEndian.Uint16(sb[btrfsCsumType:]) {
	case 0:
		f.BadChecksum = crc32.Checksum(sb[btrfsCsumStart:btrfsSize], castagnoli) != binary.LittleEndian.Uint32(sb[btrfsCsum:])
	case 2:
		sum := sha256.Sum256(sb[btrfsCsumStart:btrfsSize])
		f.BadChecksum = !bytes.Equal(sum[:], sb[btrfsCsum:btrfsCsum+32])
	}
	return f
}
