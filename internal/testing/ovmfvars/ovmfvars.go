// Package ovmfvars reads the variables of an OVMF variable store image
// (OVMF_VARS*.fd, as Debian's ovmf package ships them) and lays them out as
// efivarfs would show them, so tests can feed real enrolled Secure Boot
// databases (the Microsoft-enrolled OVMF_VARS_4M.ms.fd) to the efi package
// and the collectors without booting a guest.
//
// The layout follows the PI specification (volume 3, firmware volume
// header) and EDK II's authenticated variable store
// (MdeModulePkg/Include/Guid/VariableFormat.h): a firmware volume header,
// a variable store header, then variables, each an authenticated variable
// header, its UTF-16 name and its data, aligned to 4 bytes.
package ovmfvars

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// Variable is one live variable of the store.
type Variable struct {
	Name       string
	Vendor     GUID
	Attributes uint32
	Data       []byte
}

// GUID is an EFI_GUID as stored (the first three fields little-endian).
// The package has its own, rather than the efi package's, so that the efi
// package's tests can use it.
type GUID [16]byte

// String is the registry format, as efivarfs names files.
func (g GUID) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(g[0:]),
		binary.LittleEndian.Uint16(g[4:]), binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:])
}

// authenticatedVariableStore is gEfiAuthenticatedVariableGuid, the
// signature of a store whose variables carry authenticated headers
// (aaf32c78-947b-439a-a180-2e144ec37792).
var authenticatedVariableStore = GUID{0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43, 0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92}

const (
	startID  = 0x55aa
	varAdded = 0x3f // VAR_ADDED: the header and data are valid
	// authHeaderSize is AUTHENTICATED_VARIABLE_HEADER's: StartId (2),
	// State (1), Reserved (1), Attributes (4), MonotonicCount (8),
	// TimeStamp (16), PubKeyIndex (4), NameSize (4), DataSize (4),
	// VendorGuid (16).
	authHeaderSize = 60
	// storeHeaderSize is VARIABLE_STORE_HEADER's: Signature (16),
	// Size (4), Format (1), State (1), Reserved (2), Reserved1 (4).
	storeHeaderSize = 28
)

// Parse returns the live variables of a variable store image.
func Parse(img []byte) ([]Variable, error) {
	if len(img) < 56 || string(img[40:44]) != "_FVH" {
		return nil, errors.New("ovmfvars: no firmware volume header")
	}
	hl := int(binary.LittleEndian.Uint16(img[48:50])) // 30h HeaderLength
	if hl+storeHeaderSize > len(img) {
		return nil, errors.New("ovmfvars: variable store header past the end")
	}
	var sig GUID
	copy(sig[:], img[hl:hl+16])
	if sig != authenticatedVariableStore {
		return nil, fmt.Errorf("ovmfvars: variable store %s is not an authenticated one", sig)
	}
	end := hl + int(binary.LittleEndian.Uint32(img[hl+16:hl+20]))
	if end > len(img) {
		return nil, errors.New("ovmfvars: variable store size past the end")
	}
	var out []Variable
	for off := hl + storeHeaderSize; off+authHeaderSize <= end; {
		h := img[off : off+authHeaderSize]
		if binary.LittleEndian.Uint16(h[0:2]) != startID {
			break // the free space
		}
		nameSize := int(binary.LittleEndian.Uint32(h[36:40]))
		dataSize := int(binary.LittleEndian.Uint32(h[40:44]))
		body := off + authHeaderSize
		if nameSize < 0 || dataSize < 0 || body+nameSize+dataSize > end {
			return out, fmt.Errorf("ovmfvars: variable at %#x runs past the store", off)
		}
		if h[2] == varAdded {
			v := Variable{Attributes: binary.LittleEndian.Uint32(h[4:8]), Data: img[body+nameSize : body+nameSize+dataSize]}
			copy(v.Vendor[:], h[44:60])
			name := make([]uint16, 0, nameSize/2)
			for i := 0; i+1 < nameSize; i += 2 {
				c := binary.LittleEndian.Uint16(img[body+i:])
				if c == 0 {
					break
				}
				name = append(name, c)
			}
			v.Name = string(utf16.Decode(name))
			out = append(out, v)
		}
		off = body + nameSize + dataSize
		off = (off + 3) &^ 3
	}
	return out, nil
}

// Read returns the live variables of the image at path by name. A missing
// image skips the test, or fails it under CI=true.
func Read(tb testing.TB, path string) map[string]Variable {
	tb.Helper()
	vars := parseFile(tb, path)
	m := make(map[string]Variable, len(vars))
	for _, v := range vars {
		m[v.Name] = v
	}
	return m
}

func parseFile(tb testing.TB, path string) []Variable {
	tb.Helper()
	img, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		testutil.SkipOrFail(tb, "%s not found (Debian package ovmf): %v", path, err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	vars, err := Parse(img)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return vars
}

// WriteEfivars writes the live variables of the image at path into dir as
// efivarfs files (NAME-GUID, 4 attribute bytes then the data), creating dir.
// A missing image skips the test, or fails it under CI=true.
func WriteEfivars(tb testing.TB, path, dir string) []Variable {
	tb.Helper()
	vars := parseFile(tb, path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, v := range vars {
		b := binary.LittleEndian.AppendUint32(nil, v.Attributes)
		b = append(b, v.Data...)
		if err := os.WriteFile(filepath.Join(dir, v.Name+"-"+v.Vendor.String()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return vars
}
