package dmidecode

import (
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// Vendor-specific (OEM, types 128-255) decoding. dmidecode picks the vendor
// from the first type 1 structure's manufacturer as the walk reaches it, so
// OEM structures before it are printed in the generic hex form.

type vendor int

const (
	vendorNone vendor = iota
	vendorHP
	vendorHPE
	vendorIBM
	vendorLenovo
)

// setVendor records the vendor named by a type 1 structure.
func (p *printer) setVendor(s *dmi.Structure) {
	if s.Length < 6 {
		return
	}
	m, _ := s.RawString(s.Raw[4])
	switch strings.TrimRight(m, " \t\n") {
	case "HP", "Hewlett-Packard":
		p.vendor = vendorHP
	case "HPE", "Hewlett Packard Enterprise":
		p.vendor = vendorHPE
	case "IBM":
		p.vendor = vendorIBM
	case "LENOVO":
		p.vendor = vendorLenovo
	default:
		p.vendor = vendorNone
	}
}

// An oemType prints one OEM type of a vendor: structures match accepts
// (all when it is nil) print as typePrinter says.
type oemType struct {
	typePrinter
	match func(*dmi.Structure) bool
}

// decodeOEM prints a vendor-specific structure and reports whether it knew
// it.
func (p *printer) decodeOEM(s *dmi.Structure) bool {
	var o oemType
	company := ""
	switch p.vendor {
	case vendorHP:
		o, company = hpTypes[s.Type], "HP "
	case vendorHPE:
		o, company = hpTypes[s.Type], "HPE "
	case vendorIBM, vendorLenovo:
		o = lenovoTypes[s.Type]
	}
	if o.title == "" || o.match != nil && !o.match(s) {
		return false
	}
	p.w.WriteString(company)
	p.print(o.typePrinter, s)
	return true
}

// hpTypes are the HP and HPE OEM types dmidecode decodes; their titles
// follow the company name.
var hpTypes = map[uint8]oemType{
	194: {typePrinter: typePrinter{title: "ProLiant Super IO Enable/Disable Indicator", min: 0x05, fields: []field{
		{"Serial Port A", 0, enabledBit(0x04, 0)},
		{"Serial Port B", 0, enabledBit(0x04, 1)},
		{"Parallel Port", 0, enabledBit(0x04, 2)},
		{"Floppy Disk Port", 0, enabledBit(0x04, 3)},
		{"Virtual Serial Port", 0, enabledBit(0x04, 4)},
	}}},
	204: {typePrinter: typePrinter{title: "ProLiant System/Rack Locator", min: 0x0B, fields: []field{
		{"Rack Name", 0, str(0x04)},
		{"Enclosure Name", 0, str(0x05)},
		{"Enclosure Model", 0, str(0x06)},
		{"Enclosure Serial", 0, str(0x0A)},
		{"Enclosure Bays", 0, decimal(0x08)},
		{"Server Bay", 0, str(0x07)},
		{"Bays Filled", 0, decimal(0x09)},
	}}},
	209: {typePrinter: typePrinter{title: "BIOS PXE NIC PCI and MAC Information", body: (*printer).hpNICs}},
	212: {typePrinter: typePrinter{title: "64-bit CRU Information", min: 0x18, body: (*printer).hpCRU}},
	219: {typePrinter: typePrinter{title: "ProLiant Information", min: 0x08, body: (*printer).hpProLiantInformation}},
	221: {typePrinter: typePrinter{title: "BIOS iSCSI NIC PCI and MAC Information", body: (*printer).hpNICs}},
}

// hpNICs prints HP types 209 and 221: a PCI address and MAC address per
// 8-byte record.
func (p *printer) hpNICs(s *dmi.Structure) {
	for nic, ptr := 1, 4; int(s.Length) >= ptr+8; nic, ptr = nic+1, ptr+8 {
		name := fmt.Sprintf("NIC %d", nic)
		switch {
		case s.U8(ptr) == 0 && s.U8(ptr+1) == 0:
			p.text(name, "Disabled")
		case s.U8(ptr) == 0xFF && s.U8(ptr+1) == 0xFF:
			p.text(name, "Not Installed")
		default:
			p.attr(name, "PCI device %02x:%02x.%x, MAC address %02X:%02X:%02X:%02X:%02X:%02X",
				s.U8(ptr+1), s.U8(ptr)>>3, s.U8(ptr)&7, s.U8(ptr+2), s.U8(ptr+3), s.U8(ptr+4), s.U8(ptr+5), s.U8(ptr+6), s.U8(ptr+7))
		}
	}
}

// hpCRU prints HP type 212.
func (p *printer) hpCRU(s *dmi.Structure) {
	sig := s.U32(4)
	if d := s.Data(); printable(d[4:8]) {
		p.attr("Signature", "0x%08x (%s)", sig, string(d[4:8]))
	} else {
		p.attr("Signature", "0x%08x", sig)
	}
	if sig == 0x55524324 {
		p.attr("Physical Address", "0x%016x", s.U64(8)+uint64(s.U32(0x14)))
		p.attr("Length", "0x%08x", s.U32(0x10))
	}
}

// hpProLiantInformation prints HP type 219.
func (p *printer) hpProLiantInformation(s *dmi.Structure) {
	p.attr("Power Features", "0x%08x", s.U32(4))
	if s.Length < 0x0C {
		return
	}
	p.attr("Omega Features", "0x%08x", s.U32(8))
	if s.Length < 0x14 {
		return
	}
	f := s.U32(0x10)
	p.attr("Misc. Features", "0x%08x", f)
	yes := map[bool]string{true: "Yes", false: "No"}
	p.item("iCRU: %s", yes[f&0x0001 != 0])
	p.item("UEFI: %s", yes[f&0x1400 != 0])
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

// signature reports whether the formatted area holds sig at offset 4.
func signature(s *dmi.Structure, sig string) bool {
	return int(s.Length) >= 4+len(sig) && string(s.Raw[4:4+len(sig)]) == sig
}

// lenovoTypes are the Lenovo (and IBM) OEM types dmidecode decodes, each
// recognised by its length and a signature.
var lenovoTypes = map[uint8]oemType{
	131: {
		typePrinter: typePrinter{title: "ThinkVantage Technologies", fields: []field{
			{"Version", 0, decimal(0x04)},
			{"Diagnostics", 0, flag(0x14, 0x80, "Available", "No")},
		}},
		match: func(s *dmi.Structure) bool { return s.Length == 0x16 && s.String(1) == "TVT-Enablement" },
	},
	135: {
		typePrinter: typePrinter{title: "ThinkPad Device Presence Detection", fields: []field{
			{"Fingerprint Reader", 0, flag(0x09, 1, "Present", "No")},
		}},
		match: func(s *dmi.Structure) bool { return s.Length >= 0x0A && signature(s, "TP\x07\x03") },
	},
	140: {
		typePrinter: typePrinter{title: "ThinkPad Embedded Controller Program", fields: []field{
			{"Version ID", 0, str(0x0D)},
			{"Release Date", 0, str(0x0E)},
		}},
		match: func(s *dmi.Structure) bool { return s.Length >= 0x0F && signature(s, "LENOVO\x0B\x07") },
	},
}
