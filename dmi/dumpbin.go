package dmi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// DumpBinTableOffset is where a dmidecode --dump-bin file holds the table.
const DumpBinTableOffset = 0x20

// WriteDumpBin writes ep and table in the layout of "dmidecode --dump-bin":
// the entry point at offset 0 with its table address rewritten to 0x20 and its
// checksum (for _SM_ and legacy entry points, the intermediate checksum, which
// the main one covers) corrected, zero padding, then the table at 0x20.
func WriteDumpBin(w io.Writer, ep *EntryPoint, table []byte) error {
	raw := bytes.Clone(ep.Raw)
	switch ep.Kind {
	case EntryPoint64:
		if len(raw) < 0x18 {
			return fmt.Errorf("%w: short _SM3_ entry point", ErrEntryPoint)
		}
		binary.LittleEndian.PutUint64(raw[0x10:], DumpBinTableOffset)
		fixChecksum(raw, 0x05, raw)
	case EntryPoint32:
		if len(raw) < 0x1E {
			return fmt.Errorf("%w: short _SM_ entry point", ErrEntryPoint)
		}
		binary.LittleEndian.PutUint32(raw[0x18:], DumpBinTableOffset)
		end := min(len(raw), 0x1F)
		fixChecksum(raw, 0x15, raw[0x10:end])
		fixChecksum(raw, 0x04, raw)
	case EntryPointLegacy:
		binary.LittleEndian.PutUint32(raw[0x08:], DumpBinTableOffset)
		fixChecksum(raw, 0x05, raw)
	default:
		return fmt.Errorf("%w: unknown kind", ErrEntryPoint)
	}
	buf := make([]byte, DumpBinTableOffset, DumpBinTableOffset+len(table))
	copy(buf, raw)
	buf = append(buf, table...)
	_, err := w.Write(buf)
	if err != nil {
		return fmt.Errorf("dmi: write dump: %w", err)
	}
	return nil
}

// fixChecksum sets b[idx] so that the bytes of area (which contains b[idx])
// sum to zero.
func fixChecksum(b []byte, idx int, area []byte) {
	b[idx] = 0
	var s byte
	for _, c := range area {
		s += c
	}
	b[idx] = -s
}

// WriteDumpBin writes t in dmidecode's --dump-bin layout. It needs the entry
// point the table was read through.
func (t *Table) WriteDumpBin(w io.Writer) error {
	if t.EntryPoint == nil {
		return fmt.Errorf("%w: table has no entry point", ErrEntryPoint)
	}
	return WriteDumpBin(w, t.EntryPoint, t.Raw)
}
