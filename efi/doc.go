// Package efi decodes UEFI firmware state as Linux exposes it in sysfs: whether
// the machine booted through UEFI (/sys/firmware/efi), the firmware's word size
// (fw_platform_size), the global boot variables in efivarfs (SecureBoot,
// SetupMode, AuditMode, DeployedMode, BootCurrent, BootNext, BootOrder and every
// Boot####), the systemd-boot loader variables, the Secure Boot signature
// databases (PK, KEK, db, dbx) with shim's MOK lists and state (MokListRT,
// MokListXRT, MokSBStateRT, SbatLevelRT), and TPM presence (/sys/class/tpm).
//
// It implements these parts of the UEFI Specification 2.10:
//   - section 3.1.3 "Load Options" (EFI_LOAD_OPTION, load_option.go);
//   - section 3.3 "Globally Defined Variables" (variables.go);
//   - section 10.3 "Device Path Nodes" (device_path.go);
//   - section 10.6 "EFI Device Path Display Format Overview", the text
//     notation of device paths (device_path_text.go);
//   - section 32.4.1 "Signature Database", EFI_SIGNATURE_LIST and
//     EFI_SIGNATURE_DATA with every EFI_CERT_*_GUID type and the
//     SignatureSize each fixes (siglist.go), and the certificates' fields
//     printed as openssl x509 prints them (trust.go, dn.go);
//   - section 32.6.1, the variables db and dbx of
//     EFI_IMAGE_SECURITY_DATABASE_GUID (PK and KEK are section 3.3's);
//
// shim's variables, which no specification defines, follow shim's own
// documentation: MOK lists are signature databases, split into MokListRT,
// MokListRT1, ... when large; MokSBStateRT is one byte, 1 when validation is
// off; SbatLevelRT is SBAT.md's CSV revocation level (sbat.go). Microsoft's
// Secure Boot CAs are recognized from a table of their published
// certificates (knownca.go).
//
// and the kernel's efivarfs ABI (Documentation/filesystems/efivarfs.rst): one
// file per variable named Name-VendorGUID whose content is the 4-byte
// little-endian attribute word followed by the value.
//
// EFI device paths and load options are a binary format of their own, shared by
// the firmware collector (Boot#### entries) and the boot loader collector
// (systemd-boot and GRUB variables, loaded image paths), so they live in this
// package rather than in dmi/ or in a collector: both collectors import one
// decoder instead of carrying two.
//
// The package is a pure decoder: every reader is a method on FS, which takes the
// sysfs mount point so tests and containers can point it anywhere; parsing is
// separate from reading (ParseVariable, ParseLoadOption, ParseDevicePath) so the
// same code serves files, fuzzers and golden tests. Missing variables are
// reported as errors that satisfy errors.Is(err, fs.ErrNotExist); malformed data
// as errors that satisfy errors.Is(err, ErrMalformed).
//
// Text notation. Numbers follow the specification's examples (upper-case hex
// with a 0x prefix: Pci(0x1F,0x2)); GUIDs are printed in lower case, as Linux
// names efivarfs files and partition UUIDs (the specification treats GUID text
// as case-insensitive); partition numbers are decimal, as in HD(1,GPT,...).
// File path nodes are the bare path (HD(...)/\EFI\BOOT\BOOTX64.EFI), as
// Table 10.67 and the UEFI shell show them; efibootmgr wraps them in File().
package efi
