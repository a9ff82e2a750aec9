package dmidecode

// managementDevice prints type 34 structures (DSP0134 7.35).
var managementDevice = typePrinter{title: "Management Device", min: 0x0B, fields: []field{
	{"Description", 0, str(0x04)},
	{"Type", 0, enum(0x05, []string{"Other", "Unknown", "LM75", "LM78", "LM79", "LM80", "LM81", "ADM9240",
		"DS1780", "MAX1617", "GL518SM", "W83781D", "HT82H791"}, 1)},
	{"Address", 0, hex32(0x06)},
	{"Address Type", 0, enum(0x0A, []string{"Other", "Unknown", "I/O Port", "Memory", "SMBus"}, 1)},
}}
