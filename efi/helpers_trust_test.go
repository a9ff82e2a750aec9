package efi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"
)

// esl builds one EFI_SIGNATURE_LIST of type typ whose signatures are datas,
// each owned by owner; SignatureSize is the largest data's plus 16 and
// shorter datas are padded with zeros.
func esl(typ, owner GUID, datas ...[]byte) []byte {
	size := 0
	for _, d := range datas {
		size = max(size, len(d))
	}
	sigSize := ownerSize + size
	b := make([]byte, signatureListHeader, signatureListHeader+len(datas)*sigSize)
	copy(b, typ[:])
	binary.LittleEndian.PutUint32(b[16:], uint32(signatureListHeader+len(datas)*sigSize))
	binary.LittleEndian.PutUint32(b[24:], uint32(sigSize))
	for _, d := range datas {
		b = append(b, owner[:]...)
		b = append(b, d...)
		b = append(b, make([]byte, size-len(d))...)
	}
	return b
}

// rawList builds a list header with the sizes given and body appended, for
// malformed lists.
func rawList(typ GUID, listSize, headerSize, sigSize uint32, body []byte) []byte {
	b := make([]byte, signatureListHeader, signatureListHeader+len(body))
	copy(b, typ[:])
	binary.LittleEndian.PutUint32(b[16:], listSize)
	binary.LittleEndian.PutUint32(b[20:], headerSize)
	binary.LittleEndian.PutUint32(b[24:], sigSize)
	return append(b, body...)
}

// hashes returns n distinct size-byte hashes.
func hashes(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		h := make([]byte, size)
		binary.BigEndian.PutUint32(h, uint32(i))
		h[size-1] = 0xAA
		out[i] = h
	}
	return out
}

var (
	testOwner      = MustParseGUID("77fa9abd-0359-4d32-bd60-28f4e78f784b")
	testOtherOwner = MustParseGUID("a0baa8a3-041d-48a8-bc87-c36d121b5e3d")
)

// attrOIDs are the attribute types name builds.
var attrOIDs = map[string]asn1.ObjectIdentifier{
	"C": {2, 5, 4, 6}, "ST": {2, 5, 4, 8}, "L": {2, 5, 4, 7}, "O": {2, 5, 4, 10},
	"OU": {2, 5, 4, 11}, "CN": {2, 5, 4, 3},
}

// name builds a DER Name from "TYPE=value" RDNs in the certificate's order
// (the first is the outermost, printed last).
func name(t testing.TB, rdns ...string) []byte {
	t.Helper()
	var seq pkix.RDNSequence
	for _, r := range rdns {
		typ, v, _ := strings.Cut(r, "=")
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: attrOIDs[typ], Value: v}})
	}
	b, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testCA is a certificate and its key, to sign others.
type testCA struct {
	der  []byte
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newCert makes a certificate with the DER subject given, signed by parent
// (self-signed when nil), valid from notBefore for a year.
func newCert(t testing.TB, subject []byte, serial int64, notBefore time.Time, parent *testCA) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		RawSubject:            subject,
		SerialNumber:          big.NewInt(serial),
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(1, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{der: der, cert: c, key: key}
}

// concat joins byte slices.
func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func bigInt(n int64) *big.Int { return big.NewInt(n) }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
