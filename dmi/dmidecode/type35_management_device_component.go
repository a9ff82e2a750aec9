package dmidecode

// managementDeviceComponent prints type 35 structures (DSP0134 7.36).
var managementDeviceComponent = typePrinter{title: "Management Device Component", min: 0x0B, fields: []field{
	{"Description", 0, str(0x04)},
	{"Management Device Handle", 0, handle(0x05, false)},
	{"Component Handle", 0, handle(0x07, false)},
	{"Threshold Handle", 0, handle(0x09, true)},
}}
