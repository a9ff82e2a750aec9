package dmi

import (
	"errors"
	"strconv"
)

// Summary is the digest of a table that a collector turns into JSON as is.
// Names are dmidecode's where it has one (chassis type, memory type, ...).
type Summary struct {
	SMBIOSVersion string             `json:"smbios_version"`
	BIOS          SummaryBIOS        `json:"bios"`
	System        SummarySystem      `json:"system"`
	Baseboard     SummaryBaseboard   `json:"baseboard"`
	Chassis       SummaryChassis     `json:"chassis"`
	Processors    []SummaryProcessor `json:"processors"`
	Memory        SummaryMemory      `json:"memory"`
	// BootStatus is the type 32 status as BootStatusName words it.
	BootStatus string   `json:"boot_status"`
	OEMStrings []string `json:"oem_strings"`
}

// SummaryBIOS is the BIOS part of a Summary (type 0).
type SummaryBIOS struct {
	Vendor         string `json:"vendor"`
	Version        string `json:"version"`
	ReleaseDate    string `json:"release_date"`
	Revision       string `json:"revision"`
	ROMSizeBytes   uint64 `json:"rom_size_bytes"`
	UEFISupported  bool   `json:"uefi_supported"`
	VirtualMachine bool   `json:"virtual_machine"`
}

// SummarySystem is the system part of a Summary (type 1).
type SummarySystem struct {
	Manufacturer string `json:"manufacturer"`
	ProductName  string `json:"product_name"`
	Version      string `json:"version"`
	SerialNumber string `json:"serial_number"`
	UUID         string `json:"uuid"`
	SKUNumber    string `json:"sku_number"`
	Family       string `json:"family"`
	WakeUpType   string `json:"wake_up_type"`
}

// SummaryBaseboard is the baseboard part of a Summary (first type 2).
type SummaryBaseboard struct {
	Manufacturer string `json:"manufacturer"`
	ProductName  string `json:"product_name"`
	Version      string `json:"version"`
	SerialNumber string `json:"serial_number"`
	AssetTag     string `json:"asset_tag"`
}

// SummaryChassis is the chassis part of a Summary (first type 3).
type SummaryChassis struct {
	Type         string `json:"type"`
	Manufacturer string `json:"manufacturer"`
	Version      string `json:"version"`
	SerialNumber string `json:"serial_number"`
	AssetTag     string `json:"asset_tag"`
	SKUNumber    string `json:"sku_number"`
	BootUpState  string `json:"boot_up_state"`
	Lock         bool   `json:"lock"`
}

// SummaryProcessor is one type 4 structure of a Summary. Only sockets
// marked populated are listed.
type SummaryProcessor struct {
	Socket          string `json:"socket"`
	Manufacturer    string `json:"manufacturer"`
	Family          string `json:"family"`
	Version         string `json:"version"`
	MaxSpeedMHz     uint16 `json:"max_speed_mhz"`
	CurrentSpeedMHz uint16 `json:"current_speed_mhz"`
	Cores           uint16 `json:"cores"`
	Threads         uint16 `json:"threads"`
	Status          string `json:"status"`
}

// SummaryMemory sums up the type 16 and 17 structures.
type SummaryMemory struct {
	// TotalBytes sums the sizes of populated memory devices.
	TotalBytes uint64 `json:"total_bytes"`
	// MaxCapacityBytes sums the maximum capacities of system memory arrays.
	MaxCapacityBytes uint64 `json:"max_capacity_bytes"`
	// Slots counts memory devices (populated or not).
	Slots   int                   `json:"slots"`
	Devices []SummaryMemoryDevice `json:"devices"`
}

// SummaryMemoryDevice is one populated type 17 structure.
type SummaryMemoryDevice struct {
	Locator            string `json:"locator"`
	BankLocator        string `json:"bank_locator"`
	SizeBytes          uint64 `json:"size_bytes"`
	Type               string `json:"type"`
	FormFactor         string `json:"form_factor"`
	SpeedMTs           uint32 `json:"speed_mts"`
	ConfiguredSpeedMTs uint32 `json:"configured_speed_mts"`
	Manufacturer       string `json:"manufacturer"`
	SerialNumber       string `json:"serial_number"`
	PartNumber         string `json:"part_number"`
	Rank               uint8  `json:"rank"`
}

// Summary digests the table. Structures that are absent leave their part
// zero; the error joins the decoding errors met on the way (the summary is
// still filled as far as possible).
func (t *Table) Summary() (*Summary, error) {
	var errs []error
	keep := func(err error) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	s := &Summary{SMBIOSVersion: t.Version.String(), Processors: []SummaryProcessor{}, OEMStrings: t.OEMStrings()}
	if t.EntryPoint != nil {
		s.SMBIOSVersion = t.EntryPoint.VersionString()
	}
	if s.OEMStrings == nil {
		s.OEMStrings = []string{}
	}
	s.Memory.Devices = []SummaryMemoryDevice{}
	if b, err := t.BIOS(); err == nil {
		s.BIOS = SummaryBIOS{b.Vendor, b.Version, b.ReleaseDate, b.Revision, b.ROMSizeBytes, b.UEFISupported, b.VirtualMachine}
	} else {
		keep(err)
	}
	if y, err := t.System(); err == nil {
		s.System = SummarySystem{y.Manufacturer, y.ProductName, y.Version, y.SerialNumber, y.UUID, y.SKUNumber, y.Family, y.WakeUpType}
	} else {
		keep(err)
	}
	bbs, err := t.Baseboards()
	keep(err)
	if len(bbs) > 0 {
		b := bbs[0]
		s.Baseboard = SummaryBaseboard{b.Manufacturer, b.ProductName, b.Version, b.SerialNumber, b.AssetTag}
	}
	chs, err := t.Chassis()
	keep(err)
	if len(chs) > 0 {
		c := chs[0]
		s.Chassis = SummaryChassis{c.Type, c.Manufacturer, c.Version, c.SerialNumber, c.AssetTag, c.SKUNumber, c.BootUpState, c.Lock}
	}
	ps, err := t.Processors()
	keep(err)
	for _, p := range ps {
		if !p.Populated {
			continue
		}
		s.Processors = append(s.Processors, SummaryProcessor{p.SocketDesignation, p.Manufacturer, p.Family, p.Version,
			p.MaxSpeedMHz, p.CurrentSpeedMHz, p.CoreCount, p.ThreadCount, p.Status})
	}
	arrays, err := t.MemoryArrays()
	keep(err)
	for _, a := range arrays {
		if a.Use == "System Memory" {
			s.Memory.MaxCapacityBytes += a.MaxCapacityBytes
		}
	}
	devs, err := t.MemoryDevices()
	keep(err)
	s.Memory.Slots = len(devs)
	for _, d := range devs {
		if d.SizeBytes == 0 {
			continue
		}
		s.Memory.TotalBytes += d.SizeBytes
		s.Memory.Devices = append(s.Memory.Devices, SummaryMemoryDevice{d.Locator, d.BankLocator, d.SizeBytes, d.Type,
			d.FormFactor, d.SpeedMTs, d.ConfiguredSpeedMTs, d.Manufacturer, d.SerialNumber, d.PartNumber, d.Rank})
	}
	if b, err := t.BootInfo(); err == nil {
		s.BootStatus = b.Status
	} else {
		keep(err)
	}
	return s, errors.Join(errs...)
}

// summaryFromID fills a Summary from /sys/class/dmi/id attribute values.
func summaryFromID(v map[string]string) *Summary {
	s := &Summary{Processors: []SummaryProcessor{}, OEMStrings: []string{}}
	s.Memory.Devices = []SummaryMemoryDevice{}
	s.BIOS = SummaryBIOS{Vendor: v["bios_vendor"], Version: v["bios_version"], ReleaseDate: v["bios_date"], Revision: v["bios_release"]}
	s.System = SummarySystem{Manufacturer: v["sys_vendor"], ProductName: v["product_name"], Version: v["product_version"],
		SerialNumber: v["product_serial"], UUID: v["product_uuid"], SKUNumber: v["product_sku"], Family: v["product_family"]}
	s.Baseboard = SummaryBaseboard{v["board_vendor"], v["board_name"], v["board_version"], v["board_serial"], v["board_asset_tag"]}
	s.Chassis = SummaryChassis{Manufacturer: v["chassis_vendor"], Version: v["chassis_version"], SerialNumber: v["chassis_serial"], AssetTag: v["chassis_asset_tag"]}
	if n, err := strconv.ParseUint(v["chassis_type"], 10, 8); err == nil {
		s.Chassis.Type = ChassisTypeName(uint8(n))
	}
	return s
}
