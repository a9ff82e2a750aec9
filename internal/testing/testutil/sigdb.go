package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// SelfSignedCA returns the DER of a fresh self-signed CA certificate with
// subject, valid from notBefore to notAfter. A test stands it in for a
// real CA whose subject is what a decoder identifies it by; it is not that
// CA (its fingerprint differs).
func SelfSignedCA(tb testing.TB, subject pkix.Name, notBefore, notAfter time.Time) []byte {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
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
// signature databases have) and then data.
func WriteEFIVariable(tb testing.TB, sys, name, vendor string, data []byte) {
	tb.Helper()
	dir := filepath.Join(sys, "firmware", "efi", "efivars")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	const attrs = 0x1 | 0x2 | 0x4 | 0x20
	buf := binary.LittleEndian.AppendUint32(nil, attrs)
	if err := os.WriteFile(filepath.Join(dir, name+"-"+vendor), append(buf, data...), 0o644); err != nil {
		tb.Fatal(err)
	}
}
