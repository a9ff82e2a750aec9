package efi

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// maxVariableSize bounds how much of one efivarfs file is read: tighter than
// hostfile.LimitFirmware, because real variables are at most a few tens of
// KiB (db and dbx). A larger file is reported as malformed (and too large)
// instead of being read into memory.
const maxVariableSize = 1 << 20

// FS reads EFI state from a sysfs mount point. Every file is read through
// hostfile, inside the sysfs root: attributes up to hostfile.LimitAttr,
// variables up to maxVariableSize, and anything but a regular file refused
// without blocking.
type FS struct {
	sys hostfile.Root
}

// NewFS returns an FS reading under sysfsRoot (usually "/sys"). It fails only
// when sysfsRoot is not a directory; a machine without EFI is not an error.
func NewFS(sysfsRoot string) (FS, error) {
	st, err := hostfile.NewRoot(sysfsRoot).Stat(".")
	if err != nil {
		return FS{}, fmt.Errorf("efi: sysfs root: %w", err)
	}
	if !st.IsDir() {
		return FS{}, fmt.Errorf("efi: sysfs root %s is not a directory", sysfsRoot)
	}
	return FS{sys: hostfile.NewRoot(sysfsRoot)}, nil
}

// Paths below the sysfs root.
const (
	efiDir     = "firmware/efi"
	efivarsDir = "firmware/efi/efivars"
)

// Mode is how the running kernel was started: by UEFI firmware, by a legacy
// BIOS, by no firmware at all (a VMM that loads the kernel itself), or
// unknown.
type Mode string

// Boot modes. This package tells ModeUEFI from the rest; telling a legacy
// BIOS from no firmware at all needs the SMBIOS tables too, which the
// firmware collector combines (see collectors' decideFirmwareMode).
const (
	ModeUEFI    Mode = "uefi"
	ModeBIOS    Mode = "bios"
	ModeNone    Mode = "none"
	ModeUnknown Mode = "unknown"
)

// Mode returns ModeUEFI when the kernel exposes firmware/efi (it was started
// by UEFI firmware and has EFI support), and ModeUnknown otherwise: the
// absence of EFI alone does not say whether a BIOS or nothing at all ran
// before the kernel.
func (fs FS) Mode() (Mode, error) {
	_, err := fs.sys.Stat(efiDir)
	switch {
	case err == nil:
		return ModeUEFI, nil
	case errors.Is(err, iofs.ErrNotExist):
		return ModeUnknown, nil
	}
	return "", fmt.Errorf("efi: %w", err)
}

// PlatformBits returns the firmware's word size from firmware/efi/
// fw_platform_size: 64, or 32 for 32-bit firmware booting a 64-bit kernel.
func (fs FS) PlatformBits() (int, error) {
	v, err := fs.sys.ReadString(efiDir + "/fw_platform_size")
	if err != nil {
		return 0, fmt.Errorf("efi: %w", err)
	}
	n, err := strconv.Atoi(v)
	if err != nil || (n != 32 && n != 64) {
		return 0, fmt.Errorf("efi: fw_platform_size %q: %w", v, ErrMalformed)
	}
	return n, nil
}

// VariableFile returns the efivarfs file name of a variable: Name-GUID.
func VariableFile(name string, vendor GUID) string { return name + "-" + vendor.String() }

// ReadVariable reads one variable from efivarfs (one read of its file) and
// returns its attributes and value. A variable that does not exist gives an
// error satisfying errors.Is(err, fs.ErrNotExist).
func (fs FS) ReadVariable(name string, vendor GUID) (attrs uint32, value []byte, err error) {
	b, err := fs.readVariableFile(VariableFile(name, vendor))
	if err != nil {
		return 0, nil, err
	}
	attrs, value, err = ParseVariable(b)
	if err != nil {
		return 0, nil, fmt.Errorf("efi: variable %s: %w", name, err)
	}
	return attrs, value, nil
}

// VariableNames lists efivarfs: the names of all variables of vendor, in
// directory order. It does not read any variable.
func (fs FS) VariableNames(vendor GUID) ([]string, error) {
	ents, err := fs.sys.ReadDir(efivarsDir)
	if err != nil {
		return nil, fmt.Errorf("efi: %w", err)
	}
	suffix := "-" + vendor.String()
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), suffix); ok && n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

// readVariableFile reads one efivarfs file of at most maxVariableSize bytes.
// efivarfs serves each read() from a firmware call; hostfile sizes its
// buffer from the file's size, which efivarfs reports, so the file is read
// in one call and the end found with a second.
func (fs FS) readVariableFile(file string) ([]byte, error) {
	b, err := fs.sys.ReadFile(efivarsDir+"/"+file, maxVariableSize)
	if errors.Is(err, hostfile.ErrTooLarge) {
		return nil, fmt.Errorf("efi: %w: %w", err, ErrMalformed)
	}
	if err != nil {
		return nil, fmt.Errorf("efi: %w", err)
	}
	return b, nil
}

func (fs FS) readBool(name string) (bool, error) {
	_, v, err := fs.ReadVariable(name, GlobalVariable)
	if err != nil {
		return false, err
	}
	b, err := ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("efi: %s: %w", name, err)
	}
	return b, nil
}

// SecureBoot reads the SecureBoot variable: whether the firmware enforces
// Secure Boot for this boot.
func (fs FS) SecureBoot() (bool, error) { return fs.readBool("SecureBoot") }

// SetupMode reads SetupMode: true when no Platform Key is enrolled.
func (fs FS) SetupMode() (bool, error) { return fs.readBool("SetupMode") }

// AuditMode reads AuditMode (UEFI 2.5 and later).
func (fs FS) AuditMode() (bool, error) { return fs.readBool("AuditMode") }

// DeployedMode reads DeployedMode (UEFI 2.5 and later).
func (fs FS) DeployedMode() (bool, error) { return fs.readBool("DeployedMode") }

func (fs FS) readBootID(name string) (BootID, error) {
	_, v, err := fs.ReadVariable(name, GlobalVariable)
	if err != nil {
		return 0, err
	}
	id, err := ParseBootID(v)
	if err != nil {
		return 0, fmt.Errorf("efi: %s: %w", name, err)
	}
	return id, nil
}

// BootCurrent reads BootCurrent: the Boot#### option the firmware started
// this boot from. Firmware sets it only when it booted through a load option
// (OVMF booting a kernel given by the hypervisor sets none).
func (fs FS) BootCurrent() (BootID, error) { return fs.readBootID("BootCurrent") }

// BootNext reads BootNext: the option to try once at the next boot.
func (fs FS) BootNext() (BootID, error) { return fs.readBootID("BootNext") }

// BootOrder reads BootOrder.
func (fs FS) BootOrder() ([]BootID, error) {
	_, v, err := fs.ReadVariable("BootOrder", GlobalVariable)
	if err != nil {
		return nil, err
	}
	ids, err := ParseBootOrder(v)
	if err != nil {
		return nil, fmt.Errorf("efi: BootOrder: %w", err)
	}
	return ids, nil
}

// BootOption reads and decodes one Boot#### variable. On a malformed option it
// returns what decoded along with the error.
func (fs FS) BootOption(id BootID) (*LoadOption, error) {
	_, v, err := fs.ReadVariable(id.VariableName(), GlobalVariable)
	if err != nil {
		return nil, err
	}
	o, err := ParseLoadOption(v)
	if err != nil {
		return o, fmt.Errorf("efi: %s: %w", id.VariableName(), err)
	}
	return o, nil
}

func (fs FS) readLoaderString(name string) (string, error) {
	_, v, err := fs.ReadVariable(name, LoaderVendor)
	if err != nil {
		return "", err
	}
	s, err := ParseUTF16String(v)
	if err != nil {
		return "", fmt.Errorf("efi: %s: %w", name, err)
	}
	return s, nil
}

// LoaderEntryDefault reads systemd-boot's LoaderEntryDefault: the identifier
// of the default boot loader entry.
func (fs FS) LoaderEntryDefault() (string, error) { return fs.readLoaderString("LoaderEntryDefault") }

// LoaderEntrySelected reads systemd-boot's LoaderEntrySelected: the
// identifier of the entry booted this time.
func (fs FS) LoaderEntrySelected() (string, error) {
	return fs.readLoaderString("LoaderEntrySelected")
}
