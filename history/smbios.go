package history

import (
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// FromSMBIOS returns a Record holding the hardware facts of an SMBIOS
// summary: BIOS (type 0), system identity (type 1), processors (type 4:
// the first populated socket's version string and the number of populated
// sockets), installed memory and DIMMs (type 17). The caller adds the boot
// facts (boot ID and time, kernel, command line, firmware mode, Secure Boot,
// default target) and may replace Processors with its own count.
//
// DIMMs are keyed by their locator; where a table repeats a locator (boards
// that name every slot "DIMM 0" and tell them apart by bank), the key is
// "BANK/LOCATOR" for every device, which is as stable as the table itself.
func FromSMBIOS(s *dmi.Summary) Record {
	var r Record
	if s == nil {
		return r
	}
	r.BIOS = BIOS{Vendor: s.BIOS.Vendor, Version: s.BIOS.Version, ReleaseDate: s.BIOS.ReleaseDate}
	r.System = System{UUID: s.System.UUID, SerialNumber: s.System.SerialNumber,
		Manufacturer: s.System.Manufacturer, ProductName: s.System.ProductName}
	if len(s.Processors) > 0 {
		r.Processors = Processors{Model: strings.TrimSpace(s.Processors[0].Version), Count: len(s.Processors)}
	}
	r.MemoryTotalBytes = s.Memory.TotalBytes
	seen := map[string]int{}
	for _, d := range s.Memory.Devices {
		seen[d.Locator]++
	}
	withBank := false
	for _, n := range seen {
		withBank = withBank || n > 1
	}
	for _, d := range s.Memory.Devices {
		loc := d.Locator
		if withBank && d.BankLocator != "" {
			loc = d.BankLocator + "/" + d.Locator
		}
		r.DIMMs = append(r.DIMMs, DIMM{Locator: loc, SizeBytes: d.SizeBytes, PartNumber: d.PartNumber, SerialNumber: d.SerialNumber})
	}
	return r
}
