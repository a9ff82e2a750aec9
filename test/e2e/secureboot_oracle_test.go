package e2e

// The oracle of the Secure Boot lab: efitools and openssl read a guest's
// signature databases independently of bootinfo's efi package.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// sbStores are the signature databases the oracle reads: the store name as
// bootinfo reports it, and its efivarfs file (name-vendor GUID; UEFI 2.10
// sections 3.3 and 32.6.1).
var sbStores = []struct{ store, file string }{
	{"PK", "PK-" + efiGlobal},
	{"KEK", "KEK-" + efiGlobal},
	{"db", "db-" + imageSecurityDatabase},
	{"dbx", "dbx-" + imageSecurityDatabase},
}

// imageSecurityDatabase is EFI_IMAGE_SECURITY_DATABASE_GUID, the vendor of
// db and dbx.
const imageSecurityDatabase = "d719b2cb-3d3a-4596-a3bc-dad00e67656f"

// sbTools are the oracle's programs.
type sbTools struct {
	openssl, sigListToCerts, efiReadvar string
}

func secureBootTools(t *testing.T) sbTools {
	t.Helper()
	return sbTools{
		openssl:        testutil.Tool(t, "openssl", "openssl"),
		sigListToCerts: testutil.Tool(t, "sig-list-to-certs", "efitools"),
		efiReadvar:     testutil.Tool(t, "efi-readvar", "efitools"),
	}
}

// oracleCert is one certificate as efitools and openssl read it, in the
// fields and formats of bootinfo's JSON.
type oracleCert struct {
	Store, Subject, Issuer, Serial string
	NotBefore, NotAfter            time.Time
	SHA256, Owner                  string
}

// oracleHashes is one store's count of one hash type.
type oracleHashes struct {
	Store, Type string
	Count       int
}

var sigListFileRE = regexp.MustCompile(`(?m)^file (\S+): Guid ([0-9a-f-]{36})$`)

// oracleCertificates runs sig-list-to-certs on each store's value (the
// efivarfs file without its 4 attribute bytes) and openssl x509 on every
// DER certificate it writes, in the order the variable holds them.
func oracleCertificates(t *testing.T, tools sbTools, vars map[string][]byte) []oracleCert {
	t.Helper()
	dir := t.TempDir()
	var out []oracleCert
	for _, s := range sbStores {
		v, ok := vars[s.file]
		if !ok {
			continue
		}
		if len(v) < 4 {
			t.Fatalf("%s: %d bytes, not even the attributes", s.file, len(v))
		}
		esl := filepath.Join(dir, s.store+".esl")
		if err := os.WriteFile(esl, v[4:], 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tools.sigListToCerts, s.store+".esl", s.store)
		cmd.Dir = dir
		printed, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sig-list-to-certs %s: %v\n%s", s.store, err, printed)
		}
		for _, m := range sigListFileRE.FindAllStringSubmatch(string(printed), -1) {
			if !strings.HasSuffix(m[1], ".der") {
				continue // a hash; efi-readvar counts those
			}
			der, err := os.ReadFile(filepath.Join(dir, m[1]))
			if err != nil {
				t.Fatal(err)
			}
			c := opensslX509(t, tools.openssl, der)
			c.Store, c.Owner = s.store, m[2]
			out = append(out, c)
		}
	}
	return out
}

// opensslX509 reads one DER certificate with openssl x509: names in RFC 2253
// form (most significant RDN last, as Go's pkix.Name.String writes them),
// the serial in upper-case hex, dates in UTC, the SHA-256 fingerprint.
func opensslX509(t *testing.T, openssl string, der []byte) oracleCert {
	t.Helper()
	cmd := exec.Command(openssl, "x509", "-inform", "der", "-noout", "-subject", "-issuer", "-serial",
		"-startdate", "-enddate", "-fingerprint", "-sha256", "-nameopt", "RFC2253")
	cmd.Stdin = bytes.NewReader(der)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, stderr.Bytes())
	}
	f := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("openssl x509 printed %q", line)
		}
		f[k] = v
	}
	date := func(k string) time.Time {
		// openssl's ASN1_TIME_print: "Jun 24 20:41:29 2011 GMT".
		d, err := time.Parse("Jan _2 15:04:05 2006 MST", f[k])
		if err != nil {
			t.Fatalf("openssl %s: %v", k, err)
		}
		return d.UTC()
	}
	c := oracleCert{
		Subject:   f["subject"],
		Issuer:    f["issuer"],
		Serial:    f["serial"],
		NotBefore: date("notBefore"),
		NotAfter:  date("notAfter"),
		SHA256:    strings.ToLower(strings.ReplaceAll(f["sha256 Fingerprint"], ":", "")),
	}
	if c.Subject == "" || c.Issuer == "" || c.Serial == "" || len(c.SHA256) != 64 {
		t.Fatalf("openssl x509 printed:\n%s", out)
	}
	return c
}

var (
	readvarListRE = regexp.MustCompile(`^(\w+): List \d+, type (\S+)$`)
	readvarSigRE  = regexp.MustCompile(`^    Signature \d+, size \d+, owner ([0-9a-f-]{36})$`)
)

// efiReadvarTypes names efi-readvar's signature types as bootinfo does.
var efiReadvarTypes = map[string]string{"SHA256": "sha256", "RSA2048": "rsa2048"}

// oracleSignatures runs efi-readvar over the captured variables and counts
// the signatures of each store by type: the hashes, and the X.509
// certificates' owners in order (to check sig-list-to-certs' reading).
//
// efitools 1.9.2's efi-readvar reads no file: it finds efivarfs by running
// `mount -l` and taking the directory of the line "... on DIR type
// efivarfs", then reads DIR/NAME-GUID, 4 attribute bytes and the value, as
// the kernel presents them. A `mount` first in its PATH that names the
// directory holding the captured files points it there.
func oracleSignatures(t *testing.T, tools sbTools, vars map[string][]byte) (hashes []oracleHashes, certOwners []string) {
	t.Helper()
	dir := t.TempDir()
	efivars, bin := filepath.Join(dir, "efivars"), filepath.Join(dir, "bin")
	files := map[string][]byte{}
	for _, s := range sbStores {
		if v, ok := vars[s.file]; ok {
			files[s.file] = v
		}
	}
	if err := os.MkdirAll(efivars, 0o755); err != nil {
		t.Fatal(err)
	}
	mount := fmt.Sprintf("#!/bin/sh\necho 'efivarfs on %s type efivarfs (rw,nosuid,nodev,noexec,relatime)'\n", efivars)
	for n, v := range files {
		if err := os.WriteFile(filepath.Join(efivars, n), v, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "mount"), []byte(mount), 0o755); err != nil {
		t.Fatal(err)
	}
	counts := map[[2]string]int{}
	for _, s := range sbStores {
		if _, ok := files[s.file]; !ok {
			continue
		}
		cmd := exec.Command(tools.efiReadvar, "-v", s.store)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("efi-readvar -v %s: %v\n%s", s.store, err, out)
		}
		if !bytes.Contains(out, []byte("Variable "+s.store+", length "+fmt.Sprint(len(files[s.file])-4)+"\n")) {
			t.Fatalf("efi-readvar -v %s did not read the captured variable:\n%s", s.store, out)
		}
		typ := ""
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if m := readvarListRE.FindStringSubmatch(sc.Text()); m != nil {
				if m[1] != s.store {
					t.Fatalf("efi-readvar -v %s printed a list of %s", s.store, m[1])
				}
				typ = m[2]
				continue
			}
			m := readvarSigRE.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			if typ == "X509" {
				certOwners = append(certOwners, s.store+" "+m[1])
				continue
			}
			name, ok := efiReadvarTypes[typ]
			if !ok {
				t.Fatalf("efi-readvar -v %s: signature type %q has no name here", s.store, typ)
			}
			counts[[2]string{s.store, name}]++
		}
	}
	for k, n := range counts {
		hashes = append(hashes, oracleHashes{Store: k[0], Type: k[1], Count: n})
	}
	sortHashes(hashes)
	return hashes, certOwners
}

// asOracleCerts puts bootinfo's certificates in the oracle's terms.
func asOracleCerts(certs []efi.Certificate) []oracleCert {
	var out []oracleCert
	for _, c := range certs {
		out = append(out, oracleCert{Store: c.Store, Subject: c.Subject, Issuer: c.Issuer, Serial: c.Serial,
			NotBefore: c.NotBefore, NotAfter: c.NotAfter, SHA256: c.SHA256, Owner: c.Owner.String()})
	}
	return out
}

// asOracleHashes puts bootinfo's hash counts in the oracle's terms and order.
func asOracleHashes(hashes []efi.HashCount) []oracleHashes {
	var out []oracleHashes
	for _, h := range hashes {
		out = append(out, oracleHashes{Store: h.Store, Type: h.Type, Count: h.Count})
	}
	sortHashes(out)
	return out
}

func sortHashes(h []oracleHashes) {
	sort.Slice(h, func(i, j int) bool {
		if h[i].Store != h[j].Store {
			return h[i].Store < h[j].Store
		}
		return h[i].Type < h[j].Type
	})
}

// TestSecureBootOracleFixture runs the oracle, without booting, on the
// snakeoil variables a lab boot left in testdata and checks it against the
// efi package there: the oracle's own plumbing (sig-list-to-certs' files,
// openssl's fields, efi-readvar pointed at captured files) is exercised on
// every run, -short included.
func TestSecureBootOracleFixture(t *testing.T) {
	tools := secureBootTools(t)
	vars := map[string][]byte{}
	for _, s := range sbStores {
		b, err := os.ReadFile(filepath.Join(secureBootFixture, s.file))
		if err != nil {
			t.Fatal(err)
		}
		vars[s.file] = b
	}
	want := oracleCertificates(t, tools, vars)
	hashes, owners := oracleSignatures(t, tools, vars)
	var got []oracleCert
	var gotHashes []oracleHashes
	var sigListOwners []string
	for _, s := range sbStores {
		_, v, err := efi.ParseVariable(vars[s.file])
		if err != nil {
			t.Fatal(err)
		}
		certs, hc, err := efi.DecodeStore(s.store, v)
		if err != nil {
			t.Errorf("DecodeStore %s: %v", s.store, err)
		}
		got = append(got, asOracleCerts(certs)...)
		gotHashes = append(gotHashes, asOracleHashes(hc)...)
	}
	for _, c := range want {
		sigListOwners = append(sigListOwners, c.Store+" "+c.Owner)
	}
	sortHashes(gotHashes)
	// The snakeoil store: one certificate in each of PK, KEK and db, and
	// one SHA-256 in dbx.
	if len(want) != 3 || len(hashes) != 1 {
		t.Errorf("the oracle read %d certificates and %v", len(want), hashes)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("certificates (-efitools/openssl +bootinfo):\n%s", d)
	}
	if d := cmp.Diff(hashes, gotHashes); d != "" {
		t.Errorf("hash counts (-efi-readvar +bootinfo):\n%s", d)
	}
	if d := cmp.Diff(owners, sigListOwners); d != "" {
		t.Errorf("X.509 owners (-efi-readvar +sig-list-to-certs):\n%s", d)
	}
}
