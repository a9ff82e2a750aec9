package efi

import (
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTPMs uses a hand-made sysfs tree shaped like Linux 6.x's tpm class
// (Documentation/ABI/stable/sysfs-class-tpm): no real capture is in the corpus.
func TestTPMs(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fs := newFS(t, root)
	if _, err := fs.TPMs(); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("no tpm class: error = %v, want fs.ErrNotExist", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "class", "tpm"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := fs.TPMs(); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty tpm class: %v, %v; want an empty list", got, err)
	}
	write("class/tpm/tpm0/tpm_version_major", "2\n")
	write("class/tpm/tpm0/device/description", "TPM 2.0 Device\n")
	write("class/tpm/tpm1/tpm_version_major", "x\n")   // malformed: listed, error joined
	write("class/tpm/tpmrm0/tpm_version_major", "2\n") // the resource manager node is not a second TPM
	got, err := fs.TPMs()
	want := []TPM{{Name: "tpm0", VersionMajor: 2, Description: "TPM 2.0 Device"}, {Name: "tpm1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("error = %v, want ErrMalformed for tpm1", err)
	}
}
