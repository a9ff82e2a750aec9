package bootdisk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Legacy MBR layout (UEFI 2.10 Table 5-1).
const (
	mbrSignatureOffset = 0x1B8 // 4 bytes: UniqueMBRDiskSignature
	mbrEntriesOffset   = 0x1BE // 4 × 16 bytes: PartitionRecord
	mbrEntrySize       = 16
	mbrBootSigOffset   = 0x1FE // 2 bytes: 55h AAh
)

// mbrEntry is one 16-byte partition record (UEFI 2.10 Table 5-2).
type mbrEntry struct {
	bootIndicator byte   // 00h: 80h bootable, 00h not
	osType        byte   // 04h
	startLBA      uint32 // 08h: StartingLBA
	sizeInLBA     uint32 // 0Ch: SizeInLBA
}

func decodeMBREntry(b []byte) mbrEntry {
	return mbrEntry{
		bootIndicator: b[0x00],
		// 01h-03h StartingCHS and 05h-07h EndingCHS are ignored, as the
		// specification says firmware and Linux do.
		osType:    b[0x04],
		startLBA:  binary.LittleEndian.Uint32(b[0x08:]),
		sizeInLBA: binary.LittleEndian.Uint32(b[0x0C:]),
	}
}

// mbr is a decoded first sector.
type mbr struct {
	// valid: the 55h AAh signature is there, every boot indicator is 00h
	// or 80h, and the sector is not a FAT boot sector.
	valid bool
	// protective: one entry has type EEh (a protective or hybrid MBR).
	protective bool
	// hybrid: besides the EEh entry, others are used.
	hybrid    bool
	signature uint32
	entries   [4]mbrEntry
}

func decodeMBR(b []byte) mbr {
	var m mbr
	if b[mbrBootSigOffset] != 0x55 || b[mbrBootSigOffset+1] != 0xAA {
		return m
	}
	m.signature = binary.LittleEndian.Uint32(b[mbrSignatureOffset:])
	used := 0
	for i := range m.entries {
		e := decodeMBREntry(b[mbrEntriesOffset+i*mbrEntrySize:])
		if e.bootIndicator != 0x00 && e.bootIndicator != 0x80 {
			// A volume boot record or anything else ending in 55h AAh:
			// Linux's msdos parser refuses such a sector too.
			return mbr{}
		}
		m.entries[i] = e
		if e.osType == MBRTypeProtective {
			m.protective = true
		} else if e.osType != 0 && e.sizeInLBA != 0 {
			used++
		}
	}
	if !m.protective && isFATBootSector(b) {
		return mbr{}
	}
	m.hybrid = m.protective && used > 0
	m.valid = true
	return m
}

// isFATBootSector recognises a FAT file system written over the whole disk:
// a jump instruction and the file system type string of a FAT12/16 (36h) or
// FAT32 (52h) BIOS parameter block, with no partition in the entries.
func isFATBootSector(b []byte) bool {
	if b[0] != 0xEB && b[0] != 0xE9 {
		return false
	}
	if string(b[0x36:0x39]) != "FAT" && string(b[0x52:0x57]) != "FAT32" {
		return false
	}
	for i := range 4 {
		if e := decodeMBREntry(b[mbrEntriesOffset+i*mbrEntrySize:]); e.osType != 0 && e.sizeInLBA != 0 {
			return false
		}
	}
	return true
}

// mbrPartition makes a Partition of an MBR entry whose start is relative to
// base (0 for primary entries, the EBR's LBA for logical ones).
func mbrPartition(number int, e mbrEntry, base uint64, sectorSize int) (Partition, error) {
	p := Partition{
		Number:   number,
		Type:     fmt.Sprintf("0x%02x", e.osType),
		TypeName: MBRTypeName(e.osType),
		MBRType:  e.osType,
		Bootable: e.bootIndicator == 0x80,
		Extended: isExtended(e.osType),
		ESP:      e.osType == MBRTypeESP,
	}
	err := setExtent(&p, base+uint64(e.startLBA), uint64(e.sizeInLBA), sectorSize)
	return p, err
}

func readMBR(r io.ReaderAt, t *Table, m mbr) (*Table, error) {
	t.Type, t.MBRSignature = TableMBR, m.signature
	var errs []error
	for i, e := range m.entries {
		// Linux and fdisk skip entries of size zero, whatever their type.
		if e.sizeInLBA == 0 {
			continue
		}
		p, err := mbrPartition(i+1, e, 0, t.SectorSize)
		errs = append(errs, err)
		t.Partitions = append(t.Partitions, p)
	}
	next := 5
	for _, e := range m.entries {
		if e.sizeInLBA != 0 && isExtended(e.osType) {
			errs = append(errs, readLogical(r, t, uint64(e.startLBA), &next))
		}
	}
	return t, errors.Join(errs...)
}

// readLogical follows the chain of extended boot records of the extended
// partition starting at LBA ext. In each EBR, data entries start relative
// to the EBR itself and the link to the next EBR relative to ext.
func readLogical(r io.ReaderAt, t *Table, ext uint64, next *int) error {
	seen := map[uint64]bool{}
	ebr := make([]byte, 512)
	var errs []error
	for lba := ext; ; {
		if seen[lba] {
			return errors.Join(append(errs, fmt.Errorf("bootdisk: extended boot record at LBA %d: loop in the chain: %w", lba, ErrMalformed))...)
		}
		if len(seen) >= maxLogical {
			return errors.Join(append(errs, fmt.Errorf("bootdisk: more than %d extended boot records: %w", maxLogical, ErrMalformed))...)
		}
		seen[lba] = true
		off := lba * uint64(t.SectorSize)
		if off/uint64(t.SectorSize) != lba || off > 1<<62 {
			return errors.Join(append(errs, fmt.Errorf("bootdisk: extended boot record at LBA %d: out of range: %w", lba, ErrMalformed))...)
		}
		if err := readFull(r, ebr, int64(off)); err != nil {
			return errors.Join(append(errs, fmt.Errorf("bootdisk: extended boot record at LBA %d: %w", lba, err))...)
		}
		if ebr[mbrBootSigOffset] != 0x55 || ebr[mbrBootSigOffset+1] != 0xAA {
			return errors.Join(append(errs, fmt.Errorf("bootdisk: extended boot record at LBA %d: no 55h AAh signature: %w", lba, ErrMalformed))...)
		}
		link := uint64(0)
		for i := range 4 {
			e := decodeMBREntry(ebr[mbrEntriesOffset+i*mbrEntrySize:])
			switch {
			case e.sizeInLBA == 0:
			case isExtended(e.osType):
				if link == 0 {
					link = ext + uint64(e.startLBA)
				}
			default:
				p, err := mbrPartition(*next, e, lba, t.SectorSize)
				p.Logical = true
				errs = append(errs, err)
				t.Partitions = append(t.Partitions, p)
				*next++
			}
		}
		if link == 0 {
			return errors.Join(errs...)
		}
		lba = link
	}
}
