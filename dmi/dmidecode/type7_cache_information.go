package dmidecode

import "github.com/bootinfo/bootinfo/dmi"

var cacheInformation = typePrinter{title: "Cache Information", body: viewBody(dmi.ParseCache, (*printer).cacheInformation)}

// cacheInformation prints a type 7 structure (DSP0134 7.8). Where the
// structure has the 32-bit sizes (3.1+), dmidecode prints them even when
// the 16-bit ones are larger.
func (p *printer) cacheInformation(s *dmi.Structure, c *dmi.Cache) {
	p.text("Socket Designation", c.SocketDesignation)
	en, so := "Disabled", "Not Socketed"
	if c.Enabled {
		en = "Enabled"
	}
	if c.Socketed {
		so = "Socketed"
	}
	p.attr("Configuration", "%s, %s, Level %d", en, so, c.Level)
	p.text("Operational Mode", c.OperationalMode)
	p.text("Location", c.Location)
	installed, maximum := c.InstalledSizeBytes, c.MaxSizeBytes
	if s.Length >= 0x1B {
		installed = c.InstalledSize2Bytes
	}
	if s.Length >= 0x17 {
		maximum = c.MaxSize2Bytes
	}
	p.text("Installed Size", memorySize(installed>>10, 1))
	p.text("Maximum Size", memorySize(maximum>>10, 1))
	p.flags("Supported SRAM Types", c.SupportedSRAMTypes, false)
	p.flags("Installed SRAM Type", c.CurrentSRAMType, true)
	if s.Length < 0x13 {
		return
	}
	p.text("Speed", moduleSpeed(c.SpeedNS))
	p.text("Error Correction Type", c.ErrorCorrection)
	p.text("System Type", c.SystemType)
	p.text("Associativity", c.Associativity)
}
