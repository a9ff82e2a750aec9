package bootdisk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"

	"github.com/bootinfo/bootinfo/efi"
)

const gptSignature = "EFI PART"

// GPT header layout (UEFI 2.10 Table 5-5).
const (
	gptHdrSignature    = 0x00 // 8 bytes: "EFI PART"
	gptHdrRevision     = 0x08 // 4 bytes: 00010000h
	gptHdrSize         = 0x0C // 4 bytes: HeaderSize, 92 to the block size
	gptHdrCRC          = 0x10 // 4 bytes: HeaderCRC32, over HeaderSize bytes with this field zero
	gptHdrMyLBA        = 0x18 // 8 bytes: MyLBA, 1 for the primary header
	gptHdrAlternateLBA = 0x20 // 8 bytes: AlternateLBA
	gptHdrFirstUsable  = 0x28 // 8 bytes: FirstUsableLBA
	gptHdrLastUsable   = 0x30 // 8 bytes: LastUsableLBA
	gptHdrDiskGUID     = 0x38 // 16 bytes: DiskGUID
	gptHdrEntryLBA     = 0x48 // 8 bytes: PartitionEntryLBA
	gptHdrNumEntries   = 0x50 // 4 bytes: NumberOfPartitionEntries
	gptHdrEntrySize    = 0x54 // 4 bytes: SizeOfPartitionEntry, 128 × 2^n
	gptHdrEntriesCRC   = 0x58 // 4 bytes: PartitionEntryArrayCRC32
	gptHdrMinSize      = 0x5C // 92
)

// GPT partition entry layout (UEFI 2.10 Table 5-6).
const (
	gptEntTypeGUID   = 0x00 // 16 bytes: PartitionTypeGUID, zero when unused
	gptEntUniqueGUID = 0x10 // 16 bytes: UniquePartitionGUID
	gptEntStartLBA   = 0x20 // 8 bytes: StartingLBA
	gptEntEndLBA     = 0x28 // 8 bytes: EndingLBA, inclusive
	gptEntAttributes = 0x30 // 8 bytes: Attributes
	gptEntName       = 0x38 // 72 bytes: PartitionName, 36 UTF-16LE code units
	gptEntMinSize    = 0x80 // 128
)

func readGPT(r io.ReaderAt, t *Table, m mbr) (*Table, error) {
	t.Type, t.HybridMBR = TableGPT, m.hybrid
	ss := t.SectorSize
	hdr := make([]byte, ss)
	if err := readFull(r, hdr, int64(ss)); err != nil {
		return t, fmt.Errorf("bootdisk: reading the gpt header: %w", err)
	}
	if string(hdr[gptHdrSignature:gptHdrSignature+8]) != gptSignature {
		return t, fmt.Errorf("bootdisk: protective mbr but no gpt header at LBA 1 (%d-byte sectors): %w", ss, ErrMalformed)
	}
	var errs []error
	size := binary.LittleEndian.Uint32(hdr[gptHdrSize:])
	if size < gptHdrMinSize || size > uint32(ss) {
		errs = append(errs, fmt.Errorf("bootdisk: gpt header size %d: %w", size, ErrMalformed))
	} else {
		want := binary.LittleEndian.Uint32(hdr[gptHdrCRC:])
		h := crc32.NewIEEE()
		h.Write(hdr[:gptHdrCRC])
		h.Write([]byte{0, 0, 0, 0})
		h.Write(hdr[gptHdrCRC+4 : size])
		if got := h.Sum32(); got != want {
			errs = append(errs, fmt.Errorf("bootdisk: gpt header crc32 %08x, header says %08x: %w", got, want, ErrChecksum))
		}
	}
	if my := binary.LittleEndian.Uint64(hdr[gptHdrMyLBA:]); my != 1 {
		errs = append(errs, fmt.Errorf("bootdisk: gpt header at LBA 1 says it is at LBA %d: %w", my, ErrMalformed))
	}
	t.AlternateLBA = binary.LittleEndian.Uint64(hdr[gptHdrAlternateLBA:])
	t.FirstUsableLBA = binary.LittleEndian.Uint64(hdr[gptHdrFirstUsable:])
	t.LastUsableLBA = binary.LittleEndian.Uint64(hdr[gptHdrLastUsable:])
	copy(t.DiskGUID[:], hdr[gptHdrDiskGUID:])
	t.EntryArrayLBA = binary.LittleEndian.Uint64(hdr[gptHdrEntryLBA:])
	t.Entries = binary.LittleEndian.Uint32(hdr[gptHdrNumEntries:])
	t.EntrySize = binary.LittleEndian.Uint32(hdr[gptHdrEntrySize:])
	wantCRC := binary.LittleEndian.Uint32(hdr[gptHdrEntriesCRC:])

	es, n := uint64(t.EntrySize), uint64(t.Entries)
	switch {
	case es < gptEntMinSize || es > maxEntryArray || es%gptEntMinSize != 0 || (es/gptEntMinSize)&(es/gptEntMinSize-1) != 0:
		return t, errors.Join(append(errs, fmt.Errorf("bootdisk: gpt entry size %d: %w", es, ErrMalformed))...)
	case n*es > maxEntryArray:
		return t, errors.Join(append(errs, fmt.Errorf("bootdisk: gpt entry array of %d × %d bytes: larger than %d: %w", n, es, maxEntryArray, ErrMalformed))...)
	case t.EntryArrayLBA < 2 || t.EntryArrayLBA > (1<<62)/uint64(ss):
		return t, errors.Join(append(errs, fmt.Errorf("bootdisk: gpt entry array at LBA %d: %w", t.EntryArrayLBA, ErrMalformed))...)
	}
	// Read the array in chunks so that a header claiming a large array
	// over a short input costs no more memory than one chunk.
	off := int64(t.EntryArrayLBA) * int64(ss)
	perChunk := min(n, max(1, 16384/es))
	buf := make([]byte, perChunk*es)
	crc := crc32.NewIEEE()
	for i := uint64(0); i < n; i += perChunk {
		k := min(perChunk, n-i)
		chunk := buf[:k*es]
		if err := readFull(r, chunk, off+int64(i*es)); err != nil {
			return t, errors.Join(append(errs, fmt.Errorf("bootdisk: gpt entry array, entry %d of %d: %w", i, n, err))...)
		}
		crc.Write(chunk)
		for j := range k {
			e := chunk[j*es : (j+1)*es]
			p, ok, err := decodeGPTEntry(int(i+j)+1, e, ss)
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				t.Partitions = append(t.Partitions, p)
			}
		}
	}
	if got := crc.Sum32(); got != wantCRC {
		errs = append(errs, fmt.Errorf("bootdisk: gpt entry array crc32 %08x, header says %08x: %w", got, wantCRC, ErrChecksum))
	}
	return t, errors.Join(errs...)
}

// decodeGPTEntry decodes one entry; ok is false for an unused one.
func decodeGPTEntry(number int, e []byte, sectorSize int) (p Partition, ok bool, err error) {
	copy(p.TypeGUID[:], e[gptEntTypeGUID:])
	if p.TypeGUID == (efi.GUID{}) {
		return p, false, nil
	}
	p.Number = number
	p.Type = p.TypeGUID.String()
	p.TypeName = GPTTypeName(p.TypeGUID)
	p.ESP = p.TypeGUID == TypeESP
	copy(p.GUID[:], e[gptEntUniqueGUID:])
	first := binary.LittleEndian.Uint64(e[gptEntStartLBA:])
	last := binary.LittleEndian.Uint64(e[gptEntEndLBA:])
	p.Attributes = binary.LittleEndian.Uint64(e[gptEntAttributes:])
	p.Name = decodeName(e[gptEntName : gptEntName+72])
	if last < first {
		return p, true, errors.Join(setExtent(&p, first, 0, sectorSize),
			fmt.Errorf("bootdisk: gpt partition %d ends (LBA %d) before it starts (LBA %d): %w", number, last, first, ErrMalformed))
	}
	return p, true, setExtent(&p, first, last-first+1, sectorSize)
}

// decodeName decodes a UTF-16LE name up to its first NUL; unpaired
// surrogates become U+FFFD.
func decodeName(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}
