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
	prod, _ := s.RawString(s.Raw[5])
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
	p.product = prod
}

// decodeOEM prints a vendor-specific structure and reports whether it knew
// it.
func (p *printer) decodeOEM(s *dmi.Structure, d fields, l int) bool {
	switch p.vendor {
	case vendorHP, vendorHPE:
		return p.decodeHP(s, d, l)
	case vendorIBM, vendorLenovo:
		return p.decodeLenovo(s, d, l)
	}
	return false
}

func enabled(b bool) string {
	if b {
		return "Enabled"
	}
	return "Disabled"
}

func (p *printer) decodeHP(s *dmi.Structure, d fields, l int) bool {
	company := "HP"
	if p.vendor == vendorHPE {
		company = "HPE"
	}
	switch s.Type {
	case 194:
		p.f("%s ProLiant Super IO Enable/Disable Indicator\n", company)
		if l < 0x05 {
			return true
		}
		f := d.b(4)
		p.attr("Serial Port A", "%s", enabled(f&1 != 0))
		p.attr("Serial Port B", "%s", enabled(f&2 != 0))
		p.attr("Parallel Port", "%s", enabled(f&4 != 0))
		p.attr("Floppy Disk Port", "%s", enabled(f&8 != 0))
		p.attr("Virtual Serial Port", "%s", enabled(f&16 != 0))
	case 204:
		p.f("%s ProLiant System/Rack Locator\n", company)
		if l < 0x0B {
			return true
		}
		str := func(off int) string { return s.String(d.b(off)) }
		p.attr("Rack Name", "%s", str(4))
		p.attr("Enclosure Name", "%s", str(5))
		p.attr("Enclosure Model", "%s", str(6))
		p.attr("Enclosure Serial", "%s", str(0x0A))
		p.attr("Enclosure Bays", "%d", d.b(8))
		p.attr("Server Bay", "%s", str(7))
		p.attr("Bays Filled", "%d", d.b(9))
	case 209, 221:
		if s.Type == 221 {
			p.f("%s BIOS iSCSI NIC PCI and MAC Information\n", company)
		} else {
			p.f("%s BIOS PXE NIC PCI and MAC Information\n", company)
		}
		for nic, ptr := 1, 4; l >= ptr+8; nic, ptr = nic+1, ptr+8 {
			name := fmt.Sprintf("NIC %d", nic)
			switch {
			case d.b(ptr) == 0 && d.b(ptr+1) == 0:
				p.attr(name, "Disabled")
			case d.b(ptr) == 0xFF && d.b(ptr+1) == 0xFF:
				p.attr(name, "Not Installed")
			default:
				p.attr(name, "PCI device %02x:%02x.%x, MAC address %02X:%02X:%02X:%02X:%02X:%02X",
					d.b(ptr+1), d.b(ptr)>>3, d.b(ptr)&7, d.b(ptr+2), d.b(ptr+3), d.b(ptr+4), d.b(ptr+5), d.b(ptr+6), d.b(ptr+7))
			}
		}
	case 212:
		p.f("%s 64-bit CRU Information\n", company)
		if l < 0x18 {
			return true
		}
		sig := d.dw(4)
		if printable(d[4:8]) {
			p.attr("Signature", "0x%08x (%s)", sig, string(d[4:8]))
		} else {
			p.attr("Signature", "0x%08x", sig)
		}
		if sig == 0x55524324 {
			addr := d.qw(8) + uint64(d.dw(0x14))
			p.attr("Physical Address", "0x%016x", addr)
			p.attr("Length", "0x%08x", d.dw(0x10))
		}
	case 219:
		p.f("%s ProLiant Information\n", company)
		if l < 0x08 {
			return true
		}
		p.attr("Power Features", "0x%08x", d.dw(4))
		if l < 0x0C {
			return true
		}
		p.attr("Omega Features", "0x%08x", d.dw(8))
		if l < 0x14 {
			return true
		}
		f := d.dw(0x10)
		p.attr("Misc. Features", "0x%08x", f)
		yes := map[bool]string{true: "Yes", false: "No"}
		p.item("iCRU: %s", yes[f&0x0001 != 0])
		p.item("UEFI: %s", yes[f&0x1400 != 0])
	default:
		return false
	}
	return true
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

func (p *printer) decodeLenovo(s *dmi.Structure, d fields, l int) bool {
	switch s.Type {
	case 131:
		if l != 0x16 || s.String(1) != "TVT-Enablement" {
			return false
		}
		p.f("ThinkVantage Technologies\n")
		p.attr("Version", "%d", d.b(4))
		diag := "No"
		if d.b(0x14)&0x80 != 0 {
			diag = "Available"
		}
		p.attr("Diagnostics", "%s", diag)
	case 135:
		if l < 0x0A || string(d[4:6]) != "TP" || d.b(6) != 0x07 || d.b(7) != 0x03 {
			return false
		}
		p.f("ThinkPad Device Presence Detection\n")
		fp := "No"
		if d.b(9)&1 != 0 {
			fp = "Present"
		}
		p.attr("Fingerprint Reader", "%s", fp)
	case 140:
		if l < 0x0F || string(d[4:10]) != "LENOVO" || d.b(0x0A) != 0x0B || d.b(0x0B) != 0x07 {
			return false
		}
		p.f("ThinkPad Embedded Controller Program\n")
		p.attr("Version ID", "%s", s.String(d.b(0x0D)))
		p.attr("Release Date", "%s", s.String(d.b(0x0E)))
	default:
		return false
	}
	return true
}
