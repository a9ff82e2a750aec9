package efi

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// cost returns the bytes f allocates: the fuzz targets fail on an input
// that costs more than its size allows, not only on a panic.
func cost(f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// storeSeeds are real signature stores: the foxboron laptop's PK, its
// SignatureSupport values (GUID arrays, not stores: good junk), Debian's
// Microsoft-enrolled OVMF PK, KEK, db and dbx when the ovmf package is
// installed, and built stores with every signature type and broken lists.
// (Map order would make the seeds differ between fuzzing processes, hence
// the list of types.)
func storeSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, name := range corpusFiles(f, "efivars/foxboron-go-uefi/efivars/PK", "efivars/foxboron-go-uefi/sigsupport/*") {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if _, v, err := ParseVariable(b); err == nil {
			seeds = append(seeds, v)
		} else {
			seeds = append(seeds, b) // the PK file is a bare value
		}
	}
	if _, err := os.Stat(ovmfMSVars); err == nil {
		vars := readVarStore(f, ovmfMSVars)
		for _, n := range []string{"PK", "KEK", "db", "dbx"} {
			seeds = append(seeds, vars[n])
		}
		seeds = append(seeds, concat(vars["KEK"], vars["db"], vars["dbx"]))
	}
	// Built stores around the real PK's certificate: the seeds must be
	// the same in every fuzzing process, so no certificate is generated.
	pk := lists0(f, realPK(f))
	all := []byte{}
	for _, typ := range []GUID{CertSHA1, CertSHA224, CertSHA256, CertSHA384, CertSHA512, CertRSA2048, CertRSA2048SHA1, CertRSA2048SHA256, CertX509SHA256, CertX509SHA384, CertX509SHA512} {
		all = append(all, esl(typ, testOwner, hashes(2, int(signatureDataSize[typ]))...)...)
	}
	seeds = append(seeds, concat(all, esl(CertX509, testOwner, pk, append(bytes.Clone(pk), 0, 0))),
		rawList(CertX509, 28+100, 0, 30, make([]byte, 100)),
		rawList(CertSHA256, 0xFFFFFFFF, 0, 48, make([]byte, 48)))
	return seeds
}

// FuzzParseSignatureLists: never panic; every error wraps ErrMalformed;
// the signatures decoded fit in the input; allocation is bounded by the
// input's size, whatever the lists claim.
func FuzzParseSignatureLists(f *testing.F) {
	for _, s := range storeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// A list header and signature data per 17 bytes at most: 40
		// bytes per signature, a list header per 28.
		if n := cost(func() { ParseSignatureLists(b) }); !raceEnabled && n > 4*uint64(len(b))+1024 {
			t.Fatalf("%d bytes in: %d bytes allocated", len(b), n)
		}
		lists, err := ParseSignatureLists(b)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		total := 0
		for _, l := range lists {
			total += signatureListHeader + len(l.Header)
			for _, s := range l.Signatures {
				if len(s.Data) == 0 {
					t.Fatal("empty signature")
				}
				if want, ok := signatureDataSize[l.Type]; ok && uint32(len(s.Data)) != want {
					t.Fatalf("%s signature of %d bytes", SignatureTypeName(l.Type), len(s.Data))
				}
				total += ownerSize + len(s.Data)
			}
		}
		if total > len(b) {
			t.Fatalf("lists cover %d bytes of %d", total, len(b))
		}
	})
}

// FuzzDecodeStore: never panic; one error wrapping ErrMalformed; every
// certificate's fields are clean text and its times UTC; hash counts are
// positive, one per type; allocation stays within a multiple of the input.
func FuzzDecodeStore(f *testing.F) {
	for _, s := range storeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// crypto/x509 allocates some ten times a certificate's size.
		if n := cost(func() { DecodeStore(StoreDB, b) }); !raceEnabled && n > 32*uint64(len(b))+16384 {
			t.Fatalf("%d bytes in: %d bytes allocated", len(b), n)
		}
		certs, counts, err := DecodeStore(StoreDB, b)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		if err != nil && len(err.Error()) > 4096 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
		for _, c := range certs {
			for _, s := range []string{c.Subject, c.Issuer} {
				if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					t.Fatalf("control character in %q", s)
				}
			}
			if c.Store != StoreDB || len(c.SHA256) != 64 || c.Serial == "" || c.NotBefore.Location() != time.UTC || c.NotAfter.Location() != time.UTC {
				t.Fatalf("certificate %+v", c)
			}
			if (c.KnownCA == "") != (c.KnownCAMatch == "") {
				t.Fatalf("known CA %q matched %q", c.KnownCA, c.KnownCAMatch)
			}
		}
		seen := map[string]bool{}
		for _, h := range counts {
			if h.Count <= 0 || seen[h.Type] || h.Type == "x509" {
				t.Fatalf("counts %v", counts)
			}
			seen[h.Type] = true
		}
	})
}

// FuzzParseSbatLevel: never panic; errors wrap ErrMalformed; a level has
// a version and components with names and generations from the input;
// allocation bounded by the input.
func FuzzParseSbatLevel(f *testing.F) {
	for _, s := range []string{
		"sbat,1,2021030218\n",
		"sbat,1,2022052400\ngrub,2\n",
		"sbat,1,2022111500\nshim,2\ngrub,3\n",
		"sbat,1,2023012900\nshim,2\ngrub,3\ngrub.debian,4\n",
		"sbat,1,2024010900\nshim,4\ngrub,3\ngrub.debian,4\n\x00",
		"sbat,1,2024040900\r\nshim,4\r\ngrub,4\r\ngrub.peimage,2\r\n",
		"grub,3\n", "", "\x00junk",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := cost(func() { ParseSbatLevel(b) }); !raceEnabled && n > 16*uint64(len(b))+1024 {
			t.Fatalf("%d bytes in: %d bytes allocated", len(b), n)
		}
		lvl, err := ParseSbatLevel(b)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		if lvl == nil {
			if err == nil {
				t.Fatal("no level and no error")
			}
			return
		}
		if lvl.Version == "" || !strings.Contains(string(b), lvl.Version) {
			t.Fatalf("version %q", lvl.Version)
		}
		for _, c := range lvl.Components {
			if c.Name == "" || c.Generation < 0 || strings.ContainsAny(c.Name, ",\n\x00") || !strings.Contains(string(b), c.Name) {
				t.Fatalf("component %+v", c)
			}
		}
	})
}
