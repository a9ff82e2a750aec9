package bootdisk

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strings"
)

// The FAT boot sector and BIOS parameter block (Microsoft's "FAT: General
// Overview of On-Disk Format", sections 3.1 to 3.3), little-endian. FAT32
// is told from FAT12/16 by BPB_FATSz16 = 0, and its extended fields sit
// 28 bytes further on.
const (
	fatBytsPerSec = 11 // BPB_BytsPerSec
	fatSecPerClus = 13 // BPB_SecPerClus
	fatRsvdSecCnt = 14 // BPB_RsvdSecCnt
	fatNumFATs    = 16 // BPB_NumFATs
	fatRootEntCnt = 17 // BPB_RootEntCnt: 0 on FAT32
	fatTotSec16   = 19 // BPB_TotSec16
	fatMedia      = 21 // BPB_Media
	fatFATSz16    = 22 // BPB_FATSz16: 0 on FAT32
	fatTotSec32   = 32 // BPB_TotSec32
	fatFATSz32    = 36 // BPB_FATSz32
	fatRootClus   = 44 // BPB_RootClus

	// BS_BootSig, BS_VolID and BS_VolLab: at 38, 39 and 43 on FAT12/16,
	// at 66, 67 and 71 on FAT32.
	fat16BootSig = 38
	fat32BootSig = 66
	fatVolID     = 1 // after BS_BootSig
	fatLabelLen  = 11

	// fatRootDirRead bounds what is read of the root directory, where the
	// volume label's entry is (section 6: ATTR_VOLUME_ID).
	fatRootDirRead = 4 << 10
	fatDirEntry    = 32
	fatAttr        = 11
	fatAttrVolume  = 0x08
	fatAttrDir     = 0x10
	fatAttrLongMsk = 0x3F
	fatAttrLong    = 0x0F
)

// fatBPB is the part of the BPB that places the root directory.
type fatBPB struct {
	bytsPerSec, secPerClus, rsvd, numFATs, rootEnt uint64
	fatSz, rootClus                                uint64
	fat32                                          bool
}

// parseFATBPB checks the boot sector's jump instruction and BPB as the
// specification constrains them, nil when they are not a FAT volume's.
func parseFATBPB(b []byte) *fatBPB {
	if len(b) < 512 || !(b[0] == 0xEB && b[2] == 0x90 || b[0] == 0xE9) {
		return nil
	}
	le := binary.LittleEndian
	p := &fatBPB{
		bytsPerSec: uint64(le.Uint16(b[fatBytsPerSec:])), secPerClus: uint64(b[fatSecPerClus]),
		rsvd: uint64(le.Uint16(b[fatRsvdSecCnt:])), numFATs: uint64(b[fatNumFATs]),
		rootEnt: uint64(le.Uint16(b[fatRootEntCnt:])), fatSz: uint64(le.Uint16(b[fatFATSz16:])),
	}
	switch p.bytsPerSec {
	case 512, 1024, 2048, 4096:
	default:
		return nil
	}
	if p.secPerClus == 0 || bits.OnesCount64(p.secPerClus) != 1 || p.rsvd == 0 || p.numFATs == 0 {
		return nil
	}
	if m := b[fatMedia]; m != 0xF0 && m < 0xF8 {
		return nil
	}
	tot16, tot32 := le.Uint16(b[fatTotSec16:]), le.Uint32(b[fatTotSec32:])
	if p.fatSz == 0 {
		p.fat32 = true
		p.fatSz, p.rootClus = uint64(le.Uint32(b[fatFATSz32:])), uint64(le.Uint32(b[fatRootClus:]))
		if p.fatSz == 0 || p.rootEnt != 0 || tot16 != 0 || tot32 == 0 || p.rootClus < 2 {
			return nil
		}
	} else if p.rootEnt == 0 || tot16 == 0 && tot32 == 0 {
		return nil
	}
	return p
}

// readVFAT decodes a FAT boot sector from the device's first bytes and
// reads the start of its root directory for the label, nil when there is
// no FAT volume.
func readVFAT(r io.ReaderAt, head []byte) (*FileSystem, error) {
	p := parseFATBPB(head)
	if p == nil {
		return nil, nil
	}
	f := &FileSystem{Type: FSVFAT}
	sig := fat16BootSig
	if p.fat32 {
		sig = fat32BootSig
	}
	// The extended boot signature 29h says a volume ID (and a label)
	// follow; 28h, a volume ID alone.
	if head[sig] == 0x29 || head[sig] == 0x28 {
		id := binary.LittleEndian.Uint32(head[sig+fatVolID:])
		f.UUID = fmt.Sprintf("%04X-%04X", id>>16, id&0xFFFF)
	}
	// The label is the root directory's volume label entry, which is
	// what tools that relabel a volume always write. The boot sector's
	// copy (BS_VolLab) is not the label blkid, and so udev, gives it.
	off, n := p.rootDir()
	dir, err := readRegion(r, int64(off), n)
	if err != nil {
		return nil, fmt.Errorf("bootdisk: reading the FAT root directory at %d: %w", off, err)
	}
	f.Label, _ = fatDirLabel(dir)
	return f, nil
}

// rootDir returns where the root directory starts and how much of it to
// read: on FAT12/16 the region after the FATs, on FAT32 the first cluster
// of its chain, fatRootDirRead bytes at most.
func (p *fatBPB) rootDir() (off uint64, n int) {
	first := p.rsvd + p.numFATs*p.fatSz
	size := p.rootEnt * fatDirEntry
	if p.fat32 {
		first += (p.rootClus - 2) * p.secPerClus
		size = p.secPerClus * p.bytsPerSec
	}
	return first * p.bytsPerSec, int(min(size, fatRootDirRead))
}

// fatDirLabel finds the volume label entry among a directory's entries.
func fatDirLabel(dir []byte) (string, bool) {
	for i := 0; i+fatDirEntry <= len(dir); i += fatDirEntry {
		e := dir[i : i+fatDirEntry]
		switch {
		case e[0] == 0x00: // no entries follow
			return "", false
		case e[0] == 0xE5, e[fatAttr]&fatAttrLongMsk == fatAttrLong: // free; a long name's part
			continue
		case e[fatAttr]&(fatAttrVolume|fatAttrDir) == fatAttrVolume:
			name := []byte(string(e[:fatLabelLen]))
			if name[0] == 0x05 { // a first byte of E5h, stored as 05h
				name[0] = 0xE5
			}
			return fatTrim(name), true
		}
	}
	return "", false
}

// fatTrim drops the padding of a FAT name.
func fatTrim(b []byte) string {
	return strings.TrimRight(string(b), " \x00")
}
