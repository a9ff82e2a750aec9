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
	0:   biosInformation,
	1:   systemInformation,
	2:   baseboardInformation,
	3:   systemEnclosure,
	4:   processorInformation,
	5:   memoryControllerInformation,
	6:   memoryModuleInformation,
	7:   cacheInformation,
	8:   portConnectorInformation,
	9:   systemSlots,
	10:  onboardDevicesInformation,
	11:  oemStrings,
	12:  systemConfigurationOptions,
	13:  biosLanguageInformation,
	14:  groupAssociations,
	15:  systemEventLog,
	16:  physicalMemoryArray,
	17:  memoryDevice,
	18:  memoryError32Information,
	19:  memoryArrayMappedAddress,
	20:  memoryDeviceMappedAddress,
	21:  builtInPointingDevice,
	22:  portableBattery,
	23:  systemReset,
	24:  hardwareSecurity,
	25:  systemPowerControls,
	26:  voltageProbe,
	27:  coolingDevice,
	28:  temperatureProbe,
	29:  electricalCurrentProbe,
	30:  outOfBandRemoteAccess,
	31:  bootIntegrityServices,
	32:  systemBootInformation,
	33:  memoryError64Information,
	34:  managementDevice,
	35:  managementDeviceComponent,
	36:  managementDeviceThresholdData,
	37:  memoryChannel,
	38:  ipmiDeviceInformation,
	39:  systemPowerSupply,
	40:  additionalInformation,
	41:  onboardDevicesExtended,
	43:  tpmDevice,
	45:  firmwareInventoryInformation,
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
		p.print(tp, s)
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

// print prints s as tp says.
func (p *printer) print(tp typePrinter, s *dmi.Structure) {
	if tp.title != "" {
		p.w.WriteString(tp.title)
		p.w.WriteString("\n")
	}
	switch {
	case int(s.Length) < tp.min:
	case tp.body != nil:
		tp.body(p, s)
	default:
		p.fields(s, tp.fields)
	}
}
