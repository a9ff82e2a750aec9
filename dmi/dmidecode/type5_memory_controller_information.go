package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var moduleTypes = []string{"Other", "Unknown", "Standard", "FPM", "EDO", "Parity", "ECC", "SIMM", "DIMM", "Burst EDO", "SDRAM"}

var errorCorrectingCapabilities = []string{"Other", "Unknown", "None", "Single-bit Error Correcting",
	"Double-bit Error Correcting", "Error Scrubbing"}

var interleaves = []string{"Other", "Unknown", "One-way Interleave", "Two-way Interleave", "Four-way Interleave",
	"Eight-way Interleave", "Sixteen-way Interleave"}

var memoryControllerInformation = typePrinter{title: "Memory Controller Information", min: 0x0F, body: (*printer).memoryControllerInformation}

// memoryControllerInformation prints a type 5 structure (DSP0134 7.6).
func (p *printer) memoryControllerInformation(s *dmi.Structure) {
	ed := []string{"Other", "Unknown", "None", "8-bit Parity", "32-bit ECC", "64-bit ECC", "128-bit ECC", "CRC"}
	p.text("Error Detecting Method", dmi.Lookup(ed, 1, int(s.U8(4))))
	ecCaps := func(attr string, v uint8) {
		p.flags(attr, dmi.FlagNames(uint64(v), errorCorrectingCapabilities, 0), false)
	}
	ecCaps("Error Correcting Capabilities", s.U8(5))
	p.text("Supported Interleave", dmi.Lookup(interleaves, 1, int(s.U8(6))))
	p.text("Current Interleave", dmi.Lookup(interleaves, 1, int(s.U8(7))))
	p.attr("Maximum Memory Module Size", "%d MB", uint64(1)<<(s.U8(8)&63))
	p.attr("Maximum Total Memory Size", "%d MB", uint64(s.U8(0x0E))*(uint64(1)<<(s.U8(8)&63)))
	p.flags("Supported Speeds", dmi.FlagNames(uint64(s.U16(9)), []string{"Other", "Unknown", "70 ns", "60 ns", "50 ns"}, 0), false)
	p.flags("Supported Memory Types", dmi.FlagNames(uint64(s.U16(0x0B)), moduleTypes, 0), false)
	p.text("Memory Module Voltage", processorVoltage(s.U8(0x0D)))
	n := int(s.U8(0x0E))
	if int(s.Length) < 0x0F+2*n {
		return
	}
	p.handles("Associated Memory Slots", words(s, 0x0F, n))
	if int(s.Length) < 0x10+2*n {
		return
	}
	ecCaps("Enabled Error Correcting Capabilities", s.U8(0x0F+2*n))
}
