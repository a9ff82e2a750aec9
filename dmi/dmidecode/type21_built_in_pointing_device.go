package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var pointingDeviceInterfaces = []string{"Other", "Unknown", "Serial", "PS/2", "Infrared", "HIP-HIL", "Bus Mouse",
	"ADB (Apple Desktop Bus)"}

var pointingDeviceInterfacesA0 = []string{"Bus Mouse DB-9", "Bus Mouse Micro DIN", "USB"}

func pointingDeviceInterface(v uint8) string {
	if v >= 0xA0 {
		return dmi.Lookup(pointingDeviceInterfacesA0, 0xA0, int(v))
	}
	return dmi.Lookup(pointingDeviceInterfaces, 1, int(v))
}

// builtInPointingDevice prints type 21 structures (DSP0134 7.22).
var builtInPointingDevice = typePrinter{title: "Built-in Pointing Device", min: 0x07, fields: []field{
	{"Type", 0, enum(0x04, []string{"Other", "Unknown", "Mouse", "Track Ball", "Track Point", "Glide Point",
		"Touch Pad", "Touch Screen", "Optical Sensor"}, 1)},
	{"Interface", 0, named(0x05, pointingDeviceInterface)},
	{"Buttons", 0, decimal(0x06)},
}}
