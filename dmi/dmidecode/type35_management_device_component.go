package dmidecode

// managementDeviceComponentFields print a type 35 structure (DSP0134
// 7.36).
var managementDeviceComponentFields = []field{
	{"Description", 0, str(0x04)},
	{"Management Device Handle", 0, handle(0x05, false)},
	{"Component Handle", 0, handle(0x07, false)},
	{"Threshold Handle", 0, handle(0x09, true)},
}
