package dmi

// Human-readable names of SMBIOS enumerations, worded as dmidecode 3.4
// prints them (the wording follows DSP0134's tables). Each XName function
// returns "<OUT OF SPEC>" for a value the specification does not define.

// OutOfSpec is what the name functions return for an undefined value.
const OutOfSpec = "<OUT OF SPEC>"

// Lookup names value v from tbl, whose first entry names value base: the
// name tables of this package and of the dmidecode printer all read this
// way. A value outside tbl, or whose entry is "", is OutOfSpec.
func Lookup(tbl []string, base int, v int) string {
	i := v - base
	if i < 0 || i >= len(tbl) || tbl[i] == "" {
		return OutOfSpec
	}
	return tbl[i]
}

// FlagNames lists the entries of names whose bits are set in v, entry i
// naming bit first+i, in bit order; nil when none is set.
func FlagNames(v uint64, names []string, first int) []string {
	var out []string
	for i, n := range names {
		if v&(1<<(first+i)) != 0 {
			out = append(out, n)
		}
	}
	return out
}

var biosCharacteristics = []string{
	"ISA is supported", // 4
	"MCA is supported",
	"EISA is supported",
	"PCI is supported",
	"PC Card (PCMCIA) is supported",
	"PNP is supported",
	"APM is supported",
	"BIOS is upgradeable",
	"BIOS shadowing is allowed",
	"VLB is supported",
	"ESCD support is available",
	"Boot from CD is supported",
	"Selectable boot is supported",
	"BIOS ROM is socketed",
	"Boot from PC Card (PCMCIA) is supported",
	"EDD is supported",
	"Japanese floppy for NEC 9800 1.2 MB is supported (int 13h)",
	"Japanese floppy for Toshiba 1.2 MB is supported (int 13h)",
	"5.25\"/360 kB floppy services are supported (int 13h)",
	"5.25\"/1.2 MB floppy services are supported (int 13h)",
	"3.5\"/720 kB floppy services are supported (int 13h)",
	"3.5\"/2.88 MB floppy services are supported (int 13h)",
	"Print screen service is supported (int 5h)",
	"8042 keyboard services are supported (int 9h)",
	"Serial services are supported (int 14h)",
	"Printer services are supported (int 17h)",
	"CGA/mono video services are supported (int 10h)",
	"NEC PC-98", // 31
}

var biosCharacteristicsX1 = []string{
	"ACPI is supported",
	"USB legacy is supported",
	"AGP is supported",
	"I2O boot is supported",
	"LS-120 boot is supported",
	"ATAPI Zip drive boot is supported",
	"IEEE 1394 boot is supported",
	"Smart battery is supported",
}

var biosCharacteristicsX2 = []string{
	"BIOS boot specification is supported",
	"Function key-initiated network boot is supported",
	"Targeted content distribution is supported",
	"UEFI is supported",
	"System is a virtual machine",
	"Manufacturing mode is supported",
	"Manufacturing mode is enabled",
}

// BIOSCharacteristicNames lists the names of the BIOS characteristics set in
// the characteristics qword (0Ah) and the two extension bytes (12h, 13h) of a
// type 0 structure, as dmidecode lists them.
func BIOSCharacteristicNames(chars uint64, x1, x2 uint8, hasX1, hasX2 bool) []string {
	var out []string
	if chars&(1<<3) != 0 {
		out = []string{"BIOS characteristics not supported"}
	} else {
		out = FlagNames(chars, biosCharacteristics, 4)
	}
	if hasX1 {
		out = append(out, FlagNames(uint64(x1), biosCharacteristicsX1, 0)...)
	}
	if hasX2 {
		out = append(out, FlagNames(uint64(x2), biosCharacteristicsX2, 0)...)
	}
	return out
}

var structureTypeNames = []string{
	"BIOS", "System", "Base Board", "Chassis", "Processor", "Memory Controller", "Memory Module", "Cache",
	"Port Connector", "System Slots", "On Board Devices", "OEM Strings", "System Configuration Options",
	"BIOS Language", "Group Associations", "System Event Log", "Physical Memory Array", "Memory Device",
	"32-bit Memory Error", "Memory Array Mapped Address", "Memory Device Mapped Address",
	"Built-in Pointing Device", "Portable Battery", "System Reset", "Hardware Security", "System Power Controls",
	"Voltage Probe", "Cooling Device", "Temperature Probe", "Electrical Current Probe", "Out-of-band Remote Access",
	"Boot Integrity Services", "System Boot", "64-bit Memory Error", "Management Device",
	"Management Device Component", "Management Device Threshold Data", "Memory Channel", "IPMI Device",
	"Power Supply", "Additional Information", "Onboard Device", "Management Controller Host Interface",
	"TPM Device", "Processor Additional Information", "Firmware Inventory", "String Property",
}

// StructureTypeName names a structure type briefly, as dmidecode does where
// one structure refers to the type of others (type 3 contained elements,
// type 14 group items): types 128 and up are "OEM-specific".
func StructureTypeName(v uint8) string {
	if v >= 128 {
		return "OEM-specific"
	}
	return Lookup(structureTypeNames, 0, int(v))
}

var wakeUpTypes = []string{
	"Reserved", "Other", "Unknown", "APM Timer", "Modem Ring", "LAN Remote", "Power Switch", "PCI PME#", "AC Power Restored",
}

// WakeUpTypeName names a type 1 wake-up type (18h).
func WakeUpTypeName(v uint8) string { return Lookup(wakeUpTypes, 0, int(v)) }

var boardFeatures = []string{
	"Board is a hosting board",
	"Board requires at least one daughter board",
	"Board is removable",
	"Board is replaceable",
	"Board is hot swappable",
}

// BoardFeatureNames lists the type 2 feature flags (09h) that are set.
func BoardFeatureNames(v uint8) []string { return FlagNames(uint64(v), boardFeatures, 0) }

var boardTypes = []string{
	"Unknown", "Other", "Server Blade", "Connectivity Switch", "System Management Module", "Processor Module",
	"I/O Module", "Memory Module", "Daughter Board", "Motherboard", "Processor+Memory Module", "Processor+I/O Module",
	"Interconnect Board",
}

// BoardTypeName names a type 2 board type (0Dh).
func BoardTypeName(v uint8) string { return Lookup(boardTypes, 1, int(v)) }

var chassisTypes = []string{
	"Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower", "Portable", "Laptop",
	"Notebook", "Hand Held", "Docking Station", "All In One", "Sub Notebook", "Space-saving", "Lunch Box",
	"Main Server Chassis", "Expansion Chassis", "Sub Chassis", "Bus Expansion Chassis", "Peripheral Chassis",
	"RAID Chassis", "Rack Mount Chassis", "Sealed-case PC", "Multi-system", "CompactPCI", "AdvancedTCA", "Blade",
	"Blade Enclosing", "Tablet", "Convertible", "Detachable", "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC",
}

// ChassisTypeName names a type 3 chassis type (05h, bit 7 is the lock bit
// and is ignored).
func ChassisTypeName(v uint8) string { return Lookup(chassisTypes, 1, int(v&0x7F)) }

var chassisStates = []string{"Other", "Unknown", "Safe", "Warning", "Critical", "Non-recoverable"}

// ChassisStateName names a type 3 boot-up, power supply or thermal state.
func ChassisStateName(v uint8) string { return Lookup(chassisStates, 1, int(v)) }

var chassisSecurity = []string{"Other", "Unknown", "None", "External Interface Locked Out", "External Interface Enabled"}

// ChassisSecurityName names a type 3 security status (0Ch).
func ChassisSecurityName(v uint8) string { return Lookup(chassisSecurity, 1, int(v)) }

var processorTypes = []string{"Other", "Unknown", "Central Processor", "Math Processor", "DSP Processor", "Video Processor"}

// ProcessorTypeName names a type 4 processor type (05h).
func ProcessorTypeName(v uint8) string { return Lookup(processorTypes, 1, int(v)) }

// processorFamilies maps DSP0134 7.5.2 processor family codes to names.
var processorFamilies = map[uint16]string{
	0x01: "Other", 0x02: "Unknown", 0x03: "8086", 0x04: "80286", 0x05: "80386", 0x06: "80486",
	0x07: "8087", 0x08: "80287", 0x09: "80387", 0x0A: "80487", 0x0B: "Pentium", 0x0C: "Pentium Pro",
	0x0D: "Pentium II", 0x0E: "Pentium MMX", 0x0F: "Celeron", 0x10: "Pentium II Xeon", 0x11: "Pentium III",
	0x12: "M1", 0x13: "M2", 0x14: "Celeron M", 0x15: "Pentium 4 HT", 0x16: "Intel",
	0x18: "Duron", 0x19: "K5", 0x1A: "K6", 0x1B: "K6-2", 0x1C: "K6-3", 0x1D: "Athlon", 0x1E: "AMD29000",
	0x1F: "K6-2+", 0x20: "Power PC", 0x21: "Power PC 601", 0x22: "Power PC 603", 0x23: "Power PC 603+",
	0x24: "Power PC 604", 0x25: "Power PC 620", 0x26: "Power PC x704", 0x27: "Power PC 750",
	0x28: "Core Duo", 0x29: "Core Duo Mobile", 0x2A: "Core Solo Mobile", 0x2B: "Atom", 0x2C: "Core M",
	0x2D: "Core m3", 0x2E: "Core m5", 0x2F: "Core m7",
	0x30: "Alpha", 0x31: "Alpha 21064", 0x32: "Alpha 21066", 0x33: "Alpha 21164", 0x34: "Alpha 21164PC",
	0x35: "Alpha 21164a", 0x36: "Alpha 21264", 0x37: "Alpha 21364",
	0x38: "Turion II Ultra Dual-Core Mobile M", 0x39: "Turion II Dual-Core Mobile M", 0x3A: "Athlon II Dual-Core M",
	0x3B: "Opteron 6100", 0x3C: "Opteron 4100", 0x3D: "Opteron 6200", 0x3E: "Opteron 4200", 0x3F: "FX",
	0x40: "MIPS", 0x41: "MIPS R4000", 0x42: "MIPS R4200", 0x43: "MIPS R4400", 0x44: "MIPS R4600", 0x45: "MIPS R10000",
	0x46: "C-Series", 0x47: "E-Series", 0x48: "A-Series", 0x49: "G-Series", 0x4A: "Z-Series", 0x4B: "R-Series",
	0x4C: "Opteron 4300", 0x4D: "Opteron 6300", 0x4E: "Opteron 3300", 0x4F: "FirePro",
	0x50: "SPARC", 0x51: "SuperSPARC", 0x52: "MicroSPARC II", 0x53: "MicroSPARC IIep", 0x54: "UltraSPARC",
	0x55: "UltraSPARC II", 0x56: "UltraSPARC IIi", 0x57: "UltraSPARC III", 0x58: "UltraSPARC IIIi",
	0x60: "68040", 0x61: "68xxx", 0x62: "68000", 0x63: "68010", 0x64: "68020", 0x65: "68030",
	0x66: "Athlon X4", 0x67: "Opteron X1000", 0x68: "Opteron X2000", 0x69: "Opteron A-Series",
	0x6A: "Opteron X3000", 0x6B: "Zen",
	0x70: "Hobbit", 0x78: "Crusoe TM5000", 0x79: "Crusoe TM3000", 0x7A: "Efficeon TM8000",
	0x80: "Weitek", 0x82: "Itanium", 0x83: "Athlon 64", 0x84: "Opteron", 0x85: "Sempron", 0x86: "Turion 64",
	0x87: "Dual-Core Opteron", 0x88: "Athlon 64 X2", 0x89: "Turion 64 X2", 0x8A: "Quad-Core Opteron",
	0x8B: "Third-Generation Opteron", 0x8C: "Phenom FX", 0x8D: "Phenom X4", 0x8E: "Phenom X2", 0x8F: "Athlon X2",
	0x90: "PA-RISC", 0x91: "PA-RISC 8500", 0x92: "PA-RISC 8000", 0x93: "PA-RISC 7300LC", 0x94: "PA-RISC 7200",
	0x95: "PA-RISC 7100LC", 0x96: "PA-RISC 7100",
	0xA0: "V30", 0xA1: "Quad-Core Xeon 3200", 0xA2: "Dual-Core Xeon 3000", 0xA3: "Quad-Core Xeon 5300",
	0xA4: "Dual-Core Xeon 5100", 0xA5: "Dual-Core Xeon 5000", 0xA6: "Dual-Core Xeon LV", 0xA7: "Dual-Core Xeon ULV",
	0xA8: "Dual-Core Xeon 7100", 0xA9: "Quad-Core Xeon 5400", 0xAA: "Quad-Core Xeon", 0xAB: "Dual-Core Xeon 5200",
	0xAC: "Dual-Core Xeon 7200", 0xAD: "Quad-Core Xeon 7300", 0xAE: "Quad-Core Xeon 7400", 0xAF: "Multi-Core Xeon 7400",
	0xB0: "Pentium III Xeon", 0xB1: "Pentium III Speedstep", 0xB2: "Pentium 4", 0xB3: "Xeon", 0xB4: "AS400",
	0xB5: "Xeon MP", 0xB6: "Athlon XP", 0xB7: "Athlon MP", 0xB8: "Itanium 2", 0xB9: "Pentium M",
	0xBA: "Celeron D", 0xBB: "Pentium D", 0xBC: "Pentium EE", 0xBD: "Core Solo", 0xBF: "Core 2 Duo",
	0xC0: "Core 2 Solo", 0xC1: "Core 2 Extreme", 0xC2: "Core 2 Quad", 0xC3: "Core 2 Extreme Mobile",
	0xC4: "Core 2 Duo Mobile", 0xC5: "Core 2 Solo Mobile", 0xC6: "Core i7", 0xC7: "Dual-Core Celeron",
	0xC8: "IBM390", 0xC9: "G4", 0xCA: "G5", 0xCB: "ESA/390 G6", 0xCC: "z/Architecture",
	0xCD: "Core i5", 0xCE: "Core i3", 0xCF: "Core i9",
	0xD2: "C7-M", 0xD3: "C7-D", 0xD4: "C7", 0xD5: "Eden", 0xD6: "Multi-Core Xeon", 0xD7: "Dual-Core Xeon 3xxx",
	0xD8: "Quad-Core Xeon 3xxx", 0xD9: "Nano", 0xDA: "Dual-Core Xeon 5xxx", 0xDB: "Quad-Core Xeon 5xxx",
	0xDD: "Dual-Core Xeon 7xxx", 0xDE: "Quad-Core Xeon 7xxx", 0xDF: "Multi-Core Xeon 7xxx",
	0xE0: "Multi-Core Xeon 3400", 0xE4: "Opteron 3000", 0xE5: "Sempron II", 0xE6: "Embedded Opteron Quad-Core",
	0xE7: "Phenom Triple-Core", 0xE8: "Turion Ultra Dual-Core Mobile", 0xE9: "Turion Dual-Core Mobile",
	0xEA: "Athlon Dual-Core", 0xEB: "Sempron SI", 0xEC: "Phenom II", 0xED: "Athlon II",
	0xEE: "Six-Core Opteron", 0xEF: "Sempron M",
	0xFA: "i860", 0xFB: "i960",
	0x100: "ARMv7", 0x101: "ARMv8", 0x102: "ARMv9", 0x104: "SH-3", 0x105: "SH-4", 0x118: "ARM", 0x119: "StrongARM",
	0x12C: "6x86", 0x12D: "MediaGX", 0x12E: "MII", 0x140: "WinChip", 0x15E: "DSP", 0x1F4: "Video Processor",
	0x200: "RV32", 0x201: "RV64", 0x202: "RV128",
	0x258: "LoongArch", 0x259: "Loongson 1", 0x25A: "Loongson 2", 0x25B: "Loongson 3", 0x25C: "Loongson 2K",
	0x25D: "Loongson 3A", 0x25E: "Loongson 3B", 0x25F: "Loongson 3C", 0x260: "Loongson 3D", 0x261: "Loongson 3E",
	0x262: "Dual-Core Loongson 2K 2xxx", 0x26C: "Quad-Core Loongson 3A 5xxx", 0x26D: "Multi-Core Loongson 3A 5xxx",
	0x26E: "Quad-Core Loongson 3B 5xxx", 0x26F: "Multi-Core Loongson 3B 5xxx", 0x270: "Multi-Core Loongson 3C 5xxx",
	0x271: "Multi-Core Loongson 3D 5xxx",
}

// ProcessorFamilyName names a processor family code: the type 4 family byte
// (06h), or, when that byte is 0xFE, the Processor Family 2 word (28h).
func ProcessorFamilyName(code uint16) string {
	if n, ok := processorFamilies[code]; ok {
		return n
	}
	return OutOfSpec
}

var processorUpgrades = []string{
	"Other", "Unknown", "Daughter Board", "ZIF Socket", "Replaceable Piggy Back", "None", "LIF Socket", "Slot 1",
	"Slot 2", "370-pin Socket", "Slot A", "Slot M", "Socket 423", "Socket A (Socket 462)", "Socket 478",
	"Socket 754", "Socket 940", "Socket 939", "Socket mPGA604", "Socket LGA771", "Socket LGA775", "Socket S1",
	"Socket AM2", "Socket F (1207)", "Socket LGA1366", "Socket G34", "Socket AM3", "Socket C32", "Socket LGA1156",
	"Socket LGA1567", "Socket PGA988A", "Socket BGA1288", "Socket rPGA988B", "Socket BGA1023", "Socket BGA1224",
	"Socket BGA1155", "Socket LGA1356", "Socket LGA2011", "Socket FS1", "Socket FS2", "Socket FM1", "Socket FM2",
	"Socket LGA2011-3", "Socket LGA1356-3", "Socket LGA1150", "Socket BGA1168", "Socket BGA1234", "Socket BGA1364",
	"Socket AM4", "Socket LGA1151", "Socket BGA1356", "Socket BGA1440", "Socket BGA1515", "Socket LGA3647-1",
	"Socket SP3", "Socket SP3r2", "Socket LGA2066", "Socket BGA1392", "Socket BGA1510", "Socket BGA1528",
	"Socket LGA4189", "Socket LGA1200", "Socket LGA4677", "Socket LGA1700", "Socket BGA1744", "Socket BGA1781",
	"Socket BGA1211", "Socket BGA2422", "Socket LGA1211", "Socket LGA2422", "Socket LGA5773", "Socket BGA5773",
}

// ProcessorUpgradeName names a type 4 processor upgrade (socket) code (19h).
func ProcessorUpgradeName(v uint8) string { return Lookup(processorUpgrades, 1, int(v)) }

var processorCharacteristics = []string{
	"64-bit capable", "Multi-Core", "Hardware Thread", "Execute Protection", "Enhanced Virtualization",
	"Power/Performance Control", "128-bit Capable", "Arm64 SoC ID",
}

// ProcessorCharacteristicNames lists the type 4 characteristics (26h) that
// are set (bit 2 and up; bits 0 and 1 are "reserved" and "unknown").
func ProcessorCharacteristicNames(v uint16) []string {
	return FlagNames(uint64(v), processorCharacteristics, 2)
}

var processorStatuses = []string{"Unknown", "Enabled", "Disabled By User", "Disabled By BIOS", "Idle", "", "", "Other"}

// ProcessorStatusName names the CPU status (bits 2:0 of type 4 byte 18h).
func ProcessorStatusName(v uint8) string { return Lookup(processorStatuses, 0, int(v&7)) }

var memoryArrayLocations = []string{
	"Other", "Unknown", "System Board Or Motherboard", "ISA Add-on Card", "EISA Add-on Card", "PCI Add-on Card",
	"MCA Add-on Card", "PCMCIA Add-on Card", "Proprietary Add-on Card", "NuBus",
}
var memoryArrayLocationsA0 = []string{
	"PC-98/C20 Add-on Card", "PC-98/C24 Add-on Card", "PC-98/E Add-on Card", "PC-98/Local Bus Add-on Card",
	"CXL Add-on Card",
}

// MemoryArrayLocationName names a type 16 location (04h).
func MemoryArrayLocationName(v uint8) string {
	if v >= 0xA0 {
		return Lookup(memoryArrayLocationsA0, 0xA0, int(v))
	}
	return Lookup(memoryArrayLocations, 1, int(v))
}

var memoryArrayUses = []string{"Other", "Unknown", "System Memory", "Video Memory", "Flash Memory", "Non-volatile RAM", "Cache Memory"}

// MemoryArrayUseName names a type 16 use (05h).
func MemoryArrayUseName(v uint8) string { return Lookup(memoryArrayUses, 1, int(v)) }

var memoryECCTypes = []string{"Other", "Unknown", "None", "Parity", "Single-bit ECC", "Multi-bit ECC", "CRC"}

// MemoryErrorCorrectionName names a type 16 error correction type (06h).
func MemoryErrorCorrectionName(v uint8) string { return Lookup(memoryECCTypes, 1, int(v)) }

var memoryFormFactors = []string{
	"Other", "Unknown", "SIMM", "SIP", "Chip", "DIP", "ZIP", "Proprietary Card", "DIMM", "TSOP", "Row Of Chips",
	"RIMM", "SODIMM", "SRIMM", "FB-DIMM", "Die",
}

// MemoryFormFactorName names a type 17 form factor (0Eh).
func MemoryFormFactorName(v uint8) string { return Lookup(memoryFormFactors, 1, int(v)) }

var memoryTypes = []string{
	"Other", "Unknown", "DRAM", "EDRAM", "VRAM", "SRAM", "RAM", "ROM", "Flash", "EEPROM", "FEPROM", "EPROM", "CDRAM",
	"3DRAM", "SDRAM", "SGRAM", "RDRAM", "DDR", "DDR2", "DDR2 FB-DIMM", "Reserved", "Reserved", "Reserved", "DDR3",
	"FBD2", "DDR4", "LPDDR", "LPDDR2", "LPDDR3", "LPDDR4", "Logical non-volatile device", "HBM", "HBM2", "DDR5",
	"LPDDR5", "HBM3",
}

// MemoryTypeName names a type 17 memory type (12h).
func MemoryTypeName(v uint8) string { return Lookup(memoryTypes, 1, int(v)) }

var memoryTypeDetails = []string{
	"Other", "Unknown", "Fast-paged", "Static Column", "Pseudo-static", "RAMBus", "Synchronous", "CMOS", "EDO",
	"Window DRAM", "Cache DRAM", "Non-Volatile", "Registered (Buffered)", "Unbuffered (Unregistered)", "LRDIMM",
}

// MemoryTypeDetailNames lists the type 17 type detail flags (13h) that are
// set (bit 1 and up; bit 0 is reserved).
func MemoryTypeDetailNames(v uint16) []string { return FlagNames(uint64(v), memoryTypeDetails, 1) }

var memoryTechnologies = []string{
	"Other", "Unknown", "DRAM", "NVDIMM-N", "NVDIMM-F", "NVDIMM-P", "Intel Optane DC persistent memory",
}

// MemoryTechnologyName names a type 17 memory technology (28h).
func MemoryTechnologyName(v uint8) string { return Lookup(memoryTechnologies, 1, int(v)) }

var memoryOperatingModes = []string{
	"Other", "Unknown", "Volatile memory", "Byte-accessible persistent memory", "Block-accessible persistent memory",
}

// MemoryOperatingModeNames lists the type 17 operating mode capability
// flags (29h) that are set (bit 1 and up).
func MemoryOperatingModeNames(v uint16) []string {
	return FlagNames(uint64(v), memoryOperatingModes, 1)
}

var bootStatuses = []string{
	"No errors detected", "No bootable media", "Operating system failed to load", "Firmware-detected hardware failure",
	"Operating system-detected hardware failure", "User-requested boot", "System security violation",
	"Previously-requested image", "System watchdog timer expired",
}

// BootStatusName names a type 32 boot status code (0Ah), as dmidecode does:
// codes 128-191 are "OEM-specific", 192 and up "Product-specific".
func BootStatusName(v uint8) string {
	switch {
	case int(v) < len(bootStatuses):
		return bootStatuses[v]
	case v >= 128 && v <= 191:
		return "OEM-specific"
	case v >= 192:
		return "Product-specific"
	}
	return OutOfSpec
}

var cacheOperationalModes = []string{"Write Through", "Write Back", "Varies With Memory Address", "Unknown"}
var cacheLocations = []string{"Internal", "External", "Reserved", "Unknown"}
var cacheTypes = []string{"Other", "Unknown", "Instruction", "Data", "Unified"}
var cacheAssociativities = []string{
	"Other", "Unknown", "Direct Mapped", "2-way Set-associative", "4-way Set-associative", "Fully Associative",
	"8-way Set-associative", "16-way Set-associative", "12-way Set-associative", "24-way Set-associative",
	"32-way Set-associative", "48-way Set-associative", "64-way Set-associative", "20-way Set-associative",
}
var cacheECCTypes = []string{"Other", "Unknown", "None", "Parity", "Single-bit ECC", "Multi-bit ECC"}
var cacheSRAMTypes = []string{"Other", "Unknown", "Non-Burst", "Burst", "Pipeline Burst", "Synchronous", "Asynchronous"}

// CacheOperationalModeName names bits 9:8 of a type 7 configuration word.
func CacheOperationalModeName(v uint8) string { return Lookup(cacheOperationalModes, 0, int(v&3)) }

// CacheLocationName names bits 6:5 of a type 7 configuration word.
func CacheLocationName(v uint8) string { return Lookup(cacheLocations, 0, int(v&3)) }

// CacheTypeName names a type 7 system cache type (11h).
func CacheTypeName(v uint8) string { return Lookup(cacheTypes, 1, int(v)) }

// CacheAssociativityName names a type 7 associativity (12h).
func CacheAssociativityName(v uint8) string { return Lookup(cacheAssociativities, 1, int(v)) }

// CacheErrorCorrectionName names a type 7 error correction type (10h).
func CacheErrorCorrectionName(v uint8) string { return Lookup(cacheECCTypes, 1, int(v)) }

// CacheSRAMTypeNames lists the SRAM type flags (type 7, 0Bh/0Dh) set.
func CacheSRAMTypeNames(v uint16) []string { return FlagNames(uint64(v), cacheSRAMTypes, 0) }

var onboardDeviceTypes = []string{
	"Other", "Unknown", "Video", "SCSI Controller", "Ethernet", "Token Ring", "Sound", "PATA Controller",
	"SATA Controller", "SAS Controller", "Wireless LAN", "Bluetooth", "WWAN", "eMMC", "NVMe Controller",
	"UFS Controller",
}

// OnboardDeviceTypeName names a type 41 (or type 10) device type (bits 6:0).
func OnboardDeviceTypeName(v uint8) string { return Lookup(onboardDeviceTypes, 1, int(v&0x7F)) }

var ipmiInterfaceTypes = []string{"Unknown", "KCS (Keyboard Control Style)", "SMIC (Server Management Interface Chip)", "BT (Block Transfer)", "SSIF (SMBus System Interface)"}

// IPMIInterfaceTypeName names a type 38 interface type (04h).
func IPMIInterfaceTypeName(v uint8) string { return Lookup(ipmiInterfaceTypes, 0, int(v)) }

var ipmiRegisterSpacings = []string{"Successive Byte Boundaries", "32-bit Boundaries", "16-byte Boundaries"}

// IPMIRegisterSpacingName names the register spacing of a type 38 base
// address modifier (10h bits 7:6).
func IPMIRegisterSpacingName(v uint8) string { return Lookup(ipmiRegisterSpacings, 0, int(v&3)) }
