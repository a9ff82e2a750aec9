package efi_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestDecodeStoreRealPK decodes a real laptop's PK and checks it against
// openssl's reading of the same certificate.
func TestDecodeStoreRealPK(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	b, err := os.ReadFile(testutil.Shared(t, "efivars", "foxboron-go-uefi", "efivars", "PK"))
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := efi.ParseVariable(b)
	if err != nil {
		t.Fatal(err)
	}
	certs, hashes, err := efi.DecodeStore(efi.StorePK, v)
	if err != nil || len(certs) != 1 || len(hashes) != 0 {
		t.Fatalf("DecodeStore = %d certificates, %d hash types, %v; want 1, 0, nil", len(certs), len(hashes), err)
	}
	lists, err := efi.ParseSignatureLists(v)
	if err != nil {
		t.Fatal(err)
	}
	der := lists[0].Signatures[0].Data
	cmd := exec.Command(openssl, "x509", "-inform", "der", "-noout", "-serial", "-fingerprint", "-sha256")
	cmd.Stdin = strings.NewReader(string(der))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := string(out)
	c := certs[0]
	if !strings.Contains(want, "serial="+c.Serial+"\n") {
		t.Errorf("serial %s, openssl says %s", c.Serial, want)
	}
	if fp := strings.ToLower(strings.ReplaceAll(want[strings.Index(want, "Fingerprint=")+len("Fingerprint="):], ":", "")); strings.TrimSpace(fp) != c.SHA256 {
		t.Errorf("sha256 %s, openssl says %s", c.SHA256, fp)
	}
	if c.Owner.String() != "57f220db-186d-4d57-9356-80b0347bc45b" || c.Subject != "CN=Platform Key,C=Platform Key" {
		t.Errorf("owner %s subject %q", c.Owner, c.Subject)
	}
}
