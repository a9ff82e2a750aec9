package dmidecode

import (
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

// width formats a bus width in bits, 0xFFFF also meaning unknown.
func width(v uint16) string {
	if v == 0xFFFF {
		return "Unknown"
	}
	return orUnknown(v, "%d bits")
}

// speedMTs formats a 16-bit speed, or the extended one when it is 0xFFFF.
func speedMTs(c1 uint16, c2 uint32) string {
	if c1 == 0xFFFF {
		return orUnknown(c2, "%d MT/s")
	}
	return orUnknown(c1, "%d MT/s")
}

func voltage(v uint16) string {
	if v == 0 {
		return "Unknown"
	}
	f := float64(v) / 1000
	if v%100 != 0 {
		return strings.TrimRight(fmt.Sprintf("%g", float32(f)), " ") + " V"
	}
	return fmt.Sprintf("%.1f V", f)
}

// memoryDeviceSize formats the size of a type 17 structure: dmidecode
// prints the extended size in the largest unit that divides it.
func memoryDeviceSize(m *dmi.MemoryDevice, length uint8) string {
	switch size := m.SizeCode; {
	case length >= 0x20 && size == 0x7FFF:
		switch c := m.SizeBytes >> 20; {
		case c&0x3FF != 0:
			return fmt.Sprintf("%d MB", c)
		case c&0xFFC00 != 0:
			return fmt.Sprintf("%d GB", c>>10)
		default:
			return fmt.Sprintf("%d TB", c>>20)
		}
	case size == 0:
		return "No Module Installed"
	case size == 0xFFFF:
		return "Unknown"
	case size&0x8000 != 0:
		return memorySize(uint64(size&0x7FFF), 1)
	default:
		return memorySize(uint64(size)<<10, 1)
	}
}

// jedecID formats a JEDEC manufacturer ID (bank and code), 0 unknown.
func jedecID(c uint16) string {
	if c == 0 {
		return "Unknown"
	}
	return fmt.Sprintf("Bank %d, Hex 0x%02X", (c&0x7F)+1, c>>8)
}

var memoryDevice = typePrinter{title: "Memory Device", body: viewBody(dmi.ParseMemoryDevice, (*printer).memoryDevice)}

// memoryDevice prints a type 17 structure (DSP0134 7.18).
func (p *printer) memoryDevice(s *dmi.Structure, m *dmi.MemoryDevice) {
	l := s.Length
	p.attr("Array Handle", "0x%04X", m.ArrayHandle)
	p.errorHandle(m.ErrorInformationHandle)
	p.text("Total Width", width(m.TotalWidth))
	p.text("Data Width", width(m.DataWidth))
	p.text("Size", memoryDeviceSize(m, l))
	p.text("Form Factor", m.FormFactor)
	switch m.Set {
	case 0:
		p.text("Set", "None")
	case 0xFF:
		p.text("Set", "Unknown")
	default:
		p.attr("Set", "%d", m.Set)
	}
	p.text("Locator", m.Locator)
	p.text("Bank Locator", m.BankLocator)
	p.text("Type", m.Type)
	p.flags("Type Detail", m.TypeDetail, true)
	if l < 0x17 || m.SizeCode == 0 {
		return
	}
	var x1, x2 uint32
	if l >= 0x5C {
		x1, x2 = m.ExtendedSpeed, m.ExtendedConfiguredSpeed
	}
	p.text("Speed", speedMTs(m.SpeedCode, x1))
	if l < 0x1B {
		return
	}
	p.text("Manufacturer", m.Manufacturer)
	p.part(m.Part)
	if l < 0x1C {
		return
	}
	if m.Rank == 0 {
		p.text("Rank", "Unknown")
	} else {
		p.attr("Rank", "%d", m.Rank)
	}
	if l < 0x22 {
		return
	}
	p.text("Configured Memory Speed", speedMTs(m.ConfiguredSpeedCode, x2))
	if l < 0x28 {
		return
	}
	p.text("Minimum Voltage", voltage(m.MinimumVoltageMV))
	p.text("Maximum Voltage", voltage(m.MaximumVoltageMV))
	p.text("Configured Voltage", voltage(m.ConfiguredVoltageMV))
	if l < 0x34 {
		return
	}
	p.text("Memory Technology", m.Technology)
	p.flags("Memory Operating Mode Capability", m.OperatingModes, true)
	p.text("Firmware Version", m.FirmwareVersion)
	p.text("Module Manufacturer ID", jedecID(m.ModuleManufacturerID))
	p.text("Module Product ID", orUnknown(m.ModuleProductID, "0x%04X"))
	p.text("Memory Subsystem Controller Manufacturer ID", jedecID(m.ControllerManufacturerID))
	p.text("Memory Subsystem Controller Product ID", orUnknown(m.ControllerProductID, "0x%04X"))
	for _, f := range []struct {
		name string
		min  uint8
		v    uint64
	}{
		{"Non-Volatile Size", 0x3C, m.NonVolatileSizeBytes}, {"Volatile Size", 0x44, m.VolatileSizeBytes},
		{"Cache Size", 0x4C, m.CacheSizeBytes}, {"Logical Size", 0x54, m.LogicalSizeBytes},
	} {
		if l < f.min {
			return
		}
		p.text(f.name, memSize64(f.v))
	}
}
