package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var connectorTypes = []string{
	"None", "Centronics", "Mini Centronics", "Proprietary", "DB-25 male", "DB-25 female", "DB-15 male",
	"DB-15 female", "DB-9 male", "DB-9 female", "RJ-11", "RJ-45", "50 Pin MiniSCSI", "Mini DIN", "Micro DIN",
	"PS/2", "Infrared", "HP-HIL", "Access Bus (USB)", "SSA SCSI", "Circular DIN-8 male", "Circular DIN-8 female",
	"On Board IDE", "On Board Floppy", "9 Pin Dual Inline (pin 10 cut)", "25 Pin Dual Inline (pin 26 cut)",
	"50 Pin Dual Inline", "68 Pin Dual Inline", "On Board Sound Input From CD-ROM", "Mini Centronics Type-14",
	"Mini Centronics Type-26", "Mini Jack (headphones)", "BNC", "IEEE 1394", "SAS/SATA Plug Receptacle",
	"USB Type-C Receptacle",
}

var connectorTypesA0 = []string{"PC-98", "PC-98 Hireso", "PC-H98", "PC-98 Note", "PC-98 Full"}

func connectorType(v uint8) string { return connectorName(v, connectorTypes, connectorTypesA0) }

var portTypes = []string{
	"None", "Parallel Port XT/AT Compatible", "Parallel Port PS/2", "Parallel Port ECP", "Parallel Port EPP",
	"Parallel Port ECP/EPP", "Serial Port XT/AT Compatible", "Serial Port 16450 Compatible",
	"Serial Port 16550 Compatible", "Serial Port 16550A Compatible", "SCSI Port", "MIDI Port", "Joystick Port",
	"Keyboard Port", "Mouse Port", "SSA SCSI", "USB", "Firewire (IEEE P1394)", "PCMCIA Type I", "PCMCIA Type II",
	"PCMCIA Type III", "Cardbus", "Access Bus Port", "SCSI II", "SCSI Wide", "PC-98", "PC-98 Hireso", "PC-H98",
	"Video Port", "Audio Port", "Modem Port", "Network Port", "SATA", "SAS", "MFDP (Multi-Function Display Port)",
	"Thunderbolt",
}

var portTypesA0 = []string{"8251 Compatible", "8251 FIFO Compatible"}

func portType(v uint8) string { return connectorName(v, portTypes, portTypesA0) }

// connectorName names a connector or port type: from low, or from high for
// values 0xA0 and up; 0xFF is "Other".
func connectorName(v uint8, low, high []string) string {
	switch {
	case v == 0xFF:
		return "Other"
	case v >= 0xA0:
		return dmi.Lookup(high, 0xA0, int(v))
	}
	return dmi.Lookup(low, 0, int(v))
}

// portConnectorInformation prints type 8 structures (DSP0134 7.9).
var portConnectorInformation = typePrinter{title: "Port Connector Information", min: 0x09, fields: []field{
	{"Internal Reference Designator", 0, str(0x04)},
	{"Internal Connector Type", 0, named(0x05, connectorType)},
	{"External Reference Designator", 0, str(0x06)},
	{"External Connector Type", 0, named(0x07, connectorType)},
	{"Port Type", 0, named(0x08, portType)},
}}
