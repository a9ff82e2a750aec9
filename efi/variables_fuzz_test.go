package efi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// FuzzVariables feeds every efivarfs file of the shared corpus (the
// foxboron-go-uefi set and the OVMF boots' full listings, broken ones
// included) to the variable decoders, as the file's content and as its
// value: never panic; every error wraps ErrMalformed; what decodes
// re-encodes to its input (BootOrder, boolean, UINT16) or is clean text
// (UTF-16 strings, device paths, whose nodes lie inside the input).
func FuzzVariables(f *testing.F) {
	base := testutil.Shared(f)
	var files []string
	for _, p := range []string{"efivars/*/*/*", "boots/*/efivars/*"} {
		m, _ := filepath.Glob(filepath.Join(base, p))
		files = append(files, m...)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		f.Add(b)
	}
	f.Add([]byte{7, 0, 0, 0, 1, 0, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		attrs, value, err := ParseVariable(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || len(b) >= 4 {
				t.Fatalf("%d bytes: %v", len(b), err)
			}
			value = b
		} else if binary.LittleEndian.Uint32(b) != attrs || !bytes.Equal(value, b[4:]) {
			t.Fatal("attributes and value do not split the input")
		}
		if ids, err := ParseBootOrder(value); err == nil {
			enc := make([]byte, 0, len(value))
			for _, id := range ids {
				enc = binary.LittleEndian.AppendUint16(enc, uint16(id))
			}
			if !bytes.Equal(enc, value) {
				t.Fatalf("BootOrder %v re-encodes to %x, not %x", ids, enc, value)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("BootOrder: %v", err)
		}
		if v, err := ParseBool(value); err == nil {
			if want := []byte{0}; v {
				want[0] = 1
				if !bytes.Equal(value, want) {
					t.Fatalf("true from %x", value)
				}
			} else if !bytes.Equal(value, want) {
				t.Fatalf("false from %x", value)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("bool: %v", err)
		}
		if id, err := ParseBootID(value); err == nil && binary.LittleEndian.Uint16(value) != uint16(id) {
			t.Fatalf("BootID %v from %x", id, value)
		}
		if s, err := ParseUTF16String(value); err == nil {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("string %q is not clean text", s)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("UTF-16: %v", err)
		}
		paths, err := ParseDevicePaths(value)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("device paths: %v", err)
		}
		total := 0
		for _, p := range paths {
			for _, n := range p {
				total += nodeHeaderLen + len(n.Data)
			}
			if s := p.String(); !utf8.ValidString(s) {
				t.Fatalf("device path text is not UTF-8: %q", s)
			}
		}
		if total > len(value) {
			t.Fatalf("device path nodes cover %d bytes of %d", total, len(value))
		}
	})
}
