package efi

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	iofs "io/fs"
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
	// KnownCA names the certificate when it is one of KnownCAs.
	KnownCA string `json:"known_ca,omitempty"`
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
// and its hash counts. A malformed list or a certificate that does not
// parse gives an error; what was valid is still returned.
func DecodeStore(store string, value []byte) ([]Certificate, []HashCount, error) {
	lists, err := ParseSignatureLists(value)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	var certs []Certificate
	var hashes []HashCount
	counts := map[string]int{}
	for _, l := range lists {
		if l.Type != CertX509 {
			name := SignatureTypeName(l.Type)
			if _, ok := counts[name]; !ok {
				hashes = append(hashes, HashCount{Store: store, Type: name})
			}
			counts[name] += len(l.Signatures)
			continue
		}
		for _, s := range l.Signatures {
			c, err := x509.ParseCertificate(s.Data)
			if err != nil {
				errs = append(errs, fmt.Errorf("efi: %s: certificate owned by %s: %w: %w", store, s.Owner, ErrMalformed, err))
				continue
			}
			sum := sha256.Sum256(s.Data)
			cert := Certificate{
				Store:     store,
				Subject:   c.Subject.String(),
				Issuer:    c.Issuer.String(),
				Serial:    strings.ToUpper(hex.EncodeToString(c.SerialNumber.Bytes())),
				NotBefore: c.NotBefore.UTC(),
				NotAfter:  c.NotAfter.UTC(),
				SHA256:    hex.EncodeToString(sum[:]),
				Owner:     s.Owner,
			}
			cert.KnownCA = identifyCA(&cert, c)
			certs = append(certs, cert)
		}
	}
	for i := range hashes {
		hashes[i].Count = counts[hashes[i].Type]
	}
	return certs, hashes, errors.Join(errs...)
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

// Trust reads the Secure Boot signature databases and shim's MOK state from
// efivarfs. A variable that is absent is left out; one that cannot be read
// or decoded has an entry in Errors (keyed by store, or by the variable's
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
	read := func(field, name string, vendor GUID) ([]byte, bool) {
		_, v, err := fs.ReadVariable(name, vendor)
		if err != nil {
			if !errors.Is(err, iofs.ErrNotExist) {
				t.Errors.add(field, err)
			}
			return nil, false
		}
		return v, true
	}
	shim := false // any of shim's variables exists
	for _, v := range trustVariables {
		value, ok := read(v.store, v.name, v.vendor)
		if !ok {
			continue
		}
		shim = shim || v.vendor == ShimLock
		certs, hashes, err := DecodeStore(v.store, value)
		if err != nil {
			t.Errors.add(v.store, err)
		}
		t.Certificates = append(t.Certificates, certs...)
		t.Hashes = append(t.Hashes, hashes...)
	}
	t.KnownCAs = knownCAPresence(t.Certificates)
	if v, ok := read("SbatLevelRT", "SbatLevelRT", ShimLock); ok {
		shim = true
		lvl, err := ParseSbatLevel(v)
		if err != nil {
			t.Errors.add("SbatLevelRT", err)
		}
		t.SbatLevel = lvl
	}
	// shim creates MokSBStateRT (one byte, 1) only when a person turned
	// its validation off with mokutil --disable-validation.
	if v, ok := read("MokSBStateRT", "MokSBStateRT", ShimLock); ok {
		shim = true
		switch {
		case len(v) == 1 && v[0] == 1:
			t.MokValidation = "disabled"
		case len(v) == 1 && v[0] == 0:
			t.MokValidation = "enabled"
		default:
			t.Errors.add("MokSBStateRT", fmt.Errorf("efi: MokSBStateRT holds %d bytes, want one byte 0 or 1: %w", len(v), ErrMalformed))
		}
	} else if shim {
		t.MokValidation = "enabled"
	}
	return t, nil
}
