package efi

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestParseSignatureListsMalformed: each broken store decodes what its
// framing still allows, gives one error wrapping ErrMalformed that counts
// the other problems, and never reads past the input.
func TestParseSignatureListsMalformed(t *testing.T) {
	good := esl(CertSHA256, testOwner, hashes(2, 32)...)
	good2 := esl(CertSHA384, testOtherOwner, hashes(1, 48)...)
	for _, tt := range []struct {
		name  string
		in    []byte
		types []GUID // of the lists decoded
		err   string // in the error; "" for none
	}{
		{"empty", nil, nil, ""},
		{"two lists", concat(good, good2), []GUID{CertSHA256, CertSHA384}, ""},
		{"truncated header", concat(good, good2[:27]), []GUID{CertSHA256}, "27 bytes left, want a 28-byte header"},
		{"truncated list", concat(good, good2[:len(good2)-1]), []GUID{CertSHA256}, "runs past the 91 bytes left"},
		{"size past the end", rawList(CertSHA256, 0xFFFFFFFF, 0, 48, hashes(1, 48)[0]), nil, "size 4294967295 runs past"},
		{"size below the header", concat(rawList(CertSHA256, 27, 0, 48, nil), good), nil, "size 27 too small for its 0-byte header"},
		{"header past the size", rawList(CertX509, 28+16, 0xFFFFFFF0, 48, make([]byte, 16)), nil, "too small for its 4294967280-byte header"},
		{"zero signature size", concat(rawList(CertSHA256, 28, 0, 0, nil), good), []GUID{CertSHA256}, "signature size 0 leaves no room"},
		{"owner-only signatures", concat(rawList(CertX509, 28+32, 0, 16, make([]byte, 32)), good), []GUID{CertSHA256}, "signature size 16 leaves no room"},
		{"size does not divide", concat(rawList(CertX509, 28+100, 0, 30, make([]byte, 100)), good), []GUID{CertSHA256}, "signature size 30 does not divide the list's 100 bytes"},
		{"sha256 of sha1 size", concat(rawList(CertSHA256, 28+36, 0, 36, make([]byte, 36)), good), []GUID{CertSHA256}, "signature size 36, want 48"},
		{"x509_sha256 without its time", concat(rawList(CertX509SHA256, 28+48, 0, 48, make([]byte, 48)), good), []GUID{CertSHA256}, "signature size 48, want 64"},
		{"three problems", concat(rawList(CertSHA256, 28, 0, 0, nil), good, rawList(CertSHA256, 28+36, 0, 36, make([]byte, 36)), good2, make([]byte, 5)),
			[]GUID{CertSHA256, CertSHA384}, "signature size 0 leaves no room after the owner GUID: malformed data (and 2 more problems)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := bytes.Clone(tt.in)
			lists, err := ParseSignatureLists(in)
			var types []GUID
			for _, l := range lists {
				types = append(types, l.Type)
				for _, s := range l.Signatures {
					if len(s.Data) != int(signatureDataSize[l.Type]) && signatureDataSize[l.Type] != 0 {
						t.Errorf("%s signature of %d bytes", SignatureTypeName(l.Type), len(s.Data))
					}
				}
			}
			if !slicesEqual(types, tt.types) {
				t.Errorf("lists %v, want %v", types, tt.types)
			}
			if tt.err == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one wrapping ErrMalformed with %q", err, tt.err)
			}
			if !bytes.Equal(in, tt.in) {
				t.Error("the input changed")
			}
		})
	}
}

func slicesEqual(a, b []GUID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestParseSignatureListsAliases: signatures alias the input and cannot be
// appended into their neighbours.
func TestParseSignatureListsAliases(t *testing.T) {
	in := esl(CertSHA256, testOwner, hashes(2, 32)...)
	lists, err := ParseSignatureLists(in)
	if err != nil || len(lists) != 1 || len(lists[0].Signatures) != 2 {
		t.Fatalf("%v, %v", lists, err)
	}
	s := lists[0].Signatures
	if s[0].Owner != testOwner || !bytes.Equal(s[1].Data, hashes(2, 32)[1]) || cap(s[0].Data) != 32 {
		t.Errorf("signatures %+v", s)
	}
	_ = append(s[0].Data, 0xFF)
	if in[28+48] == 0xFF {
		t.Error("appending to a signature wrote over the next")
	}
}

// TestDecodeStoreCounts: every type but X.509 counts as hashes, per type
// and in the order met, lists of one type adding up; certificates keep the
// store's order; a certificate that does not parse is one error and the
// rest still decode; bytes after a certificate's DER are ignored.
func TestDecodeStoreCounts(t *testing.T) {
	nb := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a := newCert(t, name(t, "C=US", "O=Test", "CN=a"), 1, nb, nil)
	b := newCert(t, name(t, "CN=b"), 2, nb, a)
	in := concat(
		esl(CertSHA256, testOwner, hashes(3, 32)...),
		esl(CertX509, testOwner, a.der),
		esl(CertX509SHA256, testOwner, hashes(2, 48)...),
		esl(CertX509, testOtherOwner, append(bytes.Clone(b.der), 0, 0, 0, 0)), // padded
		esl(CertX509, testOwner, []byte("not a certificate")),
		esl(CertSHA256, testOwner, hashes(4, 32)...),
		esl(CertX509SHA512, testOwner, hashes(1, 80)...),
		esl(MustParseGUID("00000000-1111-2222-3333-444444444444"), testOwner, []byte{1}),
	)
	certs, counts, err := DecodeStore(StoreDBX, in)
	if err == nil || !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "more problem") {
		t.Errorf("error %v, want one about the bad certificate", err)
	}
	want := []HashCount{{StoreDBX, "sha256", 7}, {StoreDBX, "x509_sha256", 2}, {StoreDBX, "x509_sha512", 1}, {StoreDBX, "00000000-1111-2222-3333-444444444444", 1}}
	if len(counts) != len(want) {
		t.Fatalf("counts %v, want %v", counts, want)
	}
	for i := range want {
		if counts[i] != want[i] {
			t.Errorf("count %d: %v, want %v", i, counts[i], want[i])
		}
	}
	if len(certs) != 2 {
		t.Fatalf("%d certificates, want 2", len(certs))
	}
	if c := certs[0]; c.Subject != "CN=a,O=Test,C=US" || c.Issuer != c.Subject || c.Serial != "01" || !c.NotBefore.Equal(nb) || c.NotBefore.Location() != time.UTC || c.Owner != testOwner || c.Store != StoreDBX {
		t.Errorf("first certificate %+v", c)
	}
	if c := certs[1]; c.Subject != "CN=b" || c.Issuer != "CN=a,O=Test,C=US" || c.SHA256 != sha256Hex(b.der) || c.Owner != testOtherOwner {
		t.Errorf("padded certificate %+v, want the fingerprint of its DER %s", c, sha256Hex(b.der))
	}
}

func TestSerialString(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "00"}, {1, "01"}, {255, "FF"}, {256, "0100"}, {-1, "-01"}, {0x1234567, "01234567"}} {
		if got := serialString(bigInt(tt.n)); got != tt.want {
			t.Errorf("serial %d: %s, want %s", tt.n, got, tt.want)
		}
	}
}
