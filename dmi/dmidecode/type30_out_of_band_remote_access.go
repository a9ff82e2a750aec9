package dmidecode

// outOfBandRemoteAccess prints type 30 structures (DSP0134 7.31).
var outOfBandRemoteAccess = typePrinter{title: "Out-of-band Remote Access", min: 0x06, fields: []field{
	{"Manufacturer Name", 0, str(0x04)},
	{"Inbound Connection", 0, enabledBit(0x05, 0)},
	{"Outbound Connection", 0, enabledBit(0x05, 1)},
}}
