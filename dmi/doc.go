// Package dmi decodes SMBIOS (System Management BIOS) tables, also called DMI
// tables, as specified by DMTF DSP0134 (SMBIOS Reference Specification,
// versions 2.0 to 3.7), and the Linux kernel's exports of them:
// /sys/firmware/dmi/tables/{smbios_entry_point,DMI} (root only) and the
// world-readable /sys/class/dmi/id/* attributes.
//
// Reading and parsing are separate: FS reads files below an injected sysfs
// root, while ParseEntryPoint, ParseTable, ParseDumpBin and the typed views
// (ParseBIOS, ParseMemoryDevice, ..., and Table's BIOS, MemoryDevices, ...)
// work on bytes. Firmware lies, so every decoder bounds its reads (through
// Structure's U8 to U64), keeps what decoded before a fault, and reports the
// fault as an error wrapping one of the package's sentinels.
//
// The structure walk follows the rules dmidecode 3.4 applies (see ParseTable),
// so that the dmidecode subpackage can reproduce its text output exactly.
//
// The package is pure: it never logs, never touches the network, and never
// reads a hard-coded path.
package dmi
