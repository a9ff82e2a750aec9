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
func (p *printer) decodeOEM(s *dmi.Structure) bool {
	switch p.vendor {
	case vendorHP, vendorHPE:
		return p.decodeHP(s)
	case vendorIBM, vendorLenovo:
		return p.decodeLenovo(s)
	}
	return false
}

func (p *printer) decodeHP(s *dmi.Structure) bool {
	l, d := int(s.Length), s.Data()
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
		f := s.U8(4)
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
		str := func(off int) string { return s.String(s.U8(off)) }
		p.attr("Rack Name", "%s", str(4))
		p.attr("Enclosure Name", "%s", str(5))
		p.attr("Enclosure Model", "%s", str(6))
		p.attr("Enclosure Serial", "%s", str(0x0A))
		p.attr("Enclosure Bays", "%d", s.U8(8))
		p.attr("Server Bay", "%s", str(7))
		p.attr("Bays Filled", "%d", s.U8(9))
	case 209, 221:
		if s.Type == 221 {
			p.f("%s BIOS iSCSI NIC PCI and MAC Information\n", company)
		} else {
			p.f("%s BIOS PXE NIC PCI and MAC Information\n", company)
		}
		for nic, ptr := 1, 4; l >= ptr+8; nic, ptr = nic+1, ptr+8 {
			name := fmt.Sprintf("NIC %d", nic)
			switch {
			case s.U8(ptr) == 0 && s.U8(ptr+1) == 0:
				p.attr(name, "Disabled")
			case s.U8(ptr) == 0xFF && s.U8(ptr+1) == 0xFF:
				p.attr(name, "Not Installed")
			default:
				p.attr(name, "PCI device %02x:%02x.%x, MAC address %02X:%02X:%02X:%02X:%02X:%02X",
					s.U8(ptr+1), s.U8(ptr)>>3, s.U8(ptr)&7, s.U8(ptr+2), s.U8(ptr+3), s.U8(ptr+4), s.U8(ptr+5), s.U8(ptr+6), s.U8(ptr+7))
			}
		}
	case 212:
		p.f("%s 64-bit CRU Information\n", company)
		if l < 0x18 {
			return true
		}
		sig := s.U32(4)
		if printable(d[4:8]) {
			p.attr("Signature", "0x%08x (%s)", sig, string(d[4:8]))
		} else {
			p.attr("Signature", "0x%08x", sig)
		}
		if sig == 0x55524324 {
			addr := s.U64(8) + uint64(s.U32(0x14))
			p.attr("Physical Address", "0x%016x", addr)
			p.attr("Length", "0x%08x", s.U32(0x10))
		}
	case 219:
		p.f("%s ProLiant Information\n", company)
		if l < 0x08 {
			return true
		}
		p.attr("Power Features", "0x%08x", s.U32(4))
		if l < 0x0C {
			return true
		}
		p.attr("Omega Features", "0x%08x", s.U32(8))
		if l < 0x14 {
			return true
		}
		f := s.U32(0x10)
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

func (p *printer) decodeLenovo(s *dmi.Structure) bool {
	l, d := int(s.Length), s.Data()
	switch s.Type {
	case 131:
		if l != 0x16 || s.String(1) != "TVT-Enablement" {
			return false
		}
		p.f("ThinkVantage Technologies\n")
		p.attr("Version", "%d", s.U8(4))
		diag := "No"
		if s.U8(0x14)&0x80 != 0 {
			diag = "Available"
		}
		p.attr("Diagnostics", "%s", diag)
	case 135:
		if l < 0x0A || string(d[4:6]) != "TP" || s.U8(6) != 0x07 || s.U8(7) != 0x03 {
			return false
		}
		p.f("ThinkPad Device Presence Detection\n")
		fp := "No"
		if s.U8(9)&1 != 0 {
			fp = "Present"
		}
		p.attr("Fingerprint Reader", "%s", fp)
	case 140:
		if l < 0x0F || string(d[4:10]) != "LENOVO" || s.U8(0x0A) != 0x0B || s.U8(0x0B) != 0x07 {
			return false
		}
		p.f("ThinkPad Embedded Controller Program\n")
		p.attr("Version ID", "%s", s.String(s.U8(0x0D)))
		p.attr("Release Date", "%s", s.String(s.U8(0x0E)))
	default:
		return false
	}
	return true
}
