package efi

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/ovmfvars"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// ovmfMSVars is Debian's variable store enrolled with Microsoft's keys
// (package ovmf, which scripts/lab-setup installs).
const ovmfMSVars = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"

// readVarStore returns the live variables' values of the edk2 variable
// store at path, by name.
func readVarStore(tb testing.TB, path string) map[string][]byte {
	tb.Helper()
	m := map[string][]byte{}
	for n, v := range ovmfvars.Read(tb, path) {
		m[n] = v.Data
	}
	return m
}

// opensslCert is what openssl says of one DER certificate, in
// Certificate's terms.
func opensslCert(t testing.TB, der []byte) Certificate {
	t.Helper()
	out := string(testutil.Run(t, string(der), "openssl", "x509", "-inform", "der", "-noout",
		"-nameopt", "RFC2253,-esc_msb", "-subject", "-issuer", "-serial", "-startdate", "-enddate", "-fingerprint", "-sha256"))
	var c Certificate
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "subject":
			c.Subject = v
		case "issuer":
			c.Issuer = v
		case "serial":
			c.Serial = v
		case "notBefore", "notAfter":
			tm, err := time.Parse("Jan _2 15:04:05 2006 MST", v)
			if err != nil {
				t.Fatal(err)
			}
			if k == "notBefore" {
				c.NotBefore = tm.UTC()
			} else {
				c.NotAfter = tm.UTC()
			}
		case "sha256 Fingerprint":
			c.SHA256 = strings.ToLower(strings.ReplaceAll(v, ":", ""))
		}
	}
	return c
}

// TestDecodeStoreOVMFOracle decodes PK, KEK, db and dbx of Debian's
// Microsoft-enrolled OVMF variable store and checks every certificate and
// hash count against efitools' sig-list-to-certs (which splits a store into
// DER files and hash files) and openssl's reading of each DER; the known
// CAs are the three 2011 ones, by fingerprint, with no 2023 one.
func TestDecodeStoreOVMFOracle(t *testing.T) {
	siglist := testutil.Tool(t, "sig-list-to-certs", "efitools")
	testutil.Tool(t, "openssl", "openssl")
	vars := readVarStore(t, ovmfMSVars)
	dir := t.TempDir()
	var all []Certificate
	for _, store := range []string{StorePK, StoreKEK, StoreDB, StoreDBX} {
		value := vars[store]
		if len(value) == 0 {
			t.Fatalf("%s: no %s", ovmfMSVars, store)
		}
		certs, counts, err := DecodeStore(store, value)
		if err != nil {
			t.Fatalf("%s: %v", store, err)
		}
		all = append(all, certs...)
		in := filepath.Join(dir, store+".esl")
		if err := os.WriteFile(in, value, 0o644); err != nil {
			t.Fatal(err)
		}
		prefix := filepath.Join(dir, store)
		if out, err := exec.Command(siglist, in, prefix).CombinedOutput(); err != nil {
			t.Fatalf("sig-list-to-certs %s: %v\n%s", store, err, out)
		}
		ders, _ := filepath.Glob(prefix + "-*.der")
		hashFiles, _ := filepath.Glob(prefix + "-*.hash")
		if len(ders) != len(certs) {
			t.Errorf("%s: %d certificates, sig-list-to-certs finds %d", store, len(certs), len(ders))
		}
		n := 0
		for _, h := range counts {
			n += h.Count
		}
		if n != len(hashFiles) {
			t.Errorf("%s: %d hashes (%v), sig-list-to-certs finds %d", store, n, counts, len(hashFiles))
		}
		for i, c := range certs {
			der, err := os.ReadFile(fmt.Sprintf("%s-%d.der", prefix, i))
			if err != nil {
				t.Fatal(err)
			}
			want := opensslCert(t, der)
			got := c
			if !strings.Contains(want.Subject, "CN="+got.SubjectCN) || !strings.Contains(want.Issuer, "CN="+got.IssuerCN) {
				t.Errorf("%s certificate %d: common names %q, %q; openssl: %s, %s", store, i, got.SubjectCN, got.IssuerCN, want.Subject, want.Issuer)
			}
			got.Store, got.Owner, got.KnownCA, got.KnownCAMatch, got.SubjectCN, got.IssuerCN = "", GUID{}, "", "", "", ""
			if got != want {
				t.Errorf("%s certificate %d:\n got %+v\nwant %+v", store, i, got, want)
			}
			t.Logf("%s: %s (%s, until %s) known %q by %s", store, c.Subject, c.Serial, c.NotAfter.Format(time.DateOnly), c.KnownCA, c.KnownCAMatch)
		}
	}
	present := map[string]string{}
	for _, p := range knownCAPresence(all) {
		if p.Present {
			present[p.Store+" "+p.CA] = p.Match
		}
	}
	want := map[string]string{
		"KEK Microsoft Corporation KEK CA 2011":    MatchFingerprint,
		"db Microsoft Corporation UEFI CA 2011":    MatchFingerprint,
		"db Microsoft Windows Production PCA 2011": MatchFingerprint,
	}
	if fmt.Sprint(present) != fmt.Sprint(want) {
		t.Errorf("known CAs present %v, want %v", present, want)
	}
}

// TestFormatNameOracle makes certificates with openssl whose subjects go
// beyond the usual C,ST,L,O,CN (other orders, multi-valued RDNs, types
// crypto/x509 does not name, characters to escape, UTF-8, a control
// character) and checks that Certificate prints them as openssl -nameopt
// RFC2253,-esc_msb does.
func TestFormatNameOracle(t *testing.T) {
	testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	testutil.Run(t, "", "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
	for i, subj := range []string{
		"/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation/CN=Microsoft UEFI CA 2023",
		"/CN=Zürich Ünïcödé/O=日本",
		"/DC=org/DC=example/CN=admin/emailAddress=a@example.org",
		"/CN=a+UID=jdoe/O=multi",
		"/CN= leading space/O=#hash/OU=trailing space /title=Dr/serialNumber=123/street=Main St/postalCode=12345",
		"/O=Foo\\, Inc./OU=a\\+b/CN=q \"x\" <y>;z\\\\w",
		"/CN=tab\there/GN=Given/SN=Sur/initials=GS/pseudonym=p/dnQualifier=q/generationQualifier=III/description=d/businessCategory=b",
		"/CN=x/jurisdictionC=US/jurisdictionST=WA/jurisdictionL=Redmond/organizationIdentifier=VATDE-123",
	} {
		der := filepath.Join(dir, fmt.Sprintf("%d.der", i))
		testutil.Run(t, "", "openssl", "req", "-new", "-x509", "-key", key, "-days", "1", "-utf8", "-multivalue-rdn",
			"-subj", subj, "-outform", "der", "-out", der)
		b, err := os.ReadFile(der)
		if err != nil {
			t.Fatal(err)
		}
		want := opensslCert(t, b)
		certs, _, err := DecodeStore(StoreDB, esl(CertX509, testOwner, b))
		if err != nil || len(certs) != 1 {
			t.Fatalf("%s: %v", subj, err)
		}
		if certs[0].Subject != want.Subject || certs[0].Issuer != want.Issuer {
			t.Errorf("%s:\n got %q\nwant %q", subj, certs[0].Subject, want.Subject)
		}
		if bytes.Contains([]byte(want.Subject), []byte("\\")) {
			t.Logf("escaped: %s", want.Subject)
		}
	}
}
