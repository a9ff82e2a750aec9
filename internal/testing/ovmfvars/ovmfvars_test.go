package ovmfvars

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/efi"
)

// TestParseMicrosoftStore reads Debian's Microsoft-enrolled store: the four
// Secure Boot databases are there under their vendors, and each decodes as
// EFI_SIGNATURE_LISTs (a header misread would shift the data).
func TestParseMicrosoftStore(t *testing.T) {
	dir := t.TempDir()
	vars := WriteEfivars(t, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", dir)
	want := map[string]efi.GUID{"PK": efi.GlobalVariable, "KEK": efi.GlobalVariable, "db": efi.ImageSecurityDatabase, "dbx": efi.ImageSecurityDatabase}
	for _, v := range vars {
		vendor, ok := want[v.Name]
		if !ok {
			continue
		}
		delete(want, v.Name)
		if efi.GUID(v.Vendor) != vendor || v.Vendor.String() != vendor.String() {
			t.Errorf("%s: vendor %s, want %s", v.Name, v.Vendor, vendor)
		}
		if lists, err := efi.ParseSignatureLists(v.Data); err != nil || len(lists) == 0 {
			t.Errorf("%s: %d signature lists, %v", v.Name, len(lists), err)
		}
		b, err := os.ReadFile(filepath.Join(dir, v.Name+"-"+vendor.String()))
		if err != nil || len(b) != 4+len(v.Data) {
			t.Errorf("%s: efivarfs file of %d bytes, %v; want %d", v.Name, len(b), err, 4+len(v.Data))
		}
	}
	if len(want) != 0 {
		t.Errorf("missing from the store: %v", want)
	}
}

func TestParseRejectsNonStore(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 4096)} {
		if _, err := Parse(b); err == nil {
			t.Errorf("Parse(%d zero bytes) succeeded", len(b))
		}
	}
}
