package efi

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"slices"
	"strconv"
	"strings"
)

// TPM is one Trusted Platform Module as the kernel's tpm class shows it
// (Documentation/ABI/stable/sysfs-class-tpm).
type TPM struct {
	// Name is the class device name: "tpm0".
	Name string `json:"name"`
	// VersionMajor is 1 (TPM 1.2) or 2 (TPM 2.0), from tpm_version_major
	// (Linux 5.6 and later); 0 when the kernel does not say.
	VersionMajor int `json:"version_major,omitempty"`
	// Description is the firmware's description of the device
	// (device/description, present for ACPI-enumerated TPMs).
	Description string `json:"description,omitempty"`
}

// TPMs lists the TPMs under class/tpm, sorted by name. A machine without the
// tpm class gives an error satisfying errors.Is(err, fs.ErrNotExist); one with
// the class but no device gives an empty list. A device whose attributes fail
// to read is still listed, with the error joined into the result.
func (fs FS) TPMs() ([]TPM, error) {
	const dir = "class/tpm"
	ents, err := fs.sys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("efi: tpm: %w", err)
	}
	var tpms []TPM
	var errs []error
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "tpm") || strings.HasPrefix(e.Name(), "tpmrm") {
			continue
		}
		t := TPM{Name: e.Name()}
		if s, err := fs.sys.ReadString(dir + "/" + e.Name() + "/tpm_version_major"); err == nil {
			v, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("efi: %s tpm_version_major %q: %w", e.Name(), s, ErrMalformed))
			} else {
				t.VersionMajor = v
			}
		} else if !errors.Is(err, iofs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("efi: %s: %w", e.Name(), err))
		}
		if s, err := fs.sys.ReadString(dir + "/" + e.Name() + "/device/description"); err == nil {
			t.Description = printable([]byte(s))
		} else if !errors.Is(err, iofs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("efi: %s: %w", e.Name(), err))
		}
		tpms = append(tpms, t)
	}
	slices.SortFunc(tpms, func(a, b TPM) int { return strings.Compare(a.Name, b.Name) })
	if tpms == nil {
		tpms = []TPM{}
	}
	return tpms, errors.Join(errs...)
}
