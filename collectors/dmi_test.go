package collectors

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// dmiRoot builds a sysfs root whose firmware/dmi/tables holds one of the
// shared corpus's exact copies of a machine's sysfs tables.
func dmiRoot(t *testing.T, sample string) string {
	t.Helper()
	src := testutil.Shared(t, "smbios", "sysfs", sample)
	sys := t.TempDir()
	dir := filepath.Join(sys, "firmware", "dmi", "tables")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		// A copy: an absolute link resolves inside the sysfs root.
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	return sys
}

func collectDMI(t *testing.T, sys string, serials bool) (*DMISection, *Snapshot) {
	t.Helper()
	_, snap := collect(t, NewDMICollector, Config{Paths: Paths{SysFS: sys}, DMI: DMIConfig{Serials: serials}})
	return snap.Section.(*DMISection), snap
}

// dmidecodeString asks Debian's dmidecode for one keyword of a dump.
func dmidecodeString(t *testing.T, dump, kw string) string {
	t.Helper()
	out, err := exec.Command("dmidecode", "--from-dump", dump, "-s", kw).Output()
	if err != nil {
		t.Fatalf("dmidecode -s %s: %v", kw, err)
	}
	return strings.TrimRight(string(out), "\n")
}

// TestDMISysfsAgainstDmidecode reads each real sysfs table copy through the
// collector and checks its facts against Debian's dmidecode decoding the
// same bytes.
func TestDMISysfsAgainstDmidecode(t *testing.T) {
	if _, err := exec.LookPath("dmidecode"); err != nil {
		testutil.SkipOrFail(t, "dmidecode not installed")
	}
	samples, err := os.ReadDir(testutil.Shared(t, "smbios", "sysfs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		t.Run(s.Name(), func(t *testing.T) {
			sys := dmiRoot(t, s.Name())
			sec, snap := collectDMI(t, sys, true)
			if sec.Source != "tables" {
				t.Fatalf("source %q", sec.Source)
			}
			ep, tbl, err := dmi.NewFS(sys).RawTables()
			if err != nil {
				t.Fatal(err)
			}
			parsedEP, err := dmi.ParseEntryPoint(ep)
			if err != nil {
				t.Fatal(err)
			}
			var dump bytes.Buffer
			if err := dmi.WriteDumpBin(&dump, parsedEP, tbl); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "dump.bin")
			if err := os.WriteFile(path, dump.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			for kw, got := range map[string]string{
				"bios-vendor":            sec.BIOS.Vendor,
				"bios-version":           sec.BIOS.Version,
				"bios-release-date":      sec.BIOS.ReleaseDate,
				"system-manufacturer":    sec.System.Manufacturer,
				"system-product-name":    sec.System.ProductName,
				"system-serial-number":   sec.System.SerialNumber,
				"system-uuid":            sec.System.UUID,
				"baseboard-manufacturer": sec.Baseboard.Manufacturer,
				"chassis-type":           sec.Chassis.Type,
			} {
				// The summary leaves a field empty where dmidecode prints a
				// placeholder for "no value" (an all-zero or all-FF UUID).
				placeholder := map[string]bool{"": true, "Not Specified": true, "Not Settable": true, "Not Present": true}
				if want := dmidecodeString(t, path, kw); got != want && !(got == "" && placeholder[want]) {
					t.Errorf("%s = %q, dmidecode says %q", kw, got, want)
				}
			}
			// Installed memory: the sum of dmidecode's type 17 sizes.
			out, err := exec.Command("dmidecode", "--from-dump", path, "-t", "17").Output()
			if err != nil {
				t.Fatal(err)
			}
			if want := sumSizes(t, string(out)); sec.Memory.TotalBytes != want {
				t.Errorf("memory total %d, dmidecode's type 17 sizes add up to %d", sec.Memory.TotalBytes, want)
			}
			m := metricsText(t, snap, "bootinfo_memory_installed_bytes", "bootinfo_dmi_tables_readable")
			wantM := "bootinfo_dmi_tables_readable{} 1\nbootinfo_memory_installed_bytes{} " + strconv.FormatFloat(float64(sec.Memory.TotalBytes), 'g', -1, 64) + "\n"
			if m != wantM {
				t.Errorf("metrics:\n%s\nwant:\n%s", m, wantM)
			}
		})
	}
}

// sumSizes adds up dmidecode's "\tSize: N UNIT" lines of memory devices.
func sumSizes(t *testing.T, out string) uint64 {
	var total uint64
	units := map[string]uint64{"bytes": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "Size:" && strings.HasPrefix(line, "\tSize:") {
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatalf("size line %q", line)
			}
			total += n * units[f[2]]
		}
	}
	return total
}

func TestDMISerialsWithheld(t *testing.T) {
	sys := dmiRoot(t, "dell-xps9365")
	with, _ := collectDMI(t, sys, true)
	if with.System.SerialNumber == "" || with.System.UUID == "" {
		t.Fatalf("sample lacks serials to withhold: %+v", with.System)
	}
	sec, snap := collectDMI(t, sys, false)
	if !sec.SerialsWithheld || sec.System.SerialNumber != "" || sec.System.UUID != "" || sec.Chassis.SerialNumber != "" || sec.Baseboard.SerialNumber != "" {
		t.Errorf("serials leak: %+v %+v %+v", sec.System, sec.Chassis, sec.Baseboard)
	}
	for _, d := range sec.Memory.Devices {
		if d.SerialNumber != "" {
			t.Errorf("DIMM serial leaks: %+v", d)
		}
	}
	all := metricsText(t, snap, "bootinfo_dmi_info", "bootinfo_memory_device_size_bytes", "bootinfo_processor_info")
	for _, secret := range []string{with.System.SerialNumber, with.System.UUID} {
		if strings.Contains(all, secret) {
			t.Errorf("metrics carry %q", secret)
		}
	}
}

// TestDMIFallbackAndNone: without the tables the collector falls back to the
// world-readable attributes, and a host with neither has source "none".
func TestDMIFallbackAndNone(t *testing.T) {
	sys := t.TempDir()
	id := filepath.Join(sys, "class", "dmi", "id")
	if err := os.MkdirAll(id, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, v := range map[string]string{"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)", "bios_vendor": "EFI Development Kit II / OVMF", "chassis_type": "1"} {
		if err := os.WriteFile(filepath.Join(id, f), []byte(v+"\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	sec, snap := collectDMI(t, sys, true)
	if sec.Source != "sysfs-dmi-id" || sec.System.Manufacturer != "QEMU" || sec.Errors["tables"] == "" {
		t.Errorf("fallback: %+v errors %v", sec.Summary, sec.Errors)
	}
	if m := metricsText(t, snap, "bootinfo_dmi_tables_readable"); m != "bootinfo_dmi_tables_readable{} 0\n" {
		t.Errorf("metrics: %s", m)
	}
	none, _ := collectDMI(t, t.TempDir(), true)
	if none.Source != "none" || none.Summary != nil {
		t.Errorf("no SMBIOS: %+v", none)
	}
}
