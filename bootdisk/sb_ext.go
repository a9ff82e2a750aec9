package bootdisk

import (
	"encoding/binary"
	"hash/crc32"
)

// The ext2/3/4 superblock (the kernel's
// Documentation/filesystems/ext4/super.rst): 1024 bytes at byte 1024 of
// the device, little-endian.
const (
	extOffset = 1024
	extSize   = 1024

	extLogBlockSize = 0x18  // s_log_block_size: block size is 1024 << it
	extMagic        = 0x38  // s_magic: EF53h
	extCompat       = 0x5C  // s_feature_compat
	extIncompat     = 0x60  // s_feature_incompat
	extROCompat     = 0x64  // s_feature_ro_compat
	extUUID         = 0x68  // s_uuid[16]
	extVolumeName   = 0x78  // s_volume_name[16]
	extChecksumType = 0x175 // s_checksum_type: 1 is crc32c
	extChecksum     = 0x3FC // s_checksum: crc32c of the bytes before it

	extMagicValue = 0xEF53

	extCompatHasJournal     = 0x4
	extIncompatFiletype     = 0x2
	extIncompatRecover      = 0x4
	extIncompatJournalDev   = 0x8
	extIncompatMetaBG       = 0x10
	extROCompatSparseSuper  = 0x1
	extROCompatLargeFile    = 0x2
	extROCompatBtreeDir     = 0x4
	extROCompatMetadataCsum = 0x400
)

// The features ext2 and ext3 know of; a file system with another is ext4.
const (
	ext2Incompat  = extIncompatFiletype | extIncompatMetaBG
	ext3Incompat  = ext2Incompat | extIncompatRecover
	ext23ROCompat = extROCompatSparseSuper | extROCompatLargeFile | extROCompatBtreeDir
)

// parseExt decodes an ext2, ext3, ext4 or external journal superblock from
// the device's first bytes, nil when there is none.
func parseExt(head []byte) *FileSystem {
	if len(head) < extOffset+extSize {
		return nil
	}
	sb := head[extOffset : extOffset+extSize]
	le := binary.LittleEndian
	if le.Uint16(sb[extMagic:]) != extMagicValue || le.Uint32(sb[extLogBlockSize:]) > 6 {
		return nil
	}
	compat, incompat, ro := le.Uint32(sb[extCompat:]), le.Uint32(sb[extIncompat:]), le.Uint32(sb[extROCompat:])
	f := &FileSystem{UUID: formatUUID(sb[extUUID : extUUID+16]), Label: cString(sb[extVolumeName : extVolumeName+16])}
	if ro&extROCompatMetadataCsum != 0 {
		// The checksum is crc32c's register, not inverted at the end.
		f.BadChecksum = sb[extChecksumType] != 1 || ^crc32.Checksum(sb[:extChecksum], castagnoli) != le.Uint32(sb[extChecksum:])
	}
	switch {
	case incompat&extIncompatJournalDev != 0:
		f.Type = FSJBD
	case compat&extCompatHasJournal == 0 && incompat&^ext2Incompat == 0 && ro&^ext23ROCompat == 0:
		f.Type = FSExt2
	case compat&extCompatHasJournal != 0 && incompat&^ext3Incompat == 0 && ro&^ext23ROCompat == 0:
		f.Type = FSExt3
	default:
		f.Type = FSExt4
	}
	return f
}
