package dmidecode

// remoteAccessFields print a type 30 structure (DSP0134 7.31).
var remoteAccessFields = []field{
	{"Manufacturer Name", 0, str(0x04)},
	{"Inbound Connection", 0, named(0x05, func(v uint8) string { return enabled(v&1 != 0) })},
	{"Outbound Connection", 0, named(0x05, func(v uint8) string { return enabled(v&2 != 0) })},
}
