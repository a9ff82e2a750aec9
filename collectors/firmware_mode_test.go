package collectors

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// smbios3 returns an SMBIOS 3.0 entry point (DSP0134 5.2.2) for a table of
// tableLen bytes, with its checksum.
func smbios3(tableLen int) []byte {
	ep := make([]byte, 0x18)
	copy(ep, "_SM3_")
	ep[6], ep[7], ep[8], ep[10] = 0x18, 3, 0, 1
	binary.LittleEndian.PutUint32(ep[0x0C:], uint32(tableLen))
	var sum byte
	for _, b := range ep {
		sum += b
	}
	ep[5] = -sum
	return ep
}

// noBIOSTable is a table with a System Information (type 1) structure and
// the end-of-table record, and no BIOS Information (type 0).
var noBIOSTable = []byte{
	1, 8, 1, 0, 0, 0, 0, 0, 0, 0, // type 1, no strings
	127, 4, 2, 0, 0, 0, // end of table
}

// firmwareTree writes a sysfs root: every directory in dirs, and files.
func firmwareTree(t *testing.T, dirs []string, files map[string][]byte) string {
	t.Helper()
	sys := t.TempDir()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(sys, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range files {
		p := filepath.Join(sys, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return sys
}

// sharedTables returns the kernel export of a real machine's SMBIOS tables.
func sharedTables(t *testing.T, name string) map[string][]byte {
	t.Helper()
	dir := testutil.Shared(t, "smbios", "sysfs", name)
	out := map[string][]byte{}
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[dmi.TablesDir+"/"+f] = b
	}
	return out
}

func with(m map[string][]byte, kv ...string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = []byte(kv[i+1])
	}
	return out
}

// TestFirmwareModeRules: one sysfs tree for each rule of decideFirmwareMode,
// through the collector where it can collect (the mode, its evidence and
// the metric) and through the rule itself where sysfs is broken.
func TestFirmwareModeRules(t *testing.T) {
	seabios := sharedTables(t, "qemu-seabios-pc")
	ep64 := sharedTables(t, "qemu-seabios-q35-ep64")
	ovmf := sharedTables(t, "qemu-ovmf-q35-shellboot")
	vmm := []string{"firmware/acpi/tables", "firmware/memmap/0"}
	for _, tc := range []struct {
		name  string
		dirs  []string
		files map[string][]byte
		mode  efi.Mode
		ev    []string
	}{
		{"direct kernel boot by a VMM", vmm, nil, efi.ModeNone,
			[]string{"no /sys/firmware/efi", noSMBIOSFacts}},
		{"SeaBIOS", vmm, seabios, efi.ModeBIOS,
			[]string{"no /sys/firmware/efi", "SMBIOS 2.8 entry point present (_SM_)", "BIOS information (type 0): vendor SeaBIOS, version 1.16.2-debian-1.16.2-1"}},
		{"SeaBIOS, 64-bit entry point", vmm, ep64, efi.ModeBIOS,
			[]string{"no /sys/firmware/efi", "SMBIOS 3.0.0 entry point present (_SM3_)", "BIOS information (type 0): vendor SeaBIOS, version 1.16.2-debian-1.16.2-1"}},
		{"SeaBIOS, tables need root", append(vmm, "firmware/dmi/tables/DMI"),
			with(nil, dmi.IDDir+"/bios_vendor", "SeaBIOS\n", dmi.IDDir+"/bios_version", "1.16.2-debian-1.16.2-1\n", dmi.TablesDir+"/smbios_entry_point", string(seabios[dmi.TablesDir+"/smbios_entry_point"])),
			efi.ModeBIOS,
			[]string{"no /sys/firmware/efi", "SMBIOS 2.8 entry point present (_SM_)", "/sys/class/dmi/id: vendor SeaBIOS, version 1.16.2-debian-1.16.2-1"}},
		{"OVMF", append(vmm, "firmware/efi"), ovmf, efi.ModeUEFI,
			[]string{"/sys/firmware/efi present", "SMBIOS 2.8 entry point present (_SM_)"}},
		{"SMBIOS without BIOS information", vmm,
			with(nil, dmi.TablesDir+"/smbios_entry_point", string(smbios3(len(noBIOSTable))), dmi.TablesDir+"/DMI", string(noBIOSTable)),
			efi.ModeUnknown,
			[]string{"no /sys/firmware/efi", "SMBIOS 3.0.0 entry point present (_SM3_)", "SMBIOS table holds no BIOS information (type 0)"}},
		{"device tree, no SMBIOS", []string{"firmware/devicetree/base"}, nil, efi.ModeUnknown,
			[]string{"no /sys/firmware/efi", noSMBIOSFacts, "/sys/firmware/devicetree present: a boot loader or firmware handed over a device tree, which does not tell which"}},
		{"no firmware directory", nil, nil, efi.ModeUnknown, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := firmwareTree(t, tc.dirs, tc.files)
			sec, snap, _ := collectFirmware(t, sys, 0)
			if sec.Mode != tc.mode {
				t.Errorf("mode %q, want %q (evidence %q)", sec.Mode, tc.mode, sec.ModeEvidence)
			}
			if tc.ev != nil {
				if d := cmp.Diff(tc.ev, sec.ModeEvidence); d != "" {
					t.Errorf("mode_evidence (-want +got):\n%s", d)
				}
			} else if len(sec.ModeEvidence) != 1 || !strings.HasPrefix(sec.ModeEvidence[0], "cannot examine /sys/firmware") {
				t.Errorf("mode_evidence %q, want why sysfs cannot say", sec.ModeEvidence)
			}
			secureBoot := "unsupported"
			if tc.mode == efi.ModeUEFI {
				secureBoot = "unknown" // firmware/efi without efivars
			}
			want := "bootinfo_firmware_info{mode=" + string(tc.mode) + ",secure_boot=" + secureBoot + "} 1\n"
			if got := metricsText(t, snap, "bootinfo_firmware_info"); got != want {
				t.Errorf("metrics:\n%swant:\n%s", got, want)
			}
		})
	}
}

// TestFirmwareModeBrokenSysfs: evidence that cannot be read is no evidence.
func TestFirmwareModeBrokenSysfs(t *testing.T) {
	seabios := sharedTables(t, "qemu-seabios-pc")
	for _, tc := range []struct {
		name   string
		dirs   []string
		files  map[string][]byte
		prefix []string
	}{
		// firmware/efi below a regular file: ENOTDIR, not "absent".
		{"firmware/efi unexaminable", nil, with(nil, "firmware", "not a directory"),
			[]string{"cannot examine /sys/firmware/efi: "}},
		{"entry point that does not decode", []string{"firmware/acpi"},
			with(seabios, dmi.TablesDir+"/smbios_entry_point", "_SM_ broken"),
			[]string{"no /sys/firmware/efi", "/sys/firmware/dmi present, SMBIOS entry point unreadable: "}},
		{"entry point not a regular file", []string{"firmware/acpi", dmi.TablesDir + "/smbios_entry_point"}, nil,
			[]string{"no /sys/firmware/efi", "/sys/firmware/dmi present, SMBIOS entry point unreadable: "}},
		{"table missing", []string{"firmware/acpi"},
			with(nil, dmi.TablesDir+"/smbios_entry_point", string(seabios[dmi.TablesDir+"/smbios_entry_point"])),
			[]string{"no /sys/firmware/efi", "SMBIOS 2.8 entry point present (_SM_)", "SMBIOS table unreadable: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := firmwareTree(t, tc.dirs, tc.files)
			mode, ev := decideFirmwareMode(readFirmwareFacts(hostfile.NewRoot(sys), dmi.NewFS(sys)))
			if mode != efi.ModeUnknown {
				t.Errorf("mode %q, want unknown (evidence %q)", mode, ev)
			}
			if len(ev) != len(tc.prefix) {
				t.Fatalf("evidence %q, want %d facts", ev, len(tc.prefix))
			}
			for i, p := range tc.prefix {
				if !strings.HasPrefix(ev[i], p) {
					t.Errorf("evidence[%d] = %q, want prefix %q", i, ev[i], p)
				}
			}
		})
	}
}
