package qemulab

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrEntryPoint reports an SMBIOS entry point that DumpBin cannot rewrite.
var ErrEntryPoint = errors.New("qemulab: bad SMBIOS entry point")

// dumpTableOffset is where `dmidecode --dump-bin` puts the table, and the
// address it writes into the entry point.
const dumpTableOffset = 0x20

// DumpBin lays out an SMBIOS entry point and table, as the kernel exports them
// in /sys/firmware/dmi/tables, the way `dmidecode --dump-bin` writes a dump:
// the entry point at offset 0 with its table address rewritten to 0x20 and its
// checksums fixed, the table from offset 0x20. `dmidecode --from-dump` reads
// that layout.
//
// Entry point offsets (DMTF DSP0134 5.2): the 2.1 "_SM_" entry point has its
// checksum at 04h, length at 05h, the intermediate "_DMI_" anchor at 10h with
// its checksum at 15h over 0Fh bytes, and the 32-bit table address at 18h. The
// 3.0 "_SM3_" entry point has its checksum at 05h, length at 06h and the 64-bit
// table address at 10h.
func DumpBin(entryPoint, table []byte) ([]byte, error) {
	var ep []byte
	switch {
	case bytes.HasPrefix(entryPoint, []byte("_SM3_")):
		if len(entryPoint) < 0x18 {
			return nil, fmt.Errorf("%w: _SM3_ entry point is %d bytes", ErrEntryPoint, len(entryPoint))
		}
		n := int(entryPoint[0x06])
		if n < 0x18 || n > len(entryPoint) || n > dumpTableOffset {
			return nil, fmt.Errorf("%w: _SM3_ length %#x", ErrEntryPoint, n)
		}
		ep = bytes.Clone(entryPoint[:n])
		binary.LittleEndian.PutUint64(ep[0x10:], dumpTableOffset) // 10h: structure table address
		ep[0x05] = 0                                              // 05h: checksum
		ep[0x05] = -sum8(ep)
	case bytes.HasPrefix(entryPoint, []byte("_SM_")):
		if len(entryPoint) < 0x1F {
			return nil, fmt.Errorf("%w: _SM_ entry point is %d bytes", ErrEntryPoint, len(entryPoint))
		}
		n := int(entryPoint[0x05])
		// Some SMBIOS 2.1 firmware says 0x1E or 0x20 here; dmidecode accepts up to 0x20.
		if n < 0x1E || n > len(entryPoint) || n > dumpTableOffset {
			return nil, fmt.Errorf("%w: _SM_ length %#x", ErrEntryPoint, n)
		}
		ep = bytes.Clone(entryPoint[:n])
		if !bytes.Equal(ep[0x10:0x15], []byte("_DMI_")) {
			return nil, fmt.Errorf("%w: no _DMI_ intermediate anchor", ErrEntryPoint)
		}
		binary.LittleEndian.PutUint32(ep[0x18:], dumpTableOffset) // 18h: structure table address
		ep[0x15] = 0                                              // 15h: intermediate checksum over 10h-1Eh
		ep[0x15] = -sum8(ep[0x10:0x1F])
		ep[0x04] = 0 // 04h: entry point checksum
		ep[0x04] = -sum8(ep)
	default:
		return nil, fmt.Errorf("%w: no _SM_ or _SM3_ anchor", ErrEntryPoint)
	}
	out := make([]byte, dumpTableOffset, dumpTableOffset+len(table))
	copy(out, ep)
	return append(out, table...), nil
}

func sum8(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}
