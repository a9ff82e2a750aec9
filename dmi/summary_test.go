package dmi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	"github.com/google/go-cmp/cmp"
)

// The expected values are what dmidecode 3.4 prints for the same dumps.
func TestSummary(t *testing.T) {
	tb, err := parseDump(t, "go-smbios-Beelink-EQ12")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tb.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if got.SMBIOSVersion != "3.5.0" || got.BIOS.Vendor != "American Megatrends International, LLC." ||
		got.BIOS.Version != "N95V106" || got.BIOS.ReleaseDate != "12/15/2023" || got.BIOS.Revision != "5.26" ||
		!got.BIOS.UEFISupported || got.BIOS.VirtualMachine || got.BIOS.ROMSizeBytes != 0 {
		t.Errorf("bios/version: %q %+v", got.SMBIOSVersion, got.BIOS)
	}
	if got.Chassis.Type != "Desktop" || got.Baseboard.Manufacturer != "AZW" || got.Baseboard.ProductName != "EQ" {
		t.Errorf("chassis %+v, baseboard %+v", got.Chassis, got.Baseboard)
	}
	wantMem := SummaryMemory{
		TotalBytes: 16 << 30, MaxCapacityBytes: 64 << 30, Slots: 2,
		Devices: []SummaryMemoryDevice{{
			Locator: "Controller0-ChannelA-DIMM0", BankLocator: "BANK 0", SizeBytes: 16 << 30, Type: "DDR5",
			FormFactor: "SODIMM", SpeedMTs: 5600, ConfiguredSpeedMTs: 4800, Manufacturer: "Crucial Technology",
			SerialNumber: "E8FBFFE2", PartNumber: "CT16G56C46S5.M8G1", Rank: 1,
		}},
	}
	if diff := cmp.Diff(wantMem, got.Memory); diff != "" {
		t.Errorf("memory (-want +got):\n%s", diff)
	}
	wantCPU := []SummaryProcessor{{Socket: "U3E1", Manufacturer: "Intel(R) Corporation", Family: "Other",
		Version: "Intel(R) N100", MaxSpeedMHz: 3400, CurrentSpeedMHz: 2871, Cores: 4, Threads: 4, Status: "Enabled"}}
	if diff := cmp.Diff(wantCPU, got.Processors); diff != "" {
		t.Errorf("processors (-want +got):\n%s", diff)
	}
	if got.BootStatus != "No errors detected" {
		t.Errorf("boot status %q", got.BootStatus)
	}
	// Every dump summarises, and the JSON names are the agreed ones.
	for _, p := range dmitest.Dumps(t) {
		tb, _ := ParseDumpBin(dmitest.ReadFile(t, p))
		s, _ := tb.Summary()
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{`"smbios_version"`, `"rom_size_bytes"`, `"uefi_supported"`, `"virtual_machine"`,
			`"wake_up_type"`, `"sku_number"`, `"max_capacity_bytes"`, `"total_bytes"`, `"configured_speed_mts"`,
			`"boot_status"`, `"oem_strings"`, `"bank_locator"`} {
			if len(s.Memory.Devices) == 0 && (k == `"bank_locator"` || k == `"configured_speed_mts"`) {
				continue
			}
			if !bytes.Contains(b, []byte(k)) {
				t.Errorf("%s: JSON lacks %s", filepath.Base(p), k)
			}
		}
	}
}

// Extended sizes: type 17 0x7FFF with the extended size, type 16
// 0x80000000 with the extended capacity, type 0 extended ROM size.
func TestExtendedSizes(t *testing.T) {
	mk := func(typ uint8, l int, set func([]byte)) *Structure {
		raw := make([]byte, l+2)
		raw[0], raw[1] = typ, byte(l)
		set(raw)
		return &Structure{Type: typ, Length: byte(l), DeclaredLength: byte(l), Raw: raw}
	}
	m, err := ParseMemoryDevice(mk(17, 0x28, func(b []byte) {
		b[0x0C], b[0x0D] = 0xFF, 0x7F
		b[0x1C], b[0x1D] = 0x00, 0x80 // 32768 MiB
		b[0x15], b[0x16] = 0xFF, 0xFF
	}))
	if err != nil || m.SizeBytes != 32<<30 || m.SpeedMTs != 0 {
		t.Errorf("extended size: %+v, %v", m, err)
	}
	m, _ = ParseMemoryDevice(mk(17, 0x15, func(b []byte) { b[0x0C], b[0x0D] = 0x00, 0x82 })) // 512 KiB
	if m.SizeBytes != 512<<10 {
		t.Errorf("KiB size: %d", m.SizeBytes)
	}
	m, _ = ParseMemoryDevice(mk(17, 0x5C, func(b []byte) {
		b[0x0C] = 1
		b[0x15], b[0x16] = 0xFF, 0xFF
		b[0x54], b[0x55] = 0x40, 0x1F // 8000
	}))
	if m.SpeedMTs != 8000 {
		t.Errorf("extended speed: %d", m.SpeedMTs)
	}
	a, _ := ParseMemoryArray(mk(16, 0x17, func(b []byte) {
		b[0x0A] = 0x80
		b[0x0F+5] = 0x10 // 16 TiB
	}))
	if a.MaxCapacityBytes != 16<<40 {
		t.Errorf("extended capacity: %d", a.MaxCapacityBytes)
	}
	bi, _ := ParseBIOS(mk(0, 0x1A, func(b []byte) { b[0x09] = 0xFF; b[0x18], b[0x19] = 0x20, 0x00 }))
	if bi.ROMSizeBytes != 32<<20 {
		t.Errorf("extended ROM size: %d", bi.ROMSizeBytes)
	}
	bi, _ = ParseBIOS(mk(0, 0x1A, func(b []byte) { b[0x09] = 0xFF; b[0x18], b[0x19] = 0x02, 0x40; b[0x13] = 0x18 }))
	if bi.ROMSizeBytes != 2<<30 || !bi.UEFISupported || !bi.VirtualMachine {
		t.Errorf("GiB ROM size / UEFI / VM: %+v", bi)
	}
	p, _ := ParseProcessor(mk(4, 0x30, func(b []byte) {
		b[0x06] = 0xFE
		b[0x28], b[0x29] = 0x01, 0x01 // ARMv8
		b[0x23], b[0x24], b[0x25] = 0xFF, 0xFF, 0xFF
		b[0x2A], b[0x2B] = 0x00, 0x01 // 256 cores
		b[0x2C], b[0x2D] = 0x00, 0x01
		b[0x2E], b[0x2F] = 0x00, 0x02 // 512 threads
		b[0x18] = 0x41
	}))
	if p.Family != "ARMv8" || p.CoreCount != 256 || p.ThreadCount != 512 || p.Status != "Enabled" || !p.Populated {
		t.Errorf("processor family 2 / counts: %+v", p)
	}
}

func TestIDSummary(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, IDDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"bios_vendor": "EFI Development Kit II / OVMF\n", "bios_version": "0.0.0\n", "bios_date": "02/06/2015\n",
		"sys_vendor": "QEMU\n", "product_name": "Standard PC (Q35 + ICH9, 2009)\n", "chassis_type": "1\n",
		"board_vendor": "Acme\n",
	}
	for n, v := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := NewFS(root).IDSummary()
	if err != nil {
		t.Fatal(err)
	}
	want := &Summary{
		BIOS:       SummaryBIOS{Vendor: "EFI Development Kit II / OVMF", Version: "0.0.0", ReleaseDate: "02/06/2015"},
		System:     SummarySystem{Manufacturer: "QEMU", ProductName: "Standard PC (Q35 + ICH9, 2009)"},
		Baseboard:  SummaryBaseboard{Manufacturer: "Acme"},
		Chassis:    SummaryChassis{Type: "Other"},
		Processors: []SummaryProcessor{}, OEMStrings: []string{},
		Memory: SummaryMemory{Devices: []SummaryMemoryDevice{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IDSummary (-want +got):\n%s", diff)
	}
	if _, err := NewFS(t.TempDir()).IDSummary(); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing dir: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// Every sysfs copy reads through NewFS, and its dump-bin form parses back to
// the same structures.
func TestSysfsAndDumpBin(t *testing.T) {
	entries, err := os.ReadDir(dmitest.SysfsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			tb, err := NewFS(dmitest.SysfsRoot(t, e.Name(), TablesDir)).Table()
			if err != nil {
				t.Fatal(err)
			}
			if len(tb.Structures) == 0 || tb.Structures[len(tb.Structures)-1].Type != 127 {
				t.Errorf("%d structures, no end-of-table", len(tb.Structures))
			}
			var buf bytes.Buffer
			if err := tb.WriteDumpBin(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := ParseDumpBin(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if back.EntryPoint.TableAddress != 0x20 || len(back.Structures) != len(tb.Structures) || !bytes.Equal(back.Raw, tb.Raw) {
				t.Errorf("dump-bin round trip differs")
			}
		})
	}
	// The corpus dumps were written by dmidecode --dump-bin: rewriting them
	// must give the same bytes.
	for _, p := range dmitest.Dumps(t) {
		raw := dmitest.ReadFile(t, p)
		tb, _ := ParseDumpBin(raw)
		var buf bytes.Buffer
		if err := tb.WriteDumpBin(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), raw) {
			t.Errorf("%s: WriteDumpBin output differs from the dmidecode dump (%d vs %d bytes)", filepath.Base(p), buf.Len(), len(raw))
		}
	}
}

func TestFSSummaryFallback(t *testing.T) {
	// With the raw tables, they are used.
	root := dmitest.SysfsRoot(t, "qemu-ovmf-q35", TablesDir)
	s, fromTables, err := NewFS(root).Summary()
	if err != nil || !fromTables || s.System.Manufacturer != "QEMU" || s.SMBIOSVersion != "2.8" {
		t.Errorf("with tables: %v, %v, %+v", fromTables, err, s)
	}
	// Without them, /sys/class/dmi/id is.
	root = t.TempDir()
	dir := filepath.Join(root, IDDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sys_vendor"), []byte("Acme\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, fromTables, err = NewFS(root).Summary()
	if err != nil || fromTables || s.System.Manufacturer != "Acme" {
		t.Errorf("without tables: %v, %v, %+v", fromTables, err, s)
	}
	// Neither: an error wrapping fs.ErrNotExist.
	if _, _, err := NewFS(t.TempDir()).Summary(); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("empty sysfs: %v", err)
	}
}
