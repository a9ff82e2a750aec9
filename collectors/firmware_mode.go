package collectors

import (
	"errors"
	"fmt"
	iofs "io/fs"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Paths below the sysfs root that tell which firmware started the kernel.
const (
	fwDir         = "firmware"
	fwEFIDir      = "firmware/efi"
	fwDMIDir      = "firmware/dmi"
	fwDeviceTree  = "firmware/devicetree"
	dmiIDVendor   = dmi.IDDir + "/bios_vendor"
	dmiIDVersion  = dmi.IDDir + "/bios_version"
	noSMBIOSFacts = "no SMBIOS/DMI entry point (no /sys/firmware/dmi, no /sys/class/dmi/id)"
)

// firmwareFacts is what the kernel exposes in sysfs about the firmware that
// started it, gathered by readFirmwareFacts and judged by decideFirmwareMode.
type firmwareFacts struct {
	// FirmwareErr is set when sysfs's firmware directory cannot be examined.
	FirmwareErr error
	// EFI: firmware/efi exists; EFIErr: it could not be examined.
	EFI    bool
	EFIErr error
	// EntryPoint is the SMBIOS entry point the kernel exports, nil when it
	// exports none or it did not read (EntryPointErr).
	EntryPoint    *dmi.EntryPoint
	EntryPointErr error
	// DMIDir: firmware/dmi exists (the kernel found an entry point).
	DMIDir bool
	// HasBIOS: the table holds a type 0 structure; BIOS is it decoded (nil
	// when it does not decode). TableErr: the table did not read.
	HasBIOS  bool
	BIOS     *dmi.BIOS
	TableErr error
	// IDVendor and IDVersion are class/dmi/id/bios_vendor and bios_version:
	// the kernel's copy of type 0, readable without root. IDPresent: the
	// class/dmi/id directory exists.
	IDPresent           bool
	IDVendor, IDVersion string
	// DeviceTree: firmware/devicetree exists (a boot loader or firmware
	// handed the kernel a device tree).
	DeviceTree bool
}

// readFirmwareFacts gathers firmwareFacts below a sysfs root, with bounded
// reads only.
func readFirmwareFacts(sys hostfile.Root, d dmi.FS) firmwareFacts {
	var f firmwareFacts
	exists := func(name string) (bool, error) {
		_, err := sys.Stat(name)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, iofs.ErrNotExist):
			return false, nil
		}
		return false, err
	}
	if ok, err := exists(fwDir); !ok {
		if err == nil {
			err = fmt.Errorf("%s: %w", sys.Path(fwDir), iofs.ErrNotExist)
		}
		f.FirmwareErr = err
		return f
	}
	f.EFI, f.EFIErr = exists(fwEFIDir)
	f.DMIDir, _ = exists(fwDMIDir)
	f.DeviceTree, _ = exists(fwDeviceTree)
	f.IDPresent, _ = exists(dmi.IDDir)
	if f.IDPresent {
		f.IDVendor, _ = sys.ReadString(dmiIDVendor)
		f.IDVersion, _ = sys.ReadString(dmiIDVersion)
	}
	ep, err := d.RawEntryPoint()
	if err != nil {
		f.EntryPointErr = err
		return f
	}
	if f.EntryPoint, err = dmi.ParseEntryPoint(ep); err != nil {
		f.EntryPoint, f.EntryPointErr = nil, err
		return f
	}
	if f.EFI {
		// UEFI needs no table: the entry point is all its evidence shows.
		return f
	}
	tb, err := d.RawTable()
	if err != nil {
		f.TableErr = err
		return f
	}
	t, err := dmi.ParseTableWithEntryPoint(f.EntryPoint, tb)
	if t == nil {
		f.TableErr = err
		return f
	}
	// A table whose tail is broken still holds what decoded before it.
	if len(t.ByType(0)) > 0 {
		f.HasBIOS = true
		f.BIOS, _ = t.BIOS()
	}
	return f
}

// decideFirmwareMode says how the running kernel was started, and on what
// evidence. It claims a kind of firmware only on positive evidence of it:
//
//   - uefi: /sys/firmware/efi exists. The kernel creates it when it was
//     booted through the UEFI boot services (EFI_BOOT; kernel ABI
//     Documentation/ABI/testing/sysfs-firmware-efi).
//   - bios: no /sys/firmware/efi, and an SMBIOS table holding BIOS
//     Information (type 0, DSP0134 7.1), which only firmware writes. The
//     kernel exports the entry point it found and the table under
//     /sys/firmware/dmi/tables (drivers/firmware/dmi_scan.c) and the type 0
//     strings in /sys/class/dmi/id/bios_* (readable without root).
//   - none: no /sys/firmware/efi, no SMBIOS entry point (neither
//     /sys/firmware/dmi nor /sys/class/dmi/id: the kernel scanned for
//     "_SM3_", "_SM_" and "_DMI_" and logged "DMI not present or invalid"),
//     and no device tree. This is a VMM that loads the kernel itself
//     (Firecracker-style direct boot): nothing ran before the kernel that
//     left a trace, so no firmware is claimed. On x86 the kernel always
//     scans for SMBIOS unless built with CONFIG_EXPERT and DMI off.
//   - unknown: the evidence is unreadable (sysfs's firmware directory or
//     firmware/efi cannot be examined), contradictory or incomplete: an
//     entry point that does not decode, a table without type 0, tables that
//     need root with no class/dmi/id to fall back on, or no SMBIOS but a
//     device tree (arm64 and others boot through U-Boot or a VMM alike,
//     and the device tree does not tell which).
//
// The evidence is a short list of facts in the order they were judged.
func decideFirmwareMode(f firmwareFacts) (efi.Mode, []string) {
	var ev []string
	if f.FirmwareErr != nil {
		return efi.ModeUnknown, []string{"cannot examine /sys/firmware: " + f.FirmwareErr.Error()}
	}
	if f.EFIErr != nil {
		return efi.ModeUnknown, []string{"cannot examine /sys/firmware/efi: " + f.EFIErr.Error()}
	}
	if f.EFI {
		ev = append(ev, "/sys/firmware/efi present")
		if f.EntryPoint != nil {
			ev = append(ev, smbiosFact(f.EntryPoint))
		}
		return efi.ModeUEFI, ev
	}
	ev = append(ev, "no /sys/firmware/efi")
	switch {
	case f.EntryPoint != nil && f.HasBIOS:
		var vendor, version string
		if f.BIOS != nil {
			vendor, version = f.BIOS.Vendor, f.BIOS.Version
		}
		ev = append(ev, smbiosFact(f.EntryPoint), biosFact("BIOS information (type 0)", vendor, version))
		return efi.ModeBIOS, ev
	case f.EntryPoint != nil && f.TableErr == nil:
		ev = append(ev, smbiosFact(f.EntryPoint), "SMBIOS table holds no BIOS information (type 0)")
		return efi.ModeUnknown, ev
	case f.IDPresent && f.IDVendor != "":
		// The tables need root; the kernel's copy of type 0 does not.
		if f.EntryPoint != nil {
			ev = append(ev, smbiosFact(f.EntryPoint))
		}
		ev = append(ev, biosFact("/sys/class/dmi/id", f.IDVendor, f.IDVersion))
		return efi.ModeBIOS, ev
	case f.EntryPoint != nil:
		ev = append(ev, smbiosFact(f.EntryPoint), "SMBIOS table unreadable: "+errString(f.TableErr))
		return efi.ModeUnknown, ev
	case f.DMIDir || f.IDPresent:
		what := "/sys/firmware/dmi present"
		if !f.DMIDir {
			what = "/sys/class/dmi/id present"
		}
		ev = append(ev, what+", SMBIOS entry point unreadable: "+errString(f.EntryPointErr))
		return efi.ModeUnknown, ev
	}
	ev = append(ev, noSMBIOSFacts)
	if f.DeviceTree {
		ev = append(ev, "/sys/firmware/devicetree present: a boot loader or firmware handed over a device tree, which does not tell which")
		return efi.ModeUnknown, ev
	}
	return efi.ModeNone, ev
}

func smbiosFact(ep *dmi.EntryPoint) string {
	return fmt.Sprintf("SMBIOS %s entry point present (%s)", ep.VersionString(), ep.Kind)
}

func biosFact(source, vendor, version string) string {
	s := source + ": vendor " + quoteOrNone(vendor)
	if version != "" {
		s += ", version " + version
	}
	return s
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

func errString(err error) string {
	if err == nil {
		return "no data"
	}
	return err.Error()
}
