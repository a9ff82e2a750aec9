package bootdisk

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// File system types, as FileSystem.Type: the names blkid gives them (its
// TYPE), so that what the udev database records and what this package
// reads compare.
const (
	FSExt2  = "ext2"
	FSExt3  = "ext3"
	FSExt4  = "ext4"
	FSJBD   = "jbd" // an ext3/ext4 journal on a device of its own
	FSXFS   = "xfs"
	FSBtrfs = "btrfs"
	FSVFAT  = "vfat"
	FSSwap  = "swap"
)

// ErrNoFileSystem is returned by ReadFileSystem for a device whose first
// bytes hold none of the superblocks it knows: an empty device, a disk
// with a partition table, LVM, LUKS or a file system of another kind.
var ErrNoFileSystem = errors.New("no known file system superblock")

// ErrAmbivalent is returned by ReadFileSystem when a device holds more
// than one valid superblock (a device formatted again by a tool that
// did not wipe the old one). blkid then names no file system, and so
// udev makes no link: neither does an initramfs find it by UUID or label.
var ErrAmbivalent = errors.New("more than one file system superblock")

// FileSystem is what a file system's superblock says about it.
type FileSystem struct {
	// Type is the file system type: FSExt2 ... FSSwap.
	Type string `json:"type"`
	// UUID is the file system's UUID as blkid prints it: 36 lower-case
	// characters, or for FAT the volume ID as XXXX-XXXX; "" for none (an
	// all-zero UUID, or FAT without an extended boot signature).
	UUID string `json:"uuid,omitempty"`
	// Label is the file system's label, "" for none. It is the bytes the
	// superblock holds, up to their end or a NUL, which need not be UTF-8.
	Label string `json:"label,omitempty"`
	// BadChecksum is set when the superblock carries a checksum (ext4
	// with metadata_csum, XFS version 5, btrfs with crc32c or sha256)
	// that does not match it. blkid (util-linux 2.38) still names such a
	// file system, and so udev links it, but the kernel refuses to mount
	// it.
	BadChecksum bool `json:"bad_checksum,omitempty"`
}

// The regions of a device ReadFileSystem reads: each superblock it knows
// lies in one of them, and none is read beyond them but a FAT root
// directory's first sectors (see readVFAT).
const (
	// headSize covers the FAT boot sector and XFS superblock at 0, the
	// ext superblock at 1024 and the swap signature for 4 and 8 KiB pages.
	headSize = 8 << 10
	// btrfsOffset is where btrfs's primary superblock starts, 64 KiB in;
	// btrfsSize is the part of it that its checksum covers.
	btrfsOffset = 64 << 10
	btrfsSize   = 4 << 10
	// swapMagicLen is the length of the swap signature that ends a
	// device's first page.
	swapMagicLen = 10
)

// MaxFileSystemRead bounds the bytes ReadFileSystem reads from a device.
const MaxFileSystemRead = headSize + 3*swapMagicLen + btrfsSize + fatRootDirRead

// ReadFileSystem identifies the file system on the device r reads, as
// blkid does, from the superblocks of ext2/3/4, XFS, Btrfs, FAT (12, 16
// and 32) and Linux swap; it reads MaxFileSystemRead bytes at most. A
// device shorter than a superblock's offset simply has none there. The
// error wraps ErrNoFileSystem when none is found, ErrAmbivalent when
// more than one is, or the read error.
func ReadFileSystem(r io.ReaderAt) (*FileSystem, error) {
	head, err := readRegion(r, 0, headSize)
	if err != nil {
		return nil, fmt.Errorf("bootdisk: reading the first %d bytes: %w", headSize, err)
	}
	var found []*FileSystem
	add := func(f *FileSystem) {
		if f != nil {
			found = append(found, f)
		}
	}
	add(parseExt(head))
	add(parseXFS(head))
	fat, err := readVFAT(r, head)
	if err != nil {
		return nil, err
	}
	add(fat)
	swap, err := readSwap(r, head)
	if err != nil {
		return nil, err
	}
	add(swap)
	sb, err := readRegion(r, btrfsOffset, btrfsSize)
	if err != nil {
		return nil, fmt.Errorf("bootdisk: reading the btrfs superblock: %w", err)
	}
	add(parseBtrfs(sb))
	switch len(found) {
	case 0:
		return nil, ErrNoFileSystem
	case 1:
		return found[0], nil
	}
	types := make([]string, len(found))
	for i, f := range found {
		types[i] = f.Type
	}
	return nil, fmt.Errorf("bootdisk: %s: %w", strings.Join(types, ", "), ErrAmbivalent)
}

// ParseFileSystem identifies the file system whose first bytes are b (an
// image, a fuzzer's input); see ReadFileSystem.
func ParseFileSystem(b []byte) (*FileSystem, error) {
	return ReadFileSystem(bytes.NewReader(b))
}

// readRegion reads n bytes at off, fewer where the device ends: a region
// past the end is empty, and a decoder finds no superblock in it.
func readRegion(r io.ReaderAt, off int64, n int) ([]byte, error) {
	b := make([]byte, n)
	got, err := r.ReadAt(b, off)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return b[:got], err
}

// castagnoli is the CRC32C table ext4, XFS and btrfs checksum with.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// formatUUID writes a 16-byte UUID as blkid prints it, "" when it is all
// zeros (blkid prints none then).
func formatUUID(b []byte) string {
	if len(b) != 16 || bytes.Equal(b, make([]byte, 16)) {
		return ""
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
