package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StandInCA returns the DER of a fresh CA certificate whose subject and
// issuer are the distinguished names subject and issuer, written as
// openssl -nameopt RFC2253 prints them ("CN=Microsoft UEFI CA
// 2023,O=Microsoft Corporation,C=US"; CN, OU, O, L, ST and C, no escapes),
// valid from notBefore to notAfter, signed by a throwaway key. A test
// stands it in for a real CA, which a decoder identifies by subject and
// issuer when it lacks its fingerprint; it is not that CA (its fingerprint
// differs).
func StandInCA(tb testing.TB, subject, issuer string, notBefore, notAfter time.Time) []byte {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		RawSubject:            rawDN(tb, subject),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	parent := &x509.Certificate{RawSubject: rawDN(tb, issuer), PublicKey: &key.PublicKey}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// rawDN encodes an RFC 2253 string (most significant attribute last) as
// the DER of its RDNSequence.
func rawDN(tb testing.TB, dn string) []byte {
	tb.Helper()
	oids := map[string]asn1.ObjectIdentifier{
		"CN": {2, 5, 4, 3}, "OU": {2, 5, 4, 11}, "O": {2, 5, 4, 10},
		"L": {2, 5, 4, 7}, "ST": {2, 5, 4, 8}, "C": {2, 5, 4, 6},
	}
	var seq pkix.RDNSequence
	for _, part := range strings.Split(dn, ",") {
		k, v, ok := strings.Cut(part, "=")
		oid, known := oids[k]
		if !ok || !known {
			tb.Fatalf("testutil: %q: attribute %q is not one of CN, OU, O, L, ST, C", dn, part)
		}
		seq = append(pkix.RDNSequence{{{Type: oid, Value: v}}}, seq...)
	}
	b, err := asn1.Marshal(seq)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// X509SignatureList returns one EFI_SIGNATURE_LIST (UEFI 2.10 section
// 32.4.1) of type EFI_CERT_X509_GUID holding cert, owned by owner: a
// 28-byte header (type, list size, header size 0, signature size), then
// one EFI_SIGNATURE_DATA (owner GUID and the DER).
//
// owner is in the GUID's in-memory byte order (efi.GUID); this package
// cannot import efi, whose tests import it.
func X509SignatureList(owner [16]byte, cert []byte) []byte {
	// EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072 in memory:
	// the first three fields little-endian.
	certX509 := []byte{0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72}
	sigSize := 16 + len(cert)
	out := make([]byte, 28, 28+sigSize)
	copy(out[0:16], certX509)
	binary.LittleEndian.PutUint32(out[16:20], uint32(28+sigSize))
	binary.LittleEndian.PutUint32(out[20:24], 0)
	binary.LittleEndian.PutUint32(out[24:28], uint32(sigSize))
	out = append(out, owner[:]...)
	return append(out, cert...)
}

// WriteEFIVariable writes an efivarfs file NAME-VENDOR (vendor in the
// registry format, 8be4df61-93ca-11d2-aa0d-00e098032b8c) below sysfs root
// sys, as the kernel shows it: the 4-byte attributes (non-volatile,
// boot-service and runtime access, time-based authenticated write, as the
// signature databases have) and then data. The file is written aside, in
// the directory above efivars, and renamed into place, so that an agent
// reading the variables meanwhile sees the old content or the new, never a
// file cut short or empty.
func WriteEFIVariable(tb testing.TB, sys, name, vendor string, data []byte) {
	tb.Helper()
	dir := filepath.Join(sys, "firmware", "efi", "efivars")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	const attrs = 0x1 | 0x2 | 0x4 | 0x20
	buf := binary.LittleEndian.AppendUint32(nil, attrs)
	f, err := os.CreateTemp(filepath.Dir(dir), "."+name+"-*.tmp")
	if err != nil {
		tb.Fatal(err)
	}
	_, err = f.Write(append(buf, data...))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name+"-"+vendor))
	}
	if err != nil {
		_ = os.Remove(f.Name())
		tb.Fatal(err)
	}
}
