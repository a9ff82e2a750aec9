package efi

import (
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf16"
)

// Variable attributes (UEFI 2.10 section 8.2, GetVariable()).
const (
	AttrNonVolatile                       = 0x00000001
	AttrBootServiceAccess                 = 0x00000002
	AttrRuntimeAccess                     = 0x00000004
	AttrHardwareErrorRecord               = 0x00000008
	AttrAuthenticatedWriteAccess          = 0x00000010
	AttrTimeBasedAuthenticatedWriteAccess = 0x00000020
	AttrAppendWrite                       = 0x00000040
	AttrEnhancedAuthenticatedAccess       = 0x00000080
)

// ParseVariable splits the content of an efivarfs file into its attribute word
// (4 bytes, little-endian) and the variable's value. The value aliases b.
func ParseVariable(b []byte) (attrs uint32, value []byte, err error) {
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("efi: variable of %d bytes has no attribute word: %w: %w", len(b), ErrMalformed, io.ErrUnexpectedEOF)
	}
	return binary.LittleEndian.Uint32(b), b[4:], nil
}

// ParseBool decodes a one-byte boolean variable such as SecureBoot, SetupMode,
// AuditMode or DeployedMode (UEFI 2.10 section 3.3): exactly one byte, 0 or 1.
func ParseBool(value []byte) (bool, error) {
	if len(value) != 1 {
		return false, fmt.Errorf("efi: boolean variable has %d bytes, want 1: %w", len(value), ErrMalformed)
	}
	switch value[0] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("efi: boolean variable holds %#x, want 0 or 1: %w", value[0], ErrMalformed)
}

// ParseBootID decodes a UINT16 variable naming a Boot#### option, such as
// BootCurrent or BootNext.
func ParseBootID(value []byte) (BootID, error) {
	if len(value) != 2 {
		return 0, fmt.Errorf("efi: UINT16 variable has %d bytes, want 2: %w", len(value), ErrMalformed)
	}
	return BootID(binary.LittleEndian.Uint16(value)), nil
}

// ParseBootOrder decodes a UINT16 array such as BootOrder.
func ParseBootOrder(value []byte) ([]BootID, error) {
	if len(value)%2 != 0 {
		return nil, fmt.Errorf("efi: UINT16 array has odd length %d: %w", len(value), ErrMalformed)
	}
	ids := make([]BootID, len(value)/2)
	for i := range ids {
		ids[i] = BootID(binary.LittleEndian.Uint16(value[2*i:]))
	}
	return ids, nil
}

// ParseUTF16String decodes a UTF-16LE string variable such as systemd-boot's
// LoaderEntryDefault. It ends at the first NUL; a missing terminator is
// tolerated, an odd byte count is not. Unpaired surrogates become U+FFFD.
func ParseUTF16String(value []byte) (string, error) {
	if len(value)%2 != 0 {
		return "", fmt.Errorf("efi: UTF-16 string has odd length %d: %w", len(value), ErrMalformed)
	}
	s, _ := decodeUTF16(value)
	return s, nil
}

// decodeUTF16 decodes UTF-16LE code units from b up to the first NUL unit. It
// returns the string and the number of bytes consumed including the NUL, or -1
// when no NUL was found. Control characters become '?' so that firmware
// strings cannot inject escapes into logs, labels or JSON consumers' terminals.
func decodeUTF16(b []byte) (string, int) {
	units := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u := binary.LittleEndian.Uint16(b[i:])
		if u == 0 {
			return cleanRunes(utf16.Decode(units)), i + 2
		}
		units = append(units, u)
	}
	return cleanRunes(utf16.Decode(units)), -1
}

func cleanRunes(rs []rune) string {
	for i, r := range rs {
		if r < 0x20 || (r >= 0x7F && r < 0xA0) {
			rs[i] = '?'
		}
	}
	return string(rs)
}

// BootID is the number of a Boot#### load option.
type BootID uint16

// String returns the four upper-case hex digits the firmware uses in the
// variable name: "0003", "001A".
func (id BootID) String() string { return fmt.Sprintf("%04X", uint16(id)) }

// MarshalText implements encoding.TextMarshaler, so JSON carries "0003".
func (id BootID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// VariableName returns the option's variable name, "Boot0003".
func (id BootID) VariableName() string { return "Boot" + id.String() }

// parseBootVariableName recognises Boot#### names (four upper-case hex digits,
// as the specification defines them; "BootOrder" and "BootNext" are not).
func parseBootVariableName(name string) (BootID, bool) {
	if len(name) != 8 || name[:4] != "Boot" {
		return 0, false
	}
	var v uint16
	for _, c := range name[4:] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint16(c-'0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | uint16(c-'A'+10)
		default:
			return 0, false
		}
	}
	return BootID(v), true
}
