package dmi

import (
	"bytes"
	"encoding/binary"
	"fmt"

	smbios "github.com/digitalocean/go-smbios/smbios"
)

// EntryPointKind tells which of the three SMBIOS entry point structures a table
// was found through.
type EntryPointKind int

// Entry point kinds (DSP0134 5.2).
const (
	// EntryPoint32 is the SMBIOS 2.1+ 32-bit entry point, anchor "_SM_".
	EntryPoint32 EntryPointKind = iota + 1
	// EntryPoint64 is the SMBIOS 3.0+ 64-bit entry point, anchor "_SM3_".
	EntryPoint64
	// EntryPointLegacy is the DMI 2.0 entry point, anchor "_DMI_", used by
	// firmware older than SMBIOS 2.1.
	EntryPointLegacy
)

// String returns the entry point's anchor string.
func (k EntryPointKind) String() string {
	switch k {
	case EntryPoint32:
		return "_SM_"
	case EntryPoint64:
		return "_SM3_"
	case EntryPointLegacy:
		return "_DMI_"
	}
	return fmt.Sprintf("EntryPointKind(%d)", int(k))
}

// Version is an SMBIOS version. Revision (the docrev) is only known for 3.x
// entry points.
type Version struct {
	Major, Minor, Revision uint8
}

// Uint returns the version as 0xMMmmrr, the form comparisons use.
func (v Version) Uint() uint32 {
	return uint32(v.Major)<<16 | uint32(v.Minor)<<8 | uint32(v.Revision)
}

// AtLeast reports whether v is major.minor or later.
func (v Version) AtLeast(major, minor uint8) bool {
	return v.Uint() >= uint32(major)<<16|uint32(minor)<<8
}

// String formats the version as "2.8" (or "3.2.0" when it has a revision
// byte, i.e. came from a 3.x entry point, see EntryPoint.VersionString).
func (v Version) String() string {
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// EntryPoint is a decoded SMBIOS entry point structure (DSP0134 5.2.1, 5.2.2,
// and the DMI 2.0 legacy form).
type EntryPoint struct {
	Kind EntryPointKind
	// Length is the entry point length byte (05h for _SM_, 06h for _SM3_;
	// 0x10 for the legacy form). Some SMBIOS 2.1 firmware says 0x1E or 0x20
	// instead of 0x1F; both are accepted.
	Length uint8
	// DeclaredVersion is the version exactly as the entry point states it.
	DeclaredVersion Version
	// TableAddress is the physical address of the structure table (or its
	// offset in a dmidecode --dump-bin file).
	TableAddress uint64
	// TableLength is the exact table length for 2.x and legacy entry points,
	// the maximum table size for 3.x entry points.
	TableLength uint32
	// StructureCount is the number of structures a 2.x or legacy entry point
	// announces; 0 for 3.x.
	StructureCount uint16
	// MaxStructureSize is the size of the largest structure (2.x only).
	MaxStructureSize uint16
	// Raw holds the Length bytes of the entry point.
	Raw []byte
}

// Version returns the SMBIOS version the table is decoded as, after the
// fix-ups dmidecode 3.4 applies to versions firmware is known to misstate:
// 2.31 and 2.33 become 2.3, and 2.51 becomes 2.6. The bool reports whether a
// fix-up happened.
func (ep *EntryPoint) Version() (Version, bool) {
	v := ep.DeclaredVersion
	if ep.Kind != EntryPoint32 {
		return v, false
	}
	switch {
	case v.Major == 2 && (v.Minor == 0x1F || v.Minor == 0x21):
		return Version{Major: 2, Minor: 3}, true
	case v.Major == 2 && v.Minor == 0x33:
		return Version{Major: 2, Minor: 6}, true
	}
	return v, false
}

// VersionString is the version as dmidecode prints it after "SMBIOS": with a
// revision for 3.x entry points ("3.2.0"), without for older ones ("2.8").
func (ep *EntryPoint) VersionString() string {
	v, _ := ep.Version()
	if ep.Kind == EntryPoint64 {
		return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Revision)
	}
	return v.String()
}

func checksumOK(b []byte) bool {
	var s byte
	for _, c := range b {
		s += c
	}
	return s == 0
}

// ParseEntryPoint decodes an SMBIOS entry point at the start of b: "_SM3_",
// "_SM_" or the legacy "_DMI_". It checks the checksums (and, for "_SM_", the
// intermediate "_DMI_" anchor and checksum) as dmidecode does.
//
// github.com/digitalocean/go-smbios decodes the fields of the two "_SM"
// forms; this function adds what it lacks: the legacy form, the intermediate
// checksum, entry points of length 0x1E (shorter than go-smbios accepts) and
// the length bound dmidecode applies (at most 0x20 bytes).
func ParseEntryPoint(b []byte) (*EntryPoint, error) {
	switch {
	case bytes.HasPrefix(b, []byte("_SM3_")):
		return parseEP64(b)
	case bytes.HasPrefix(b, []byte("_SM_")):
		return parseEP32(b)
	case bytes.HasPrefix(b, []byte("_DMI_")):
		return parseEPLegacy(b)
	}
	return nil, fmt.Errorf("%w: no _SM3_, _SM_ or _DMI_ anchor", ErrEntryPoint)
}

// entryPointBytes returns a copy of the entry point at the start of b, as
// long as its length byte (at lenOff) says: from minLen to 0x20 bytes (need
// is the length the error message asks for).
func entryPointBytes(b []byte, anchor string, lenOff, minLen, need int) ([]byte, error) {
	if len(b) < minLen {
		return nil, fmt.Errorf("%w: %s entry point is %d bytes, need %d", ErrEntryPoint, anchor, len(b), need)
	}
	l := int(b[lenOff])
	if l < minLen || l > 0x20 || l > len(b) {
		return nil, fmt.Errorf("%w: %s entry point length %d out of range", ErrEntryPoint, anchor, l)
	}
	return bytes.Clone(b[:l]), nil
}

// goSMBIOS decodes an entry point with go-smbios, which must find one of
// type T.
func goSMBIOS[T any](b []byte) (*T, error) {
	ep, err := smbios.ParseEntryPoint(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEntryPoint, err)
	}
	e, ok := any(ep).(*T)
	if !ok {
		return nil, fmt.Errorf("%w: unexpected entry point type %T", ErrEntryPoint, ep)
	}
	return e, nil
}

func parseEP64(b []byte) (*EntryPoint, error) {
	raw, err := entryPointBytes(b, "_SM3_", 0x06, 0x18, 24)
	if err != nil {
		return nil, err
	}
	// go-smbios sums every byte it is given, so hand it exactly Length bytes.
	e, err := goSMBIOS[smbios.EntryPoint64Bit](raw)
	if err != nil {
		return nil, err
	}
	return &EntryPoint{
		Kind:            EntryPoint64,
		Length:          e.Length,
		DeclaredVersion: Version{e.Major, e.Minor, e.Revision},
		TableAddress:    e.StructureTableAddress,
		TableLength:     e.StructureTableMaxSize,
		Raw:             raw,
	}, nil
}

func parseEP32(b []byte) (*EntryPoint, error) {
	raw, err := entryPointBytes(b, "_SM_", 0x05, 0x1E, 31)
	if err != nil {
		return nil, err
	}
	// dmidecode sums the 15-byte intermediate area even when Length says
	// 0x1E, so do the same whenever the bytes are there.
	if !bytes.Equal(raw[0x10:0x15], []byte("_DMI_")) || len(b) >= 0x1F && !checksumOK(b[0x10:0x1F]) {
		return nil, fmt.Errorf("%w: bad intermediate _DMI_ anchor or checksum", ErrEntryPoint)
	}
	// go-smbios insists on 31 bytes; a 0x1E-byte entry point gets a zero
	// pad, which changes no checksum (it only sums the first Length bytes).
	in := raw
	if len(in) < 0x1F {
		in = append(bytes.Clone(raw), make([]byte, 0x1F-len(raw))...)
	}
	e, err := goSMBIOS[smbios.EntryPoint32Bit](in)
	if err != nil {
		return nil, err
	}
	return &EntryPoint{
		Kind:             EntryPoint32,
		Length:           e.Length,
		DeclaredVersion:  Version{Major: e.Major, Minor: e.Minor},
		TableAddress:     uint64(e.StructureTableAddress),
		TableLength:      uint32(e.StructureTableLength),
		StructureCount:   e.NumberStructures,
		MaxStructureSize: e.MaxStructureSize,
		Raw:              raw,
	}, nil
}

// parseEPLegacy decodes the 15-byte DMI 2.0 entry point (anchor "_DMI_",
// checksum 05h, table length 06h, address 08h, count 0Ch, BCD revision 0Eh).
func parseEPLegacy(b []byte) (*EntryPoint, error) {
	if len(b) < 0x0F {
		return nil, fmt.Errorf("%w: _DMI_ entry point is %d bytes, need 15", ErrEntryPoint, len(b))
	}
	raw := bytes.Clone(b[:0x0F])
	if !checksumOK(raw) {
		return nil, fmt.Errorf("%w: bad _DMI_ checksum", ErrEntryPoint)
	}
	bcd := raw[0x0E]
	return &EntryPoint{
		Kind:            EntryPointLegacy,
		Length:          0x0F,
		DeclaredVersion: Version{Major: bcd >> 4, Minor: bcd & 0x0F},
		TableAddress:    uint64(binary.LittleEndian.Uint32(raw[0x08:])),
		TableLength:     uint32(binary.LittleEndian.Uint16(raw[0x06:])),
		StructureCount:  binary.LittleEndian.Uint16(raw[0x0C:]),
		Raw:             raw,
	}, nil
}
