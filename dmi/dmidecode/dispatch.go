package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

// A typePrinter prints the structures of one SMBIOS type: the title line,
// then, when the formatted area is at least min bytes long, its fields or
// what body prints.
type typePrinter struct {
	// title is the first line; "" where body prints titles itself.
	title  string
	min    int
	fields []field
	body   func(*printer, *dmi.Structure)
}

// typePrinters holds the printer of every type dmidecode 3.4 decodes;
// types without one (and OEM types the vendor code does not know) are
// printed as a hex dump.
var typePrinters = [...]typePrinter{
	0:   {title: "BIOS Information", body: (*printer).biosInformation},
	1:   {title: "System Information", body: (*printer).systemInformation},
	2:   {title: "Base Board Information", body: (*printer).baseboardInformation},
	3:   {title: "Chassis Information", body: (*printer).systemEnclosure},
	4:   {title: "Processor Information", body: (*printer).processorInformation},
	5:   {title: "Memory Controller Information", min: 0x0F, body: (*printer).memoryControllerInformation},
	6:   {title: "Memory Module Information", min: 0x0C, body: (*printer).memoryModuleInformation},
	7:   {title: "Cache Information", body: (*printer).cacheInformation},
	8:   {title: "Port Connector Information", min: 0x09, fields: portConnectorFields},
	9:   {title: "System Slot Information", body: (*printer).systemSlots},
	10:  {body: (*printer).onboardDevicesInformation},
	11:  {title: "OEM Strings", body: (*printer).oemStrings},
	12:  {title: "System Configuration Options", body: (*printer).systemConfigurationOptions},
	13:  {title: "BIOS Language Information", min: 0x16, body: (*printer).biosLanguageInformation},
	14:  {title: "Group Associations", min: 0x05, body: (*printer).groupAssociations},
	15:  {title: "System Event Log", min: 0x14, body: (*printer).systemEventLog},
	16:  {title: "Physical Memory Array", body: (*printer).physicalMemoryArray},
	17:  {title: "Memory Device", body: (*printer).memoryDevice},
	18:  {title: "32-bit Memory Error Information", min: 0x17, fields: memoryError32Fields},
	19:  {title: "Memory Array Mapped Address", body: (*printer).memoryArrayMappedAddress},
	20:  {title: "Memory Device Mapped Address", min: 0x13, body: (*printer).memoryDeviceMappedAddress},
	21:  {title: "Built-in Pointing Device", min: 0x07, fields: pointingDeviceFields},
	22:  {title: "Portable Battery", min: 0x10, body: (*printer).portableBattery},
	23:  {title: "System Reset", min: 0x0D, body: (*printer).systemReset},
	24:  {title: "Hardware Security", min: 0x05, fields: hardwareSecurityFields},
	25:  {title: "System Power Controls", min: 0x09, body: (*printer).systemPowerControls},
	26:  {title: "Voltage Probe", min: 0x14, fields: voltageProbeFields},
	27:  {title: "Cooling Device", min: 0x0C, fields: coolingDeviceFields},
	28:  {title: "Temperature Probe", min: 0x14, fields: temperatureProbeFields},
	29:  {title: "Electrical Current Probe", min: 0x14, fields: currentProbeFields},
	30:  {title: "Out-of-band Remote Access", min: 0x06, fields: remoteAccessFields},
	31:  {title: "Boot Integrity Services Entry Point", min: 0x1C, body: (*printer).bootIntegrityServices},
	32:  {title: "System Boot Information", body: (*printer).systemBootInformation},
	33:  {title: "64-bit Memory Error Information", min: 0x1F, fields: memoryError64Fields},
	34:  {title: "Management Device", min: 0x0B, fields: managementDeviceFields},
	35:  {title: "Management Device Component", min: 0x0B, fields: managementDeviceComponentFields},
	36:  {title: "Management Device Threshold Data", min: 0x10, fields: thresholdFields},
	37:  {title: "Memory Channel", min: 0x07, body: (*printer).memoryChannel},
	38:  {title: "IPMI Device Information", body: (*printer).ipmiDeviceInformation},
	39:  {title: "System Power Supply", min: 0x10, body: (*printer).systemPowerSupply},
	40:  {min: 0x0B, body: (*printer).additionalInformation},
	41:  {title: "Onboard Device", body: (*printer).onboardDevicesExtended},
	43:  {title: "TPM Device", min: 0x1B, body: (*printer).tpmDevice},
	45:  {title: "Firmware Inventory Information", min: 0x18, body: (*printer).firmwareInventoryInformation},
	126: {title: "Inactive"},
	127: {title: "End Of Table"},
}

// decode prints one structure's decoded form followed by a blank line.
func (p *printer) decode(s *dmi.Structure) {
	var tp typePrinter
	if int(s.Type) < len(typePrinters) {
		tp = typePrinters[s.Type]
	}
	switch {
	case tp.title != "" || tp.body != nil:
		if tp.title != "" {
			p.w.WriteString(tp.title)
			p.w.WriteString("\n")
		}
		if int(s.Length) < tp.min {
			break
		}
		if tp.body != nil {
			tp.body(p, s)
		} else {
			p.fields(s, tp.fields)
		}
	case s.Type >= 128 && p.decodeOEM(s):
	case s.Type >= 128:
		p.f("OEM-specific Type\n")
		p.dumpWith(s, false)
	default:
		p.f("Unknown Type\n")
		p.dumpWith(s, false)
	}
	p.f("\n")
}
