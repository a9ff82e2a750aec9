package bootdisk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/bootinfo/bootinfo/efi"
)

// TableType is the kind of partition table on a disk.
type TableType string

// Table types. TableNone is a disk that holds a file system (or nothing)
// directly; TableUnknown is a disk whose first sectors could not be read.
const (
	TableGPT     TableType = "gpt"
	TableMBR     TableType = "mbr"
	TableNone    TableType = "none"
	TableUnknown TableType = "unknown"
)

// Table is a decoded partition table.
type Table struct {
	Type TableType `json:"type"`
	// SectorSize is the logical sector size the table was decoded with, in
	// bytes: LBAs count sectors of this size.
	SectorSize int `json:"sector_size"`
	// DiskGUID is the GPT header's DiskGUID (Linux's PTUUID).
	DiskGUID efi.GUID `json:"disk_guid,omitzero"`
	// MBRSignature is the MBR's 32-bit disk signature at offset 1B8h
	// (Linux's PTUUID of a "dos" table, printed as 8 hex digits).
	MBRSignature uint32 `json:"mbr_signature,omitzero"`
	// FirstUsableLBA and LastUsableLBA bound the GPT partitions.
	FirstUsableLBA uint64 `json:"first_usable_lba,omitzero"`
	LastUsableLBA  uint64 `json:"last_usable_lba,omitzero"`
	// AlternateLBA is where the GPT header says its backup is.
	AlternateLBA uint64 `json:"alternate_lba,omitzero"`
	// EntryArrayLBA, Entries and EntrySize describe the GPT partition entry
	// array: where it starts, how many slots it has, how large each is.
	EntryArrayLBA uint64 `json:"entry_array_lba,omitzero"`
	Entries       uint32 `json:"entries,omitzero"`
	EntrySize     uint32 `json:"entry_size,omitzero"`
	// HybridMBR is set on a GPT disk whose protective MBR also lists other
	// partitions (a hybrid MBR, for firmware that boots only MBR disks).
	HybridMBR bool `json:"hybrid_mbr,omitempty"`
	// Partitions are the used entries, in table order.
	Partitions []Partition `json:"partitions"`
}

// ID returns the disk identifier as Linux prints PTUUID: the GPT disk GUID
// in lower case, or the MBR signature as 8 hex digits; "" for neither.
func (t *Table) ID() string {
	switch t.Type {
	case TableGPT:
		return t.DiskGUID.String()
	case TableMBR:
		return fmt.Sprintf("%08x", t.MBRSignature)
	}
	return ""
}

// ESP returns the EFI system partition, or nil when the table has none. A
// disk with more than one returns the first.
func (t *Table) ESP() *Partition {
	for i := range t.Partitions {
		if t.Partitions[i].ESP {
			return &t.Partitions[i]
		}
	}
	return nil
}

// Partition is one used entry of a partition table.
type Partition struct {
	// Number is the partition number Linux gives it: the GPT entry's index
	// plus one; 1 to 4 for MBR primary entries, 5 and up for logical ones.
	Number int `json:"number"`
	// Type is the type as text: the GPT type GUID in lower case, or the MBR
	// type byte as "0x83".
	Type string `json:"type"`
	// TypeName names the type when it is well known ("EFI System").
	TypeName string `json:"type_name,omitempty"`
	// TypeGUID is the GPT partition type GUID.
	TypeGUID efi.GUID `json:"-"`
	// MBRType is the MBR partition type byte.
	MBRType byte `json:"-"`
	// GUID is the GPT unique partition GUID (Linux's PARTUUID).
	GUID efi.GUID `json:"guid,omitzero"`
	// Name is the GPT partition name.
	Name string `json:"name,omitempty"`
	// StartLBA and Sectors place the partition in logical sectors.
	StartLBA uint64 `json:"start_lba"`
	Sectors  uint64 `json:"sectors"`
	// Start and Size place the partition in bytes.
	Start uint64 `json:"start_bytes"`
	Size  uint64 `json:"size_bytes"`
	// Attributes are the GPT attribute bits (Table 5-7): bit 0 required,
	// bit 1 no block I/O protocol, bit 2 legacy BIOS bootable, 48-63 type
	// specific.
	Attributes uint64 `json:"attributes,omitzero"`
	// Bootable is the MBR boot indicator (80h).
	Bootable bool `json:"bootable,omitempty"`
	// Extended marks an MBR extended partition, the container of logical
	// partitions; Logical marks a partition found in its chain.
	Extended bool `json:"extended,omitempty"`
	Logical  bool `json:"logical,omitempty"`
	// ESP is set on an EFI system partition: GPT type TypeESP or MBR type
	// EFh.
	ESP bool `json:"esp"`
}

// GPT attribute bits (UEFI 2.10 Table 5-7).
const (
	AttrRequired           = 1 << 0
	AttrNoBlockIO          = 1 << 1
	AttrLegacyBIOSBootable = 1 << 2
)

// Limits on what one table may make this package read or hold.
const (
	// maxEntryArray bounds the GPT partition entry array. The specification
	// asks for at least 16 KiB; tools write 16 KiB, 32 KiB at most.
	maxEntryArray = 1 << 20
	// maxLogical bounds the chain of extended boot records (Linux allows
	// 256 partitions per disk).
	maxLogical = 256
)

// ParseTable decodes the partition table at the start of a disk from b, the
// disk's first bytes. sectorSize is the disk's logical sector size (512 or
// 4096); 0 guesses it from where the GPT header is. b must reach past the
// GPT entry array (LBA 2 to 33 with 512-byte sectors, 2 to 5 with 4096) and,
// for logical MBR partitions, past every extended boot record; what lies
// beyond b is reported as truncated.
func ParseTable(b []byte, sectorSize int) (*Table, error) {
	return ReadTable(bytes.NewReader(b), sectorSize)
}

// ReadTable decodes the partition table of the disk r reads, reading only
// the sectors the table occupies. See ParseTable for sectorSize.
//
// The returned table is never nil: it holds what decoded, and the error
// lists what did not (a bad CRC, a truncated entry array, a broken chain of
// extended boot records), joined.
func ReadTable(r io.ReaderAt, sectorSize int) (*Table, error) {
	t := &Table{Type: TableUnknown, SectorSize: sectorSize, Partitions: []Partition{}}
	if sectorSize != 0 && (sectorSize < 512 || sectorSize > 65536 || sectorSize&(sectorSize-1) != 0) {
		return t, fmt.Errorf("bootdisk: sector size %d: %w", sectorSize, ErrMalformed)
	}
	var lba0 [512]byte
	if err := readFull(r, lba0[:], 0); err != nil {
		return t, fmt.Errorf("bootdisk: reading the MBR: %w", err)
	}
	if sectorSize == 0 {
		t.SectorSize = guessSectorSize(r)
	}
	m := decodeMBR(lba0[:])
	switch {
	case m.valid && m.protective:
		return readGPT(r, t, m)
	case m.valid:
		return readMBR(r, t, m)
	case hasGPTSignature(r, t.SectorSize):
		// No MBR at all in front of a GPT header: the specification wants
		// a protective MBR, but the header is what describes the disk.
		t, err := readGPT(r, t, m)
		return t, errors.Join(fmt.Errorf("bootdisk: gpt without a protective mbr: %w", ErrMalformed), err)
	}
	t.Type = TableNone
	return t, nil
}

// guessSectorSize finds the GPT header at LBA 1 for 512- or 4096-byte
// sectors; a disk without one is taken to have 512-byte sectors.
func guessSectorSize(r io.ReaderAt) int {
	for _, ss := range []int{512, 4096} {
		if hasGPTSignature(r, ss) {
			return ss
		}
	}
	return 512
}

func hasGPTSignature(r io.ReaderAt, sectorSize int) bool {
	var sig [8]byte
	return readFull(r, sig[:], int64(sectorSize)) == nil && string(sig[:]) == gptSignature
}

// readFull reads len(b) bytes at off; a short read is io.ErrUnexpectedEOF.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("%d of %d bytes at offset %d: %w", n, len(b), off, io.ErrUnexpectedEOF)
	}
	return err
}

// setExtent fills a partition's position in sectors and bytes, reporting
// an extent whose byte offset does not fit in 64 bits.
func setExtent(p *Partition, start, sectors uint64, sectorSize int) error {
	p.StartLBA, p.Sectors = start, sectors
	hi1, lo1 := bits.Mul64(start, uint64(sectorSize))
	hi2, lo2 := bits.Mul64(sectors, uint64(sectorSize))
	if hi1 != 0 || hi2 != 0 {
		return fmt.Errorf("bootdisk: partition %d: extent beyond 2^64 bytes: %w", p.Number, ErrMalformed)
	}
	p.Start, p.Size = lo1, lo2
	return nil
}
