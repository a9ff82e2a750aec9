package qemulab

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// TestDumpBinCorpus rebuilds dmidecode --dump-bin files from real sysfs pairs.
// Where the corpus holds dmidecode's own dump of the same machine, the bytes
// must match; every result must decode with dmidecode --from-dump exactly as
// dmidecode decoded its own dump.
func TestDumpBinCorpus(t *testing.T) {
	sysfs := testutil.Shared(t, "smbios", "sysfs")
	dumps := testutil.Shared(t, "smbios", "dumps")
	entries, err := os.ReadDir(sysfs)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, e := range entries {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			ep, err := os.ReadFile(filepath.Join(sysfs, name, "smbios_entry_point"))
			if err != nil {
				t.Fatal(err)
			}
			tab, err := os.ReadFile(filepath.Join(sysfs, name, "DMI"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := DumpBin(ep, tab)
			if err != nil {
				t.Fatal(err)
			}
			if sum8(got[:epLen(got)]) != 0 {
				t.Errorf("entry point checksum does not sum to zero")
			}
			var ref string
			for _, cand := range []string{name + ".bin", "dell-libsmbios-" + strings.TrimPrefix(name, "dell-") + "-sysfs.bin"} {
				if _, err := os.Stat(filepath.Join(dumps, cand)); err == nil {
					ref = filepath.Join(dumps, cand)
				}
			}
			if ref == "" {
				t.Logf("no dmidecode dump of %s in the corpus; checked with dmidecode only", name)
			} else {
				compared++
				want, err := os.ReadFile(ref)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("DumpBin differs from dmidecode's %s:\n%s", filepath.Base(ref), cmp.Diff(want, got))
				}
			}
			testutil.Tool(t, "dmidecode", "dmidecode")
			gotText := dmidecodeFromDump(t, got)
			if !strings.Contains(gotText, " present.\n") || !strings.Contains(gotText, "\nHandle 0x") {
				t.Errorf("dmidecode did not accept the dump:\n%s", gotText)
			}
			if ref != "" {
				want, err := os.ReadFile(strings.TrimSuffix(ref, ".bin") + ".dmidecode.txt")
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(dropFromDumpLine(string(want)), dropFromDumpLine(gotText)); d != "" {
					t.Errorf("dmidecode --from-dump (-corpus +ours):\n%s", d)
				}
			}
		})
	}
	if compared == 0 {
		t.Error("no sysfs pair had a dmidecode dump to compare with")
	}
}

// epLen returns the length that a dump's entry point declares.
func epLen(dump []byte) int {
	if bytes.HasPrefix(dump, []byte("_SM3_")) {
		return int(dump[0x06])
	}
	return int(dump[0x05])
}

func dmidecodeFromDump(t *testing.T, dump []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "dump.bin")
	if err := os.WriteFile(f, dump, 0o644); err != nil {
		t.Fatal(err)
	}
	return string(testutil.Run(t, "", "dmidecode", "--from-dump", f))
}

// dropFromDumpLine removes the line naming the dump file.
func dropFromDumpLine(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "Reading SMBIOS/DMI data from file ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func TestDumpBinErrors(t *testing.T) {
	sm2 := func(mut func([]byte) []byte) []byte {
		ep := make([]byte, 0x1F)
		copy(ep, "_SM_")
		ep[0x05] = 0x1F
		copy(ep[0x10:], "_DMI_")
		return mut(ep)
	}
	sm3 := func(mut func([]byte) []byte) []byte {
		ep := make([]byte, 0x18)
		copy(ep, "_SM3_")
		ep[0x06] = 0x18
		return mut(ep)
	}
	same := func(b []byte) []byte { return b }
	tests := []struct {
		name string
		ep   []byte
		ok   bool
	}{
		{"empty", nil, false},
		{"no anchor", []byte("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"), false},
		{"sm2", sm2(same), true},
		{"sm2 short", sm2(func(b []byte) []byte { return b[:0x1E] }), false},
		{"sm2 length past end", sm2(func(b []byte) []byte { b[0x05] = 0x40; return b }), false},
		{"sm2 length too small", sm2(func(b []byte) []byte { b[0x05] = 0x10; return b }), false},
		{"sm2 no _DMI_", sm2(func(b []byte) []byte { b[0x10] = 'X'; return b }), false},
		{"sm3", sm3(same), true},
		{"sm3 short", sm3(func(b []byte) []byte { return b[:0x17] }), false},
		{"sm3 length too small", sm3(func(b []byte) []byte { b[0x06] = 0x10; return b }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DumpBin(tt.ep, []byte{1, 2, 3})
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrEntryPoint) {
					t.Errorf("error %v does not wrap ErrEntryPoint", err)
				}
				return
			}
			if sum8(got[:epLen(got)]) != 0 || !bytes.Equal(got[0x20:], []byte{1, 2, 3}) {
				t.Errorf("bad dump % x", got)
			}
		})
	}
}

func FuzzDumpBin(f *testing.F) {
	if dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata", "smbios", "sysfs")); err == nil {
		pairs, _ := os.ReadDir(dir)
		for _, p := range pairs {
			ep, err1 := os.ReadFile(filepath.Join(dir, p.Name(), "smbios_entry_point"))
			tab, err2 := os.ReadFile(filepath.Join(dir, p.Name(), "DMI"))
			if err1 == nil && err2 == nil {
				f.Add(ep, tab[:min(len(tab), 64)])
			}
		}
	}
	f.Add([]byte("_SM_"), []byte{})
	f.Fuzz(func(t *testing.T, ep, tab []byte) {
		got, err := DumpBin(ep, tab)
		if err != nil {
			return
		}
		if len(got) != 0x20+len(tab) || !bytes.Equal(got[0x20:], tab) {
			t.Fatalf("table not at 0x20")
		}
		if sum8(got[:epLen(got)]) != 0 {
			t.Fatalf("checksum not fixed")
		}
		if bytes.HasPrefix(got, []byte("_SM_")) && sum8(got[0x10:0x1F]) != 0 {
			t.Fatalf("intermediate checksum not fixed")
		}
	})
}
