package efi

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	iofs "io/fs"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Signature database stores, as Trust names them.
const (
	StorePK       = "PK"
	StoreKEK      = "KEK"
	StoreDB       = "db"
	StoreDBX      = "dbx"
	StoreMokList  = "MokList"
	StoreMokListX = "MokListX"
)

// Certificate is one X.509 certificate of a signature database.
type Certificate struct {
	Store   string `json:"store"`
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	// Serial is upper-case hex, as openssl x509 -serial prints it.
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// SHA256 is the fingerprint: lower-case hex of the DER's SHA-256.
	SHA256 string `json:"sha256"`
	Owner  GUID   `json:"owner"`
	// KnownCA names the certificate when it is one of KnownCAs, and
	// KnownCAMatch says how it was recognized: MatchFingerprint (it is the
	// certificate Microsoft publishes) or MatchSubject (same subject and
	// issuer, another certificate: see KnownCAs).
	KnownCA      string `json:"known_ca,omitempty"`
	KnownCAMatch string `json:"known_ca_match,omitempty"`
	// SubjectCN and IssuerCN are the names' common names, for a short
	// view (mokutil's); not in the JSON, which has the whole names.
	SubjectCN string `json:"-"`
	IssuerCN  string `json:"-"`
}

// HashCount counts the hashes of one type in one store.
type HashCount struct {
	Store string `json:"store"`
	// Type is the signature type's short name: sha256, sha384, sha512,
	// x509_sha256, ... (see SignatureTypeName).
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// Trust is what the Secure Boot signature databases hold.
type Trust struct {
	Certificates []Certificate `json:"certificates"`
	Hashes       []HashCount   `json:"hashes"`
	// KnownCAs says, for each of KnownCAs, whether its home store and
	// dbx hold it.
	KnownCAs []KnownCAPresence `json:"known_cas"`
	// SbatLevel is shim's SbatLevelRT, nil without shim.
	SbatLevel *SbatLevel `json:"sbat_level,omitempty"`
	// MokValidation is "enabled", "disabled" (MokSBStateRT says shim
	// does not verify), or "" without shim.
	MokValidation string `json:"mok_validation,omitempty"`
	// Errors maps a store or variable to what went wrong decoding it; the
	// valid part of a store is still reported.
	Errors FieldErrors `json:"errors,omitempty"`
}

// KnownCAPresence says whether a store holds a known CA.
type KnownCAPresence struct {
	Store   string `json:"store"`
	CA      string `json:"ca"`
	Present bool   `json:"present"`
	// Match is how the best of the store's certificates for the CA was
	// recognized (MatchFingerprint over MatchSubject); "" when absent.
	Match string `json:"match,omitempty"`
}

// SbatLevel is shim's SBAT revocation level (SbatLevelRT): the minimum
// generation of each component it still accepts.
type SbatLevel struct {
	// Version and Date are the first record's: "sbat,1,2023012900".
	Version    string          `json:"version"`
	Date       string          `json:"date"`
	Components []SbatComponent `json:"components"`
}

// SbatComponent is one component of SbatLevel.
type SbatComponent struct {
	Name       string `json:"name"`
	Generation int    `json:"generation"`
}

var signatureTypeNames = map[GUID]string{
	CertX509:          "x509",
	CertSHA1:          "sha1",
	CertSHA224:        "sha224",
	CertSHA256:        "sha256",
	CertSHA384:        "sha384",
	CertSHA512:        "sha512",
	CertRSA2048:       "rsa2048",
	CertRSA2048SHA1:   "rsa2048_sha1",
	CertRSA2048SHA256: "rsa2048_sha256",
	CertX509SHA256:    "x509_sha256",
	CertX509SHA384:    "x509_sha384",
	CertX509SHA512:    "x509_sha512",
}

// SignatureTypeName is the short name of a signature type: sha256, x509,
// x509_sha384, ..., or the GUID's text for a type this package does not
// know.
func SignatureTypeName(t GUID) string {
	if n, ok := signatureTypeNames[t]; ok {
		return n
	}
	return t.String()
}

// DecodeStore decodes one store's value: its certificates (with store set)
// and its hash counts, in the order of the store. Hashes are every
// signature type but X.509 certificates, the cert-hash types
// (x509_sha256, ...) included, counted per type. A malformed list, or a
// certificate that does not parse, gives one error for the store (the
// first problem, the others counted; it wraps ErrMalformed); what was
// valid is still returned.
func DecodeStore(store string, value []byte) ([]Certificate, []HashCount, error) {
	lists, err := ParseSignatureLists(value)
	var errs problems
	errs.merge(err)
	var certs []Certificate
	var hashes []HashCount
	for _, l := range lists {
		if l.Type != CertX509 {
			hashes = countHashes(hashes, store, SignatureTypeName(l.Type), len(l.Signatures))
			continue
		}
		for _, s := range l.Signatures {
			cert, err := decodeCertificate(store, s)
			if err != nil {
				errs.add(fmt.Errorf("efi: %s: certificate owned by %s: %w: %w", store, s.Owner, ErrMalformed, err))
				continue
			}
			certs = append(certs, cert)
		}
	}
	return certs, hashes, errs.err()
}

// countHashes adds n hashes of type typ in store to the counts.
func countHashes(hashes []HashCount, store, typ string, n int) []HashCount {
	for i := range hashes {
		if hashes[i].Store == store && hashes[i].Type == typ {
			hashes[i].Count += n
			return hashes
		}
	}
	return append(hashes, HashCount{Store: store, Type: typ, Count: n})
}

// decodeCertificate decodes one X.509 signature. Bytes after the DER
// certificate (padding some tools leave in SignatureSize) are ignored, as
// OpenSSL's d2i_X509 (mokutil, sig-list-to-certs) ignores them; the
// fingerprint is the certificate's alone.
func decodeCertificate(store string, s SignatureData) (Certificate, error) {
	der := s.Data
	if n, ok := derLength(der); ok && n < len(der) {
		der = der[:n]
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Certificate{}, err
	}
	sum := sha256.Sum256(der)
	cert := Certificate{
		Store:     store,
		Subject:   nameString(c.RawSubject, c.Subject.String()),
		Issuer:    nameString(c.RawIssuer, c.Issuer.String()),
		SubjectCN: c.Subject.CommonName,
		IssuerCN:  c.Issuer.CommonName,
		Serial:    serialString(c.SerialNumber),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		SHA256:    hex.EncodeToString(sum[:]),
		Owner:     s.Owner,
	}
	cert.KnownCA, cert.KnownCAMatch = identifyCA(&cert)
	return cert, nil
}

// nameString is formatName's text of a DER name, or Go's when it fails
// (crypto/x509 decoded the same bytes, so it does not).
func nameString(der []byte, fallback string) string {
	if s, err := formatName(der); err == nil {
		return s
	}
	return fallback
}

// serialString prints a serial number as openssl x509 -serial does: the
// big-endian bytes of its magnitude in upper-case hex, "00" for zero, a
// minus sign before a negative one (which crypto/x509 refuses anyway).
func serialString(n *big.Int) string {
	if n.Sign() == 0 {
		return "00"
	}
	s := strings.ToUpper(hex.EncodeToString(new(big.Int).Abs(n).Bytes()))
	if n.Sign() < 0 {
		return "-" + s
	}
	return s
}

// derLength returns the length of the DER element b starts with (its
// header and contents), when b holds at least that much.
func derLength(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	l, hdr := int(b[1]), 2
	if l >= 0x80 {
		k := l & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, false
		}
		l = 0
		for _, c := range b[2 : 2+k] {
			l = l<<8 | int(c)
		}
		hdr += k
	}
	if l > len(b)-hdr {
		return 0, false
	}
	return hdr + l, true
}

// trustVariables are the variables Trust reads, in report order.
var trustVariables = []struct {
	store, name string
	vendor      GUID
}{
	{StorePK, "PK", GlobalVariable},
	{StoreKEK, "KEK", GlobalVariable},
	{StoreDB, "db", ImageSecurityDatabase},
	{StoreDBX, "dbx", ImageSecurityDatabase},
	{StoreMokList, "MokListRT", ShimLock},
	{StoreMokListX, "MokListXRT", ShimLock},
}

// maxMokListParts bounds the parts of a MOK list Trust reads. shim mirrors
// a MOK list too large for one runtime variable into MokListRT, MokListRT1,
// MokListRT2, ... (the same for MokListXRT), each whole signature lists.
const maxMokListParts = 16

// Trust reads the Secure Boot signature databases and shim's MOK state from
// efivarfs. A variable that is absent is left out; one that cannot be read
// or decoded has one entry in Errors (keyed by store, or by the variable's
// name for shim's state variables) and never hides the others. The error
// is non-nil only when firmware/efi itself cannot be examined; a machine
// without UEFI gives an empty Trust.
func (fs FS) Trust() (*Trust, error) {
	t := &Trust{Certificates: []Certificate{}, Hashes: []HashCount{}, KnownCAs: []KnownCAPresence{}}
	mode, err := fs.Mode()
	if err != nil {
		return nil, err
	}
	if mode != ModeUEFI {
		return t, nil
	}
	// One listing says which variables exist; only those are read (the
	// kernel limits unprivileged efivarfs reads to 100 a second). Without
	// it nothing is known: no store, and no CA reported absent.
	ents, err := fs.sys.ReadDir(efivarsDir)
	if err == nil && len(ents) == 0 {
		err = fmt.Errorf("%s is empty: %w", fs.sys.Path(efivarsDir), ErrEfivarfsNotMounted)
	}
	if err != nil {
		t.Errors.Add("efivars", fmt.Errorf("efi: %w", err))
		return t, nil
	}
	present := make(map[string]bool, len(ents))
	for _, e := range ents {
		present[e.Name()] = true
	}
	read := func(name string, vendor GUID) ([]byte, error) {
		if !present[VariableFile(name, vendor)] {
			return nil, iofs.ErrNotExist
		}
		_, value, err := fs.ReadVariable(name, vendor)
		return value, err
	}
	shim := false // any of shim's variables exists
	for _, v := range trustVariables {
		var errs problems
		parts := 1
		if v.vendor == ShimLock {
			parts = maxMokListParts
		}
		for i := range parts {
			name := v.name
			if i > 0 {
				name += strconv.Itoa(i)
			}
			value, err := read(name, v.vendor)
			if errors.Is(err, iofs.ErrNotExist) {
				break
			}
			shim = shim || v.vendor == ShimLock
			if err != nil {
				errs.add(err)
				continue
			}
			certs, hashes, err := DecodeStore(v.store, value)
			errs.merge(err)
			t.Certificates = append(t.Certificates, certs...)
			for _, h := range hashes {
				t.Hashes = countHashes(t.Hashes, h.Store, h.Type, h.Count)
			}
		}
		if err := errs.err(); err != nil {
			t.Errors.Add(v.store, err)
		}
	}
	t.KnownCAs = knownCAPresence(t.Certificates)
	v, err := read("SbatLevelRT", ShimLock)
	switch {
	case err == nil:
		shim = true
		lvl, err := ParseSbatLevel(v)
		if err != nil {
			t.Errors.Add("SbatLevelRT", err)
		}
		t.SbatLevel = lvl
	case !errors.Is(err, iofs.ErrNotExist):
		shim = true
		t.Errors.Add("SbatLevelRT", err)
	}
	// shim creates MokSBStateRT (one byte, 1) only when a person turned
	// its validation off with mokutil --disable-validation; without it,
	// shim validates.
	v, err = read("MokSBStateRT", ShimLock)
	switch {
	case err == nil && len(v) == 1 && v[0] == 1:
		t.MokValidation = "disabled"
	case err == nil && len(v) == 1 && v[0] == 0:
		t.MokValidation = "enabled"
	case err == nil:
		t.Errors.Add("MokSBStateRT", fmt.Errorf("efi: MokSBStateRT holds %d bytes, want one byte 0 or 1: %w", len(v), ErrMalformed))
	case !errors.Is(err, iofs.ErrNotExist):
		t.Errors.Add("MokSBStateRT", err)
	case shim:
		t.MokValidation = "enabled"
	}
	return t, nil
}
