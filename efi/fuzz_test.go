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

// corpusFiles returns the files of the shared corpus that match patterns.
func corpusFiles(f *testing.F, patterns ...string) []string {
	base := testutil.Shared(f)
	var files []string
	for _, p := range patterns {
		m, _ := filepath.Glob(filepath.Join(base, p))
		files = append(files, m...)
	}
	return files
}

// corpusValues returns the values of the real load option variables, the seeds
// of the fuzzers.
func corpusValues(f *testing.F) [][]byte {
	files := corpusFiles(f, "efivars/foxboron-go-uefi/boot/*", "boots/ovmf-q35-shellboot-nic/efivars/Boot*", "boots/ovmf-*/efivars/PlatformRecovery*",
		"boots/ovmf-q35/efivars/ConIn-*", "boots/ovmf-q35/efivars/ErrOutDev-*", "boots/ovmf-pc/efivars/ConOut-*")
	var vals [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if _, v, err := ParseVariable(b); err == nil {
			vals = append(vals, v)
		}
	}
	return vals
}

// FuzzParseLoadOption: never panic; what decoded is consistent with the input
// (the optional data is a suffix of it, the attributes are its first word) and
// renders as valid UTF-8 text.
func FuzzParseLoadOption(f *testing.F) {
	for _, v := range corpusValues(f) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseLoadOption(b)
		if o == nil {
			if err == nil {
				t.Fatal("nil option without an error")
			}
			return
		}
		if len(b) < 6 {
			t.Fatalf("option decoded from %d bytes", len(b))
		}
		if uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24 != o.Attributes {
			t.Fatal("attributes are not the first word")
		}
		if len(o.OptionalData) > 0 && !strings.HasSuffix(string(b), string(o.OptionalData)) {
			t.Fatal("optional data is not a suffix of the input")
		}
		for _, p := range o.FilePaths {
			if s := p.String(); !utf8.ValidString(s) {
				t.Fatalf("device path text is not UTF-8: %q", s)
			}
		}
		_ = o.Category()
		if !utf8.ValidString(o.Description) {
			t.Fatalf("description is not UTF-8: %q", o.Description)
		}
	})
}

// FuzzDevicePathText: never panic; every node's data lies inside the input;
// the text of a path is its nodes' texts joined, and holds no control
// characters.
func FuzzDevicePathText(f *testing.F) {
	for _, v := range corpusValues(f) {
		f.Add(v)
		// Bare paths too: skip a load option's header where it looks like one.
		if o, err := ParseLoadOption(v); err == nil && len(o.FilePaths) > 0 {
			f.Add(o.FilePaths[0].nodesBytes())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseDevicePath(b)
		total := 0
		for _, n := range p {
			total += nodeHeaderLen + len(n.Data)
		}
		if total > len(b) {
			t.Fatalf("nodes cover %d bytes of %d", total, len(b))
		}
		if err == nil && total+nodeHeaderLen > len(b) {
			t.Fatal("no error but no room for the end node")
		}
		s := p.String()
		if !utf8.ValidString(s) {
			t.Fatalf("text is not UTF-8: %q", s)
		}
		for _, r := range s {
			if r < 0x20 || (r >= 0x7F && r < 0xA0) {
				t.Fatalf("control character %U in %q", r, s)
			}
		}
	})
}

// FuzzVariables feeds every efivarfs file of the shared corpus (the
// foxboron-go-uefi set and the OVMF boots' full listings, broken ones
// included) to the variable decoders, as the file's content and as its
// value: never panic; every error wraps ErrMalformed; what decodes
// re-encodes to its input (BootOrder, boolean, UINT16) or is clean text
// (UTF-16 strings, device paths, whose nodes lie inside the input).
func FuzzVariables(f *testing.F) {
	files := corpusFiles(f, "efivars/*/*/*", "boots/*/efivars/*")
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
