package dmidecode

import (
	"fmt"

	"github.com/bootinfo/bootinfo/dmi"
)

var eventLogMethods = []string{
	"Indexed I/O, one 8-bit index port, one 8-bit data port",
	"Indexed I/O, two 8-bit index ports, one 8-bit data port",
	"Indexed I/O, one 16-bit index port, one 8-bit data port",
	"Memory-mapped physical 32-bit address",
	"General-purpose non-volatile data functions",
}

var eventLogDescriptors = []string{
	"", "Single-bit ECC memory error", "Multi-bit ECC memory error", "Parity memory error", "Bus timeout",
	"I/O channel block", "Software NMI", "POST memory resize", "POST error", "PCI parity error",
	"PCI system error", "CPU failure", "EISA failsafe timer timeout", "Correctable memory log disabled",
	"Logging disabled", "", "System limit exceeded", "Asynchronous hardware timer expired",
	"System configuration information", "Hard disk information", "System reconfigured",
	"Uncorrectable CPU-complex error", "Log area reset/cleared", "System boot",
}

var eventLogFormats = []string{"None", "Handle", "Multiple-event", "Multiple-event handle", "POST results bitmap",
	"System management", "Multiple-event system management"}

// oemOr names v from tbl, values 0x80 and up being OEM-specific.
func oemOr(tbl []string, v uint8) string {
	if v >= 0x80 {
		return "OEM-specific"
	}
	return dmi.Lookup(tbl, 0, int(v))
}

var systemEventLog = typePrinter{title: "System Event Log", min: 0x14, body: (*printer).systemEventLog}

// systemEventLog prints a type 15 structure (DSP0134 7.16).
func (p *printer) systemEventLog(s *dmi.Structure) {
	p.attr("Area Length", "%d bytes", s.U16(4))
	p.attr("Header Start Offset", "0x%04X", s.U16(6))
	if hl := int(s.U16(8)) - int(s.U16(6)); hl != 0 {
		plural := ""
		if hl > 1 {
			plural = "s"
		}
		p.attr("Header Length", "%d byte%s", uint32(hl), plural)
	}
	p.attr("Data Start Offset", "0x%04X", s.U16(8))
	m := s.U8(0x0A)
	p.text("Access Method", oemOr(eventLogMethods, m))
	switch m {
	case 0, 1, 2:
		p.attr("Access Address", "Index 0x%04X, Data 0x%04X", s.U16(0x10), s.U16(0x12))
	case 3:
		p.attr("Access Address", "0x%08X", s.U32(0x10))
	case 4:
		p.attr("Access Address", "0x%04X", s.U16(0x10))
	default:
		p.text("Access Address", "Unknown")
	}
	st := s.U8(0x0B)
	p.attr("Status", "%s, %s", []string{"Invalid", "Valid"}[st&1], []string{"Not Full", "Full"}[st>>1&1])
	p.attr("Change Token", "0x%08X", s.U32(0x0C))
	if s.Length < 0x17 {
		return
	}
	p.text("Header Format", oemOr([]string{"No Header", "Type 1"}, s.U8(0x14)))
	n, sz := int(s.U8(0x15)), int(s.U8(0x16))
	p.attr("Supported Log Type Descriptors", "%d", n)
	if int(s.Length) < 0x17+n*sz || sz < 2 {
		return
	}
	for i := 0; i < n; i++ {
		desc := oemOr(eventLogDescriptors, s.U8(0x17+i*sz))
		if s.U8(0x17+i*sz) == 0xFF {
			desc = "End of log"
		}
		p.text(fmt.Sprintf("Descriptor %d", i+1), desc)
		p.text(fmt.Sprintf("Data Format %d", i+1), oemOr(eventLogFormats, s.U8(0x17+i*sz+1)))
	}
}
