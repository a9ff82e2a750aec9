package history

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadRecord(t testing.TB, name string) Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "records", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := r.validate(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// TestDiffFixtures compares boots that differ the way real hosts do, and
// checks that exactly the expected components are reported.
func TestDiffFixtures(t *testing.T) {
	tests := []struct {
		prev, cur string
		want      []Change
	}{
		{"r640-base", "r640-base", nil},
		{
			// The boot loader's BOOT_IMAGE follows the kernel; only the
			// kernel is reported.
			"r640-base", "r640-kernel-upgrade",
			[]Change{{ComponentKernel, "6.1.0-17-amd64", "6.1.0-18-amd64", "kernel 6.1.0-17-amd64 -> 6.1.0-18-amd64"}},
		},
		{
			"r640-kernel-upgrade", "r640-dimm-removed",
			[]Change{
				{ComponentMemory, "206158430208", "171798691840", "memory 192 GiB -> 160 GiB"},
				{ComponentDIMMs, `B2 32 GiB part "HMA84GR7CJR4N-XN" serial "83A1B2D1"`, "", "DIMM B2 removed (32 GiB)"},
			},
		},
		{
			// The disks moved to a spare server of the same model: another
			// UUID and service tag, older BIOS, same-sized DIMMs with other
			// serial numbers.
			"r640-kernel-upgrade", "r640-host-moved",
			append([]Change{
				{ComponentBIOS, "Dell Inc. 2.19.1 (06/13/2023)", "Dell Inc. 2.17.1 (11/22/2022)",
					`version "2.19.1" -> "2.17.1"; release date "06/13/2023" -> "11/22/2022"`},
			}, append(dimmSerialChanges(t), Change{
				ComponentSystemIdentity,
				`Dell Inc. PowerEdge R640 serial "4G5RMN2" uuid 4c4c4544-0047-3510-8052-b4c04f4d4e32`,
				`Dell Inc. PowerEdge R640 serial "86K4Q42" uuid 4c4c4544-0036-4b10-8034-c8c04f513432`,
				`machine changed under the disk: uuid 4c4c4544-0047-3510-8052-b4c04f4d4e32 -> 4c4c4544-0036-4b10-8034-c8c04f513432; serial "4G5RMN2" -> "86K4Q42"`,
			})...),
		},
		{
			// A VM's disk attached to a new VM: only the UUID differs.
			"qemu-vm-a", "qemu-vm-moved",
			[]Change{{
				ComponentSystemIdentity,
				`QEMU Standard PC (Q35 + ICH9, 2009) serial "" uuid 8d2f3b1a-6c4e-4f70-9b1d-2e3f4a5b6c7d`,
				`QEMU Standard PC (Q35 + ICH9, 2009) serial "" uuid f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9`,
				"machine changed under the disk: uuid 8d2f3b1a-6c4e-4f70-9b1d-2e3f4a5b6c7d -> f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.prev+"->"+tt.cur, func(t *testing.T) {
			got := Diff(loadRecord(t, tt.prev), loadRecord(t, tt.cur))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

// dimmSerialChanges lists the DIMM changes of the host move, built from the
// two fixtures' serial numbers as the fixture generator set them.
func dimmSerialChanges(t *testing.T) []Change {
	prev := loadRecord(t, "r640-kernel-upgrade")
	cur := loadRecord(t, "r640-host-moved")
	var out []Change
	for i := range prev.DIMMs {
		p, c := prev.DIMMs[i], cur.DIMMs[i]
		if p.Locator != c.Locator || p.SerialNumber == c.SerialNumber {
			t.Fatalf("fixture: DIMM %d is not the same slot with another serial", i)
		}
		out = append(out, Change{ComponentDIMMs,
			p.Locator + ` 32 GiB part "HMA84GR7CJR4N-XN" serial "` + p.SerialNumber + `"`,
			c.Locator + ` 32 GiB part "HMA84GR7CJR4N-XN" serial "` + c.SerialNumber + `"`,
			"DIMM " + p.Locator + ` changed: serial "` + p.SerialNumber + `" -> "` + c.SerialNumber + `"`})
	}
	return out
}

func TestDiffCases(t *testing.T) {
	const gib = 1 << 30
	base := Record{
		BootID: "a", KernelRelease: "6.1.0-18-amd64", Cmdline: "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet",
		FirmwareMode: "uefi", SecureBoot: "enabled",
		BIOS:       BIOS{"LENOVO", "N2HET70W (1.53 )", "03/11/2022"},
		System:     System{UUID: "a1b2c3d4-e5f6-4718-9a0b-1c2d3e4f5a6b", SerialNumber: "PF2ABCDE", Manufacturer: "LENOVO", ProductName: "20QDS3E200"},
		Processors: Processors{"Intel(R) Core(TM) i7-8665U CPU @ 1.90GHz", 8}, MemoryTotalBytes: 16 * gib,
		DIMMs:         []DIMM{{"ChannelA-DIMM0", 8 * gib, "M471A1K43DB1-CWE", "12345678"}, {"ChannelB-DIMM0", 8 * gib, "M471A1K43DB1-CWE", "12345679"}},
		DefaultTarget: "graphical.target",
	}
	with := func(f func(*Record)) Record {
		r := base.clone()
		r.DIMMs = append([]DIMM(nil), base.DIMMs...)
		f(&r)
		return r
	}
	tests := []struct {
		name string
		prev Record
		cur  Record
		want []Change
	}{
		{"same", base, with(func(r *Record) { r.BootID = "b" }), nil},
		{"empty records", Record{}, Record{}, nil},
		{"unknown on one side is no change", base, Record{SecureBoot: "unknown"}, nil},
		{"cmdline words", base, with(func(r *Record) { r.Cmdline = "BOOT_IMAGE=/vmlinuz-new root=/dev/sda1 ro mitigations=off" }),
			[]Change{{ComponentCmdline, base.Cmdline, "BOOT_IMAGE=/vmlinuz-new root=/dev/sda1 ro mitigations=off", "removed: quiet; added: mitigations=off"}}},
		{"reordered cmdline is no change", base, with(func(r *Record) { r.Cmdline = "ro root=/dev/sda1 quiet BOOT_IMAGE=/vmlinuz" }), nil},
		{"cmdline repeated word", with(func(r *Record) { r.Cmdline = "console=tty0 console=tty0" }), with(func(r *Record) { r.Cmdline = "console=tty0" }),
			[]Change{{ComponentCmdline, "console=tty0 console=tty0", "console=tty0", "removed: console=tty0"}}},
		{"secure boot off", base, with(func(r *Record) { r.SecureBoot = "disabled" }),
			[]Change{{ComponentSecureBoot, "enabled", "disabled", "Secure Boot enabled -> disabled"}}},
		{"firmware mode", base, with(func(r *Record) { r.FirmwareMode = "bios"; r.SecureBoot = "unsupported" }),
			[]Change{
				{ComponentSecureBoot, "enabled", "unsupported", "Secure Boot enabled -> unsupported"},
				{ComponentFirmwareMode, "uefi", "bios", "firmware boot mode uefi -> bios"},
			}},
		// A record from before the evidence rule said "bios" for "no EFI";
		// the same machine now says "none" or "unknown": no change.
		{"old bios record, now none", with(func(r *Record) { r.FirmwareMode = "bios"; r.SecureBoot = "unsupported" }),
			with(func(r *Record) {
				r.FirmwareMode, r.FirmwareModeEvidence, r.SecureBoot = "none", []string{"no /sys/firmware/efi"}, "unsupported"
			}), nil},
		{"old bios record, now uefi", with(func(r *Record) { r.FirmwareMode = "bios"; r.SecureBoot = "" }),
			with(func(r *Record) { r.FirmwareModeEvidence = []string{"/sys/firmware/efi present"}; r.SecureBoot = "" }),
			[]Change{{ComponentFirmwareMode, "bios", "uefi", "firmware boot mode bios -> uefi"}}},
		{"bios on evidence, now none", with(func(r *Record) {
			r.FirmwareMode, r.FirmwareModeEvidence, r.SecureBoot = "bios", []string{"SMBIOS 2.8 entry point present (_SM_)"}, ""
		}), with(func(r *Record) {
			r.FirmwareMode, r.FirmwareModeEvidence, r.SecureBoot = "none", []string{"no /sys/firmware/efi"}, ""
		}), []Change{{ComponentFirmwareMode, "bios", "none", "firmware boot mode bios -> none"}}},
		{"memtotal jitter below 1%", base, with(func(r *Record) { r.MemoryTotalBytes = 16*gib - 90<<20 }), nil},
		{"memory grown", base, with(func(r *Record) { r.MemoryTotalBytes = 24 * gib }),
			[]Change{{ComponentMemory, "17179869184", "25769803776", "memory 16 GiB -> 24 GiB"}}},
		{"dimm added and empty slot ignored", base, with(func(r *Record) {
			r.DIMMs = append(r.DIMMs, DIMM{"ChannelA-DIMM1", 0, "", ""}, DIMM{"ChannelB-DIMM1", 16 * gib, "HMA82GS6CJR8N-XN", "9ABCDEF0"})
		}), []Change{{ComponentDIMMs, "", `ChannelB-DIMM1 16 GiB part "HMA82GS6CJR8N-XN" serial "9ABCDEF0"`, "DIMM ChannelB-DIMM1 added (16 GiB)"}}},
		{"dimm swapped for a bigger one", base, with(func(r *Record) { r.DIMMs[1] = DIMM{"ChannelB-DIMM0", 16 * gib, "M471A2K43DB1-CWE", "87654321"} }),
			[]Change{{ComponentDIMMs, `ChannelB-DIMM0 8 GiB part "M471A1K43DB1-CWE" serial "12345679"`, `ChannelB-DIMM0 16 GiB part "M471A2K43DB1-CWE" serial "87654321"`,
				`DIMM ChannelB-DIMM0 changed: size "8 GiB" -> "16 GiB"; part "M471A1K43DB1-CWE" -> "M471A2K43DB1-CWE"; serial "12345679" -> "87654321"`}}},
		{"dimms unreadable now", base, with(func(r *Record) { r.DIMMs = nil }), nil},
		{"duplicate locators compare by position", with(func(r *Record) {
			r.DIMMs = []DIMM{{"DIMM", 4 * gib, "", "1"}, {"DIMM", 4 * gib, "", "2"}}
		}), with(func(r *Record) { r.DIMMs = []DIMM{{"DIMM", 4 * gib, "", "1"}} }),
			[]Change{{ComponentDIMMs, `DIMM 4 GiB part "" serial "2"`, "", "DIMM DIMM#2 removed (4 GiB)"}}},
		{"processors", base, with(func(r *Record) { r.Processors.Count = 4 }),
			[]Change{{ComponentProcessors, "8 x Intel(R) Core(TM) i7-8665U CPU @ 1.90GHz", "4 x Intel(R) Core(TM) i7-8665U CPU @ 1.90GHz", "count 8 -> 4"}}},
		{"uuid byte-swapped by an SMBIOS 2.6 update is the same machine", base,
			with(func(r *Record) { r.System.UUID = "D4C3B2A1-F6E5-1847-9A0B-1C2D3E4F5A6B" }), nil},
		{"placeholder serial is unknown", base, with(func(r *Record) { r.System.SerialNumber = "To be filled by O.E.M." }), nil},
		{"repeated-character serial is unknown", base, with(func(r *Record) { r.System.SerialNumber = "XXXXXXX" }), nil},
		{"AMI default uuid is unknown", base, with(func(r *Record) { r.System.UUID = "03000200-0400-0500-0006-000700080009" }), nil},
		{"zero uuid is unknown", base, with(func(r *Record) { r.System.UUID = "00000000-0000-0000-0000-000000000000" }), nil},
		{"serial only", base, with(func(r *Record) { r.System.SerialNumber = "PF2ZZZZZ" }),
			[]Change{{ComponentSystemIdentity,
				`LENOVO 20QDS3E200 serial "PF2ABCDE" uuid a1b2c3d4-e5f6-4718-9a0b-1c2d3e4f5a6b`,
				`LENOVO 20QDS3E200 serial "PF2ZZZZZ" uuid a1b2c3d4-e5f6-4718-9a0b-1c2d3e4f5a6b`,
				`machine changed under the disk: serial "PF2ABCDE" -> "PF2ZZZZZ"`}}},
		{"default target", base, with(func(r *Record) { r.DefaultTarget = "multi-user.target" }),
			[]Change{{ComponentDefaultTarget, "graphical.target", "multi-user.target", "default target graphical.target -> multi-user.target"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.prev, tt.cur)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffComponentsAreListed(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range Components {
		listed[c] = true
	}
	a := loadRecord(t, "r640-base")
	b := Record{BootID: "x", KernelRelease: "k", Cmdline: "c", BIOS: BIOS{"v", "1", "d"}, SecureBoot: "disabled",
		FirmwareMode: "bios", MemoryTotalBytes: 1, DIMMs: []DIMM{{"Z", 1, "", ""}}, Processors: Processors{"m", 1},
		System: System{UUID: "11111111-2222-3333-4444-555555555555"}, DefaultTarget: "t"}
	got := Diff(a, b)
	seen := map[string]bool{}
	for _, c := range got {
		if !listed[c.Component] {
			t.Errorf("component %q not in Components", c.Component)
		}
		seen[c.Component] = true
	}
	if len(seen) != len(Components) {
		t.Errorf("a record differing everywhere reports %d of %d components: %v", len(seen), len(Components), seen)
	}
}

// recordSecrets returns the serial numbers and UUIDs of records, as Diff
// would print them.
func recordSecrets(rs ...Record) []string {
	var out []string
	for _, r := range rs {
		for _, s := range []string{r.System.UUID, r.System.SerialNumber} {
			if normSerial(s) != "" {
				out = append(out, s)
			}
		}
		for _, d := range r.DIMMs {
			if normSerial(d.SerialNumber) != "" {
				out = append(out, d.SerialNumber)
			}
		}
	}
	return out
}

// TestDiffWithheld: with serials withheld, a machine and DIMMs replaced
// under the disk are reported as by Diff, component for component, and no
// Change holds a serial number or UUID of either boot.
func TestDiffWithheld(t *testing.T) {
	pairs := [][2]string{
		{"r640-kernel-upgrade", "r640-host-moved"},
		{"r640-base", "r640-dimm-removed"},
		{"qemu-vm-a", "qemu-vm-moved"},
	}
	checked := 0
	for _, p := range pairs {
		prev, cur := loadRecord(t, p[0]), loadRecord(t, p[1])
		open, withheld := Diff(prev, cur), DiffWithheld(prev, cur)
		if len(open) != len(withheld) {
			t.Fatalf("%s -> %s: %d changes withheld, %d open", p[0], p[1], len(withheld), len(open))
		}
		secrets := recordSecrets(prev, cur)
		leaked := false
		for i, ch := range withheld {
			if ch.Component != open[i].Component {
				t.Errorf("%s -> %s: change %d is %s, open %s", p[0], p[1], i, ch.Component, open[i].Component)
			}
			for _, s := range secrets {
				for _, f := range []string{ch.Before, ch.After, ch.Detail} {
					if strings.Contains(f, s) {
						t.Errorf("%s -> %s: %s change holds %q: %q", p[0], p[1], ch.Component, s, f)
					}
					if strings.Contains(open[i].Detail+open[i].Before+open[i].After, s) {
						leaked = true
					}
				}
			}
		}
		if leaked {
			checked++
		}
	}
	// The open changes do print the values, so the test is not vacuous.
	if checked < 2 {
		t.Errorf("only %d pairs have serials in their open changes", checked)
	}
	prev, cur := loadRecord(t, "r640-kernel-upgrade"), loadRecord(t, "r640-host-moved")
	var details []string
	for _, ch := range DiffWithheld(prev, cur) {
		details = append(details, ch.Detail)
	}
	all := strings.Join(details, "\n")
	for _, want := range []string{"machine changed under the disk: uuid changed (withheld); serial changed (withheld)", "serial changed (withheld)"} {
		if !strings.Contains(all, want) {
			t.Errorf("details lack %q:\n%s", want, all)
		}
	}
}
