package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var biosInformation = typePrinter{title: "BIOS Information", body: viewBody(dmi.ParseBIOS, (*printer).biosInformation)}

// biosInformation prints a type 0 structure (DSP0134 7.1).
func (p *printer) biosInformation(s *dmi.Structure, b *dmi.BIOS) {
	p.text("Vendor", b.Vendor)
	p.text("Version", b.Version)
	p.text("Release Date", b.ReleaseDate)
	if seg := b.StartSegment; seg != 0 {
		p.attr("Address", "0x%04X0", seg)
		code := (0x10000 - uint32(seg)) << 4
		if code&0x3FF != 0 {
			p.attr("Runtime Size", "%d bytes", code)
		} else {
			p.attr("Runtime Size", "%d kB", code>>10)
		}
	}
	if b.ROMSizeCode != 0xFF || s.Length < 0x1A {
		p.text("ROM Size", memorySize(b.ROMSizeBytes>>10, 1))
	} else {
		c := b.ExtendedROMSize
		p.attr("ROM Size", "%d %s", c&0x3FFF, []string{"MB", "GB", dmi.OutOfSpec, dmi.OutOfSpec}[c>>14])
	}
	p.list("Characteristics", b.Characteristics)
	if b.Revision != "" {
		p.text("BIOS Revision", b.Revision)
	}
	if b.FirmwareRevision != "" {
		p.text("Firmware Revision", b.FirmwareRevision)
	}
}

// uuid words a UUID field as dmidecode does.
func uuid(u string, st dmi.UUIDState) string {
	switch st {
	case dmi.UUIDNotPresent:
		return "Not Present"
	case dmi.UUIDNotSettable:
		return "Not Settable"
	}
	return u
}
