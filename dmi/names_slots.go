package dmi

var slotTypes = []string{
	"Other", "Unknown", "ISA", "MCA", "EISA", "PCI", "PC Card (PCMCIA)", "VLB", "Proprietary", "Processor Card",
	"Proprietary Memory Card", "I/O Riser Card", "NuBus", "PCI-66", "AGP", "AGP 2x", "AGP 4x", "PCI-X", "AGP 8x",
	"M.2 Socket 1-DP", "M.2 Socket 1-SD", "M.2 Socket 2", "M.2 Socket 3", "MXM Type I", "MXM Type II",
	"MXM Type III", "MXM Type III-HE", "MXM Type IV", "MXM 3.0 Type A", "MXM 3.0 Type B",
	"PCI Express 2 SFF-8639 (U.2)", "PCI Express 3 SFF-8639 (U.2)",
	"PCI Express Mini 52-pin with bottom-side keep-outs", "PCI Express Mini 52-pin without bottom-side keep-outs",
	"PCI Express Mini 76-pin", "PCI Express 4 SFF-8639 (U.2)", "PCI Express 5 SFF-8639 (U.2)",
	"OCP NIC 3.0 Small Form Factor (SFF)", "OCP NIC 3.0 Large Form Factor (LFF)", "OCP NIC Prior to 3.0",
}

var slotTypesA0 = []string{
	"PC-98/C20", "PC-98/C24", "PC-98/E", "PC-98/Local Bus", "PC-98/Card",
	"PCI Express", "PCI Express x1", "PCI Express x2", "PCI Express x4", "PCI Express x8", "PCI Express x16",
	"PCI Express 2", "PCI Express 2 x1", "PCI Express 2 x2", "PCI Express 2 x4", "PCI Express 2 x8", "PCI Express 2 x16",
	"PCI Express 3", "PCI Express 3 x1", "PCI Express 3 x2", "PCI Express 3 x4", "PCI Express 3 x8", "PCI Express 3 x16",
	"",
	"PCI Express 4", "PCI Express 4 x1", "PCI Express 4 x2", "PCI Express 4 x4", "PCI Express 4 x8", "PCI Express 4 x16",
	"PCI Express 5", "PCI Express 5 x1", "PCI Express 5 x2", "PCI Express 5 x4", "PCI Express 5 x8", "PCI Express 5 x16",
	"PCI Express 6+", "EDSFF E1", "EDSFF E3",
}

// SlotTypeName names a type 9 slot type (05h).
func SlotTypeName(v uint8) string {
	switch {
	case v == 0x30:
		return "CXL FLexbus 1.0"
	case v >= 0xA0:
		return Lookup(slotTypesA0, 0xA0, int(v))
	}
	return Lookup(slotTypes, 1, int(v))
}

var slotBusWidths = []string{"Other", "Unknown", "8-bit", "16-bit", "32-bit", "64-bit", "128-bit", "x1", "x2", "x4", "x8", "x12", "x16", "x32"}

// SlotBusWidthName names a type 9 data bus width (06h).
func SlotBusWidthName(v uint8) string { return Lookup(slotBusWidths, 1, int(v)) }

var slotUsages = []string{"Other", "Unknown", "Available", "In Use", "Unavailable"}

// SlotUsageName names a type 9 current usage (07h).
func SlotUsageName(v uint8) string { return Lookup(slotUsages, 1, int(v)) }

var slotLengths = []string{"Other", "Unknown", "Short", "Long", "2.5\" drive form factor", "3.5\" drive form factor"}

// SlotLengthName names a type 9 slot length (08h).
func SlotLengthName(v uint8) string { return Lookup(slotLengths, 1, int(v)) }

var slotCharacteristics1 = []string{
	"5.0 V is provided", "3.3 V is provided", "Opening is shared", "PC Card-16 is supported",
	"Cardbus is supported", "Zoom Video is supported", "Modem ring resume is supported",
}

var slotCharacteristics2 = []string{
	"PME signal is supported", "Hot-plug devices are supported", "SMBus signal is supported",
	"PCIe slot bifurcation is supported", "Async/surprise removal is supported", "Flexbus slot, CXL 1.0 capable",
	"Flexbus slot, CXL 2.0 capable",
}

// SlotCharacteristicNames lists the type 9 characteristics set in the two
// characteristics bytes (0Bh bits 1-7, 0Ch bits 0-6); bit 0 of 0Bh,
// "characteristics unknown", is not a name.
func SlotCharacteristicNames(c1, c2 uint8) []string {
	return append(FlagNames(uint64(c1), slotCharacteristics1, 1), FlagNames(uint64(c2), slotCharacteristics2, 0)...)
}
