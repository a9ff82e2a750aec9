package efi

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// TestKnownCAsTable: seven CAs, names unique, fingerprints SHA-256 hex,
// subjects naming the CA, homes KEK or db.
func TestKnownCAsTable(t *testing.T) {
	if len(KnownCAs) != 7 {
		t.Fatalf("%d known CAs, want 7", len(KnownCAs))
	}
	seen := map[string]bool{}
	for _, k := range KnownCAs {
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 || strings.ToLower(k.SHA256) != k.SHA256 {
			t.Errorf("%s: fingerprint %q", k.Name, k.SHA256)
		}
		if !strings.HasPrefix(k.Subject, "CN="+k.Name+",O=Microsoft Corporation,") || !strings.Contains(k.Issuer, ",O=Microsoft Corporation,") {
			t.Errorf("%s: subject %q issuer %q", k.Name, k.Subject, k.Issuer)
		}
		if k.Store != StoreKEK && k.Store != StoreDB {
			t.Errorf("%s: store %q", k.Name, k.Store)
		}
		if seen[k.Name] || seen[k.SHA256] || seen[k.Subject] {
			t.Errorf("%s repeated", k.Name)
		}
		seen[k.Name], seen[k.SHA256], seen[k.Subject] = true, true, true
	}
}

// TestKnownCADetection: Debian's OVMF store's real 2011 CAs are recognized
// by fingerprint in their homes, and in dbx as revoked; a certificate made
// with the 2023 UEFI CA's subject and issuer is recognized by subject; one
// with only its common name, or in the wrong store, is not present.
func TestKnownCADetection(t *testing.T) {
	vars := readVarStore(t, ovmfMSVars)
	lists, err := ParseSignatureLists(vars["db"])
	if err != nil || len(lists) != 2 {
		t.Fatalf("OVMF db: %d lists, %v", len(lists), err)
	}
	pca := lists[0].Signatures[0].Data // Windows Production PCA 2011
	nb := time.Date(2023, 6, 13, 0, 0, 0, 0, time.UTC)
	root := newCert(t, name(t, "C=US", "O=Microsoft Corporation", "CN=Microsoft RSA Devices Root CA 2021"), 1, nb, nil)
	lookalike := newCert(t, name(t, "C=US", "O=Microsoft Corporation", "CN=Microsoft UEFI CA 2023"), 2, nb, root)
	selfSigned := newCert(t, name(t, "C=US", "O=Microsoft Corporation", "CN=Microsoft Option ROM UEFI CA 2023"), 3, nb, nil)

	var certs []Certificate
	for _, s := range []struct {
		store string
		value []byte
	}{
		{StoreKEK, concat(vars["KEK"], esl(CertX509, testOwner, lookalike.der))}, // 2023 UEFI CA in the wrong store
		{StoreDB, concat(vars["db"], esl(CertX509, testOwner, lookalike.der), esl(CertX509, testOwner, selfSigned.der))},
		{StoreDBX, concat(vars["dbx"], esl(CertX509, testOwner, pca))},
	} {
		c, _, err := DecodeStore(s.store, s.value)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c...)
	}
	got := map[string]string{}
	for _, p := range knownCAPresence(certs) {
		if p.Present {
			got[p.Store+" "+p.CA] = p.Match
		} else if p.Match != "" {
			t.Errorf("%s %s absent but matched %q", p.Store, p.CA, p.Match)
		}
	}
	want := map[string]string{
		"KEK Microsoft Corporation KEK CA 2011":     MatchFingerprint,
		"db Microsoft Corporation UEFI CA 2011":     MatchFingerprint,
		"db Microsoft Windows Production PCA 2011":  MatchFingerprint,
		"db Microsoft UEFI CA 2023":                 MatchSubject,
		"dbx Microsoft Windows Production PCA 2011": MatchFingerprint,
	}
	if len(got) != len(want) {
		t.Errorf("present %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: match %q, want %q", k, got[k], v)
		}
	}
	for _, c := range certs {
		if c.SHA256 == sha256Hex(selfSigned.der) && c.KnownCA != "" {
			t.Errorf("self-signed look-alike recognized as %s", c.KnownCA)
		}
	}
}

// TestKnownCAPresenceFingerprintWins: with both a look-alike and the real
// certificate in a store, the presence says fingerprint.
func TestKnownCAPresenceFingerprintWins(t *testing.T) {
	k := KnownCAs[4]
	certs := []Certificate{
		{Store: k.Store, KnownCA: k.Name, KnownCAMatch: MatchSubject},
		{Store: k.Store, KnownCA: k.Name, KnownCAMatch: MatchFingerprint},
		{Store: k.Store, KnownCA: k.Name, KnownCAMatch: MatchSubject},
	}
	for _, p := range knownCAPresence(certs) {
		if p.CA == k.Name && p.Store == k.Store && (!p.Present || p.Match != MatchFingerprint) {
			t.Errorf("%+v", p)
		}
	}
}
