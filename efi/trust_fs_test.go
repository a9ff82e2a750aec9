package efi

import (
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// trustTree is a sysfs root whose efivarfs holds the variables given by
// name (Name-GUID; the attribute word is prepended) and 64-bit firmware.
func trustTree(t testing.TB, vars map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{"firmware/efi/fw_platform_size": "64\n"}
	for n, v := range vars {
		files["firmware/efi/efivars/"+n] = string(append([]byte{0x27, 0, 0, 0}, v...))
	}
	testutil.WriteTree(t, root, files)
	return root
}

func gv(n string) string  { return VariableFile(n, GlobalVariable) }
func isd(n string) string { return VariableFile(n, ImageSecurityDatabase) }
func sl(n string) string  { return VariableFile(n, ShimLock) }

// realPK is the foxboron laptop's PK value.
func realPK(t testing.TB) []byte {
	return readValue(t, testutil.Shared(t, "efivars", "foxboron-go-uefi", "efivars"), "PK")
}

// trustVars is a full set: the real PK, built KEK, db and dbx, and shim's
// variables with MokListRT split in two parts.
func trustVars(t testing.TB) (map[string][]byte, map[string]*testCA) {
	nb := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := map[string]*testCA{
		"kek": newCert(t, name(t, "CN=Test KEK"), 10, nb, nil),
		"db":  newCert(t, name(t, "CN=Test db"), 11, nb, nil),
		"mok": newCert(t, name(t, "CN=Test MOK"), 12, nb, nil),
		"mk2": newCert(t, name(t, "CN=Test MOK 2"), 13, nb, nil),
		"mkx": newCert(t, name(t, "CN=Test MOK revoked"), 14, nb, nil),
	}
	return map[string][]byte{
		gv("PK"):               realPK(t),
		gv("KEK"):              esl(CertX509, testOwner, c["kek"].der),
		isd("db"):              concat(esl(CertX509, testOwner, c["db"].der), esl(CertSHA256, testOwner, hashes(2, 32)...)),
		isd("dbx"):             concat(esl(CertSHA256, testOwner, hashes(5, 32)...), esl(CertX509SHA256, testOwner, hashes(1, 48)...)),
		sl("MokListRT"):        concat(esl(CertX509, testOtherOwner, c["mok"].der), esl(CertSHA256, testOwner, hashes(1, 32)...)),
		sl("MokListRT1"):       concat(esl(CertX509, testOtherOwner, c["mk2"].der), esl(CertSHA256, testOwner, hashes(2, 32)...)),
		sl("MokListXRT"):       esl(CertX509, testOtherOwner, c["mkx"].der),
		sl("SbatLevelRT"):      []byte("sbat,1,2024010900\nshim,4\ngrub,3\ngrub.debian,4\n"),
		sl("MokSBStateRT"):     {1},
		sl("MokListTrustedRT"): {1},
	}, c
}

func subjects(tr *Trust) string {
	var s []string
	for _, c := range tr.Certificates {
		s = append(s, c.Store+":"+c.Subject)
	}
	return strings.Join(s, " ")
}

func TestTrustTree(t *testing.T) {
	vars, _ := trustVars(t)
	tr, err := newFS(t, trustTree(t, vars)).Trust()
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Errors) != 0 {
		t.Errorf("errors %v", tr.Errors)
	}
	if got, want := subjects(tr), "PK:CN=Platform Key,C=Platform Key KEK:CN=Test KEK db:CN=Test db MokList:CN=Test MOK MokList:CN=Test MOK 2 MokListX:CN=Test MOK revoked"; got != want {
		t.Errorf("certificates %s\nwant %s", got, want)
	}
	want := []HashCount{{StoreDB, "sha256", 2}, {StoreDBX, "sha256", 5}, {StoreDBX, "x509_sha256", 1}, {StoreMokList, "sha256", 3}}
	if len(tr.Hashes) != len(want) {
		t.Fatalf("hashes %v, want %v", tr.Hashes, want)
	}
	for i := range want {
		if tr.Hashes[i] != want[i] {
			t.Errorf("hashes %v, want %v", tr.Hashes, want)
		}
	}
	if tr.MokValidation != "disabled" || tr.SbatLevel == nil || tr.SbatLevel.Date != "2024010900" || len(tr.SbatLevel.Components) != 3 {
		t.Errorf("validation %q, sbat %+v", tr.MokValidation, tr.SbatLevel)
	}
	if len(tr.KnownCAs) != 14 {
		t.Errorf("%d known CA presences, want 14", len(tr.KnownCAs))
	}
	for _, p := range tr.KnownCAs {
		if p.Present {
			t.Errorf("%+v present", p)
		}
	}
}

// TestTrustTreeStates: which shim variables exist decides the validation
// state; malformed variables are errors under their own key and hide
// nothing else; without firmware/efi the Trust is empty.
func TestTrustTreeStates(t *testing.T) {
	for _, tt := range []struct {
		name       string
		edit       map[string][]byte // nil value: remove
		validation string
		errKeys    string
		certs      int
	}{
		{"all", nil, "disabled", "", 6},
		{"validation on", map[string][]byte{sl("MokSBStateRT"): {0}}, "enabled", "", 6},
		{"shim without MokSBStateRT", map[string][]byte{sl("MokSBStateRT"): nil}, "enabled", "", 6},
		{"only SbatLevelRT of shim's", map[string][]byte{sl("MokSBStateRT"): nil, sl("MokListRT"): nil, sl("MokListRT1"): nil, sl("MokListXRT"): nil, sl("MokListTrustedRT"): nil}, "enabled", "", 3},
		{"no shim", map[string][]byte{sl("MokSBStateRT"): nil, sl("MokListRT"): nil, sl("MokListRT1"): nil, sl("MokListXRT"): nil, sl("SbatLevelRT"): nil, sl("MokListTrustedRT"): nil}, "", "", 3},
		{"no PK, no db", map[string][]byte{gv("PK"): nil, isd("db"): nil}, "disabled", "", 4},
		{"second MOK part only", map[string][]byte{sl("MokListRT"): nil}, "disabled", "", 4}, // parts are read in order: RT1 without RT is not read
		{"malformed", map[string][]byte{
			sl("MokSBStateRT"): {1, 0},
			sl("SbatLevelRT"):  []byte("grub,3\n"),
			isd("db"):          concat(esl(CertX509, testOwner, []byte("junk")), esl(CertSHA256, testOwner, hashes(2, 32)...), []byte{1, 2, 3}),
			sl("MokListRT1"):   []byte{9},
			gv("KEK"):          nil,
		}, "", "MokList MokSBStateRT SbatLevelRT db", 3},
		{"empty values", map[string][]byte{gv("PK"): {}, sl("MokSBStateRT"): {}}, "", "MokSBStateRT", 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vars, _ := trustVars(t)
			for k, v := range tt.edit {
				if v == nil {
					delete(vars, k)
				} else {
					vars[k] = v
				}
			}
			tr, err := newFS(t, trustTree(t, vars)).Trust()
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k, err := range tr.Errors {
				keys = append(keys, k)
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("%s: %v does not wrap ErrMalformed", k, err)
				}
			}
			sortStrings(keys)
			if strings.Join(keys, " ") != tt.errKeys {
				t.Errorf("errors %v, want keys %q", tr.Errors, tt.errKeys)
			}
			if tr.MokValidation != tt.validation || len(tr.Certificates) != tt.certs {
				t.Errorf("validation %q, certificates %s; want %q, %d", tr.MokValidation, subjects(tr), tt.validation, tt.certs)
			}
		})
	}
	root := t.TempDir()
	tr, err := newFS(t, root).Trust()
	if err != nil || len(tr.Certificates)+len(tr.Hashes)+len(tr.KnownCAs)+len(tr.Errors) != 0 || tr.Certificates == nil {
		t.Errorf("no UEFI: %+v, %v", tr, err)
	}
	if err := os.WriteFile(filepath.Join(root, "firmware"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newFS(t, root).Trust(); err == nil || errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("firmware a file: %v, want an error", err)
	}
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

// TestTrustEfivarfsNotMounted: UEFI, but efivarfs empty (not mounted, or a
// container without the host's): nothing is known, so no store and no CA is
// reported absent, and the reason is under "efivars".
func TestTrustEfivarfsNotMounted(t *testing.T) {
	root := t.TempDir()
	testutil.WriteTree(t, root, map[string]string{"firmware/efi/fw_platform_size": "64\n"})
	if err := os.MkdirAll(filepath.Join(root, "firmware/efi/efivars"), 0o755); err != nil {
		t.Fatal(err)
	}
	fs, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := fs.Trust()
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(tr.Errors["efivars"], ErrEfivarfsNotMounted) || len(tr.KnownCAs) != 0 || len(tr.Certificates) != 0 {
		t.Errorf("errors %v, %d known CAs, %d certificates", tr.Errors, len(tr.KnownCAs), len(tr.Certificates))
	}
}
