package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var hardwareSecurityStatuses = []string{"Disabled", "Enabled", "Not Implemented", "Unknown"}

// securityStatus names the 2-bit status at bit shift of byte 04h.
func securityStatus(shift uint) func([]byte, *dmi.Structure) []byte {
	return named(0x04, func(v uint8) string { return hardwareSecurityStatuses[v>>shift&3] })
}

// hardwareSecurity prints type 24 structures (DSP0134 7.25).
var hardwareSecurity = typePrinter{title: "Hardware Security", min: 0x05, fields: []field{
	{"Power-On Password Status", 0, securityStatus(6)},
	{"Keyboard Password Status", 0, securityStatus(4)},
	{"Administrator Password Status", 0, securityStatus(2)},
	{"Front Panel Reset Status", 0, securityStatus(0)},
}}
