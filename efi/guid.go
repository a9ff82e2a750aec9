package efi

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// GUID is an EFI_GUID in its in-memory byte order (UEFI 2.10 appendix A): the
// first three fields are little-endian, the last eight bytes are stored as
// written.
type GUID [16]byte

// Well-known vendor GUIDs.
var (
	// GlobalVariable is EFI_GLOBAL_VARIABLE, the vendor of the variables the
	// UEFI specification defines (section 3.3).
	GlobalVariable = MustParseGUID("8be4df61-93ca-11d2-aa0d-00e098032b8c")
	// LoaderVendor is the vendor GUID of the systemd-boot loader interface
	// variables (LoaderEntryDefault, LoaderEntrySelected, ...).
	LoaderVendor = MustParseGUID("4a67b082-0a4c-41cf-b6c7-440b29bb8c4f")
)

// String returns the registry format, lower case:
// 8be4df61-93ca-11d2-aa0d-00e098032b8c.
func (g GUID) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%02x%02x-%s",
		binary.LittleEndian.Uint32(g[0:4]),
		binary.LittleEndian.Uint16(g[4:6]),
		binary.LittleEndian.Uint16(g[6:8]),
		g[8], g[9], hex.EncodeToString(g[10:16]))
}

// ParseGUID parses the registry format (case-insensitive).
func ParseGUID(s string) (GUID, error) {
	var g GUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, fmt.Errorf("efi: guid %q: %w", s, ErrMalformed)
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(raw) != 16 {
		return g, fmt.Errorf("efi: guid %q: %w", s, ErrMalformed)
	}
	// The text is big-endian field by field; the first three fields are
	// stored little-endian.
	g[0], g[1], g[2], g[3] = raw[3], raw[2], raw[1], raw[0]
	g[4], g[5] = raw[5], raw[4]
	g[6], g[7] = raw[7], raw[6]
	copy(g[8:], raw[8:])
	return g, nil
}

// MustParseGUID is ParseGUID for constants; it panics on malformed input.
func MustParseGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }
