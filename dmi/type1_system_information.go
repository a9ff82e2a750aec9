package dmi

import "fmt"

// Product identifies a system or a board: types 1 and 2 start with these
// four strings.
type Product struct {
	Manufacturer string // 04h
	ProductName  string // 05h
	Version      string // 06h
	SerialNumber string // 07h
}

func parseProduct(s *Structure) Product {
	return Product{Manufacturer: s.str(0x04), ProductName: s.str(0x05), Version: s.str(0x06), SerialNumber: s.str(0x07)}
}

// System is a decoded System Information structure (type 1, DSP0134 7.2).
type System struct {
	Product
	// UUID (08h, 2.1+) in canonical lower-case form; "" when the firmware
	// stores all 0xFF ("Not Present") or all 0x00 ("Not Settable").
	UUID string
	// UUIDState tells whether the UUID field holds a value (2.1+).
	UUIDState  UUIDState
	WakeUpType string // 18h, as named by WakeUpTypeName
	SKUNumber  string // 19h (2.4+)
	Family     string // 1Ah (2.4+)
}

// ParseSystem decodes a type 1 structure of a table of version v (the UUID
// byte order depends on it).
func ParseSystem(s *Structure, v Version) (*System, error) {
	if err := need(s, 1, 0x08); err != nil {
		return nil, err
	}
	sys := &System{Product: parseProduct(s), SKUNumber: s.str(0x19), Family: s.str(0x1A)}
	if s.Length >= 0x19 {
		sys.UUID, sys.UUIDState = FormatUUID(s.Raw[0x08:0x18], v)
		sys.WakeUpType = WakeUpTypeName(s.U8(0x18))
	}
	return sys, nil
}

// UUIDState tells whether a UUID field holds a value.
type UUIDState int

// UUID field states (DSP0134 7.2.1).
const (
	UUIDPresent     UUIDState = iota
	UUIDNotPresent            // all bytes 0xFF
	UUIDNotSettable           // all bytes 0x00
)

// FormatUUID formats a 16-byte SMBIOS UUID in lower case. Since SMBIOS 2.6
// the first three fields are little-endian (DSP0134 7.2.1); earlier tables
// are printed in byte order, as dmidecode does. All-0xFF and all-0x00 UUIDs
// return "" and their state.
func FormatUUID(b []byte, v Version) (string, UUIDState) {
	if len(b) < 16 {
		return "", UUIDNotPresent
	}
	ff, zero := true, true
	for _, c := range b[:16] {
		ff = ff && c == 0xFF
		zero = zero && c == 0
	}
	switch {
	case ff:
		return "", UUIDNotPresent
	case zero:
		return "", UUIDNotSettable
	}
	if v.AtLeast(2, 6) {
		return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]), UUIDPresent
	}
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]), UUIDPresent
}
