package efi

import (
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// BenchmarkBootState reads and decodes a whole efivarfs tree, as one scrape
// of the firmware collector does.
func BenchmarkBootState(b *testing.B) {
	for _, set := range []struct{ name, dir string }{
		{"lenovo", ""},
		{"ovmf-nic", "ovmf-q35-shellboot-nic"},
	} {
		b.Run(set.name, func(b *testing.B) {
			var root string
			if set.dir == "" {
				root = lenovoSysfs(b)
			} else {
				root = fakeSysfs(b, "64\n", glob(b, filepath.Join(testutil.Shared(b, "boots", set.dir), "efivars", "*"))...)
			}
			fs := newFS(b, root)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fs.BootState(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseLoadOption decodes and renders every real load option.
func BenchmarkParseLoadOption(b *testing.B) {
	base := testutil.Shared(b, "efivars", "foxboron-go-uefi", "boot")
	var vals [][]byte
	for _, f := range glob(b, filepath.Join(base, "*")) {
		vals = append(vals, readValue(b, "", f))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range vals {
			o, err := ParseLoadOption(v)
			if err != nil {
				b.Fatal(err)
			}
			_ = o.DevicePath()
		}
	}
}

// BenchmarkDecodeStore decodes a realistic db and dbx: Debian's OVMF
// Microsoft-enrolled db (two Microsoft CAs) with the four 2023 CAs' worth
// of certificates, and a dbx of 430 SHA-256 hashes, about what a current
// Microsoft dbx holds, plus its X.509 revocations.
func BenchmarkDecodeStore(b *testing.B) {
	vars := readVarStore(b, ovmfMSVars)
	db := vars["db"]
	for range 2 { // six certificates, as a db with the 2011 and 2023 CAs
		db = concat(db, vars["db"])
	}
	dbx := concat(esl(CertSHA256, testOwner, hashes(430, 32)...), esl(CertX509, testOwner, lists0(b, vars["db"])))
	for _, s := range []struct {
		store string
		value []byte
	}{{StoreDB, db}, {StoreDBX, dbx}} {
		b.Run(s.store, func(b *testing.B) {
			b.SetBytes(int64(len(s.value)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := DecodeStore(s.store, s.value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// lists0 is the first signature of a store.
func lists0(tb testing.TB, value []byte) []byte {
	l, err := ParseSignatureLists(value)
	if err != nil || len(l) == 0 {
		tb.Fatal(err)
	}
	return l[0].Signatures[0].Data
}
