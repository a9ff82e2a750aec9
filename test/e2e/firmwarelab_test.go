package e2e

// Firmware lab: the real bootinfo binary booted under real firmware (SeaBIOS,
// OVMF, OVMF with Secure Boot) with QEMU, its JSON compared with what the
// guest's kernel and firmware really expose, and the guest's raw SMBIOS tables
// decoded by Debian's dmidecode. Needs scripts/lab-setup; see internal/testing/qemulab.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/bootinfo/bootinfo/dmi"
	dmidecodefmt "github.com/bootinfo/bootinfo/dmi/dmidecode"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// updateLabFixtures rewrites the fixtures; the package must come first:
// go test ./test/e2e -run TestFirmwareLabFirmware -firmwarelab.update
var updateLabFixtures = flag.Bool("firmwarelab.update", false, "rewrite testdata/firmwarelab from fresh lab boots")

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// secureBootFixture holds the EFI variables of a Secure Boot enabled OVMF guest.
const secureBootFixture = "testdata/firmwarelab/ovmf-secureboot/efivars"

// secureBootVars are the variables of the fixture that must not change from
// boot to boot: the Secure Boot state and the enrolled keys.
var secureBootVars = []string{
	"SecureBoot-" + efiGlobal,
	"SetupMode-" + efiGlobal,
	"PK-" + efiGlobal,
	"KEK-" + efiGlobal,
	"db-d719b2cb-3d3a-4596-a3bc-dad00e67656f",
}

func TestFirmwareLabFirmware(t *testing.T) {
	lab := firmwareLab(t)
	profiles := []struct {
		fw         qemulab.Firmware
		mode       string
		secureBoot string
	}{
		{qemulab.SeaBIOS, "bios", "unsupported"},
		{qemulab.OVMF, "uefi", "disabled"},
		{qemulab.OVMFSecureBoot, "uefi", "enabled"},
	}
	for _, p := range profiles {
		t.Run(p.fw.String(), func(t *testing.T) {
			uefi := p.fw != qemulab.SeaBIOS
			appendLine := qemulab.DefaultAppend + " bootinfo.lab=" + p.fw.String()
			g := bootAgent(t, lab, "firmware-"+p.fw.String(), qemulab.Config{
				Firmware: p.fw,
				Append:   appendLine,
				Commands: []qemulab.Command{
					{Name: "uname-r", Script: "uname -r\n"},
					{Name: "cmdline", Script: "cat /proc/cmdline\n"},
					{Name: "boot_id", Script: "cat /proc/sys/kernel/random/boot_id\n"},
				},
			})
			guest := func(name string) string {
				out, err := g.Res.Command(name)
				if err != nil {
					t.Fatal(err)
				}
				return strings.TrimSpace(string(out))
			}

			// What the guest kernel itself says, checked against the lab.
			if got := guest("uname-r"); got != lab.KernelRelease {
				t.Errorf("guest uname -r = %q, want the lab kernel %q", got, lab.KernelRelease)
			}
			procCmdline := guest("cmdline")
			wantCmdline := appendLine
			if p.fw == qemulab.OVMF {
				// OVMF's direct kernel boot (without Secure Boot) names the
				// initrd on the command line it hands to the kernel.
				wantCmdline += " initrd=initrd"
			}
			if procCmdline != wantCmdline {
				t.Errorf("guest /proc/cmdline = %q, want %q", procCmdline, wantCmdline)
			}

			// bootinfo's host section.
			wantJSON(t, g.Show, "host.kernel_release", lab.KernelRelease)
			wantJSON(t, g.Show, "host.cmdline", procCmdline)
			wantJSON(t, g.Show, "host.architecture", "x86_64")
			wantJSON(t, g.Show, "host.boot_id", guest("boot_id"))
			if id, _ := jsonAt(g.Show, "host.boot_id"); !uuidRE.MatchString(str(id)) {
				t.Errorf("host.boot_id = %v, not a UUID", id)
			}

			checkDMIDecoder(t, g.DumpBin)
			checkGuestDMI(t, g)

			// bootinfo's firmware section against the raw efivars.
			vars := g.Res.EFIVars()
			wantJSON(t, g.Show, "firmware.mode", p.mode)
			checkModeEvidence(t, g, uefi)
			wantJSON(t, g.Show, "firmware.secure_boot", p.secureBoot)
			if !uefi {
				if len(vars) != 0 {
					t.Errorf("%d efivars under legacy BIOS", len(vars))
				}
				return
			}
			if got, ok := g.Res.File("/sys/firmware/efi/fw_platform_size"); !ok || strings.TrimSpace(string(got)) != "64" {
				t.Errorf("guest fw_platform_size = %q", got)
			}
			wantJSON(t, g.Show, "firmware.platform_bits", float64(64))

			secureBoot, setupMode := vars["SecureBoot-"+efiGlobal], vars["SetupMode-"+efiGlobal]
			switch p.fw {
			case qemulab.OVMFSecureBoot:
				// Both are BS|RT variables (attributes 06h) of one byte.
				if !bytes.Equal(secureBoot, []byte{6, 0, 0, 0, 1}) || !bytes.Equal(setupMode, []byte{6, 0, 0, 0, 0}) {
					t.Errorf("raw SecureBoot % x, SetupMode % x: want Secure Boot on in user mode", secureBoot, setupMode)
				}
				wantJSON(t, g.Show, "firmware.setup_mode", false)
				checkSecureBootFixture(t, vars)
			case qemulab.OVMF:
				if len(secureBoot) != 5 || secureBoot[4] != 0 {
					t.Errorf("raw SecureBoot % x: want off", secureBoot)
				}
			}

			raw, order := rawBootEntries(t, vars)
			if len(raw) == 0 || len(order) == 0 {
				t.Fatalf("guest has %d Boot#### variables, BootOrder %v", len(raw), order)
			}
			// Every Boot#### variable, and BootOrder, as bootinfo reports them.
			type entry struct {
				ID, Description string
				Active, Hidden  bool
			}
			var want []entry
			for _, e := range raw {
				want = append(want, entry{
					ID:          fmt.Sprintf("%04X", e.Number),
					Description: e.Description,
					Active:      e.Attributes&0x1 != 0, // LOAD_OPTION_ACTIVE
					Hidden:      e.Attributes&0x8 != 0, // LOAD_OPTION_HIDDEN
				})
			}
			entries, _ := jsonAt(g.Show, "firmware.boot_entries")
			list, _ := entries.([]any)
			var got []entry
			for _, v := range list {
				m := asMap(v)
				active, _ := m["active"].(bool)
				hidden, _ := m["hidden"].(bool)
				got = append(got, entry{ID: str(m["id"]), Description: str(m["description"]), Active: active, Hidden: hidden})
			}
			slices.SortFunc(got, func(a, b entry) int { return strings.Compare(a.ID, b.ID) })
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("firmware.boot_entries (-efivars +bootinfo):\n%s", d)
			}
			var wantOrder []any
			for _, n := range order {
				wantOrder = append(wantOrder, fmt.Sprintf("%04X", n))
			}
			wantJSON(t, g.Show, "firmware.boot_order", wantOrder)
		})
	}
}

var (
	dmidecodeSMBIOS  = regexp.MustCompile(`(?m)^SMBIOS ([0-9.]+) present\.$`)
	dmidecodeVendor  = regexp.MustCompile(`(?m)^\tVendor: (.*)$`)
	dmidecodeVersion = regexp.MustCompile(`(?m)^\tVersion: (.*)$`)
)

// checkModeEvidence: the facts firmware.mode was decided on name what the
// guest really has: /sys/firmware/efi or not, and the SMBIOS version, entry
// point and (without EFI) the BIOS vendor and version that Debian's
// dmidecode reads from a dump of the guest's own tables.
func checkModeEvidence(t *testing.T, g *guestBoot, uefi bool) {
	t.Helper()
	out := dmidecode(t, g.DumpBin, "-t", "0")
	ver, vendor, version := dmidecodeSMBIOS.FindStringSubmatch(out), dmidecodeVendor.FindStringSubmatch(out), dmidecodeVersion.FindStringSubmatch(out)
	if ver == nil || vendor == nil || version == nil {
		t.Fatalf("dmidecode finds no SMBIOS version or BIOS information in the guest's tables:\n%s", out)
	}
	anchor := "_SM_"
	if bytes.HasPrefix(g.DumpBin, []byte("_SM3_")) {
		anchor = "_SM3_"
	}
	smbios := "SMBIOS " + ver[1] + " entry point present (" + anchor + ")"
	want := []any{"no /sys/firmware/efi", smbios, "BIOS information (type 0): vendor " + vendor[1] + ", version " + version[1]}
	if uefi {
		want = []any{"/sys/firmware/efi present", smbios}
	}
	wantJSON(t, g.Show, "firmware.mode_evidence", want)
}

// checkSecureBootFixture keeps the Secure Boot enabled efivars as a fixture:
// with -firmwarelab.update it rewrites it, otherwise the keys and state in it
// must still be what a fresh boot shows.
func checkSecureBootFixture(t *testing.T, vars map[string][]byte) {
	t.Helper()
	if *updateLabFixtures {
		if err := os.RemoveAll(secureBootFixture); err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for n, v := range vars {
			files[n] = v
		}
		if err := qemulab.WriteFiles(secureBootFixture, files); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d variables to %s", len(files), secureBootFixture)
		return
	}
	for _, n := range secureBootVars {
		want, err := os.ReadFile(filepath.Join(secureBootFixture, n))
		if err != nil {
			t.Errorf("fixture: %v (regenerate with -firmwarelab.update)", err)
			continue
		}
		if !bytes.Equal(vars[n], want) {
			t.Errorf("%s differs from the fixture in %s (regenerate with -firmwarelab.update)", n, secureBootFixture)
		}
	}
}

func asSlice(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// wantJSON checks the value at a dotted path of bootinfo's JSON document.
func wantJSON(t *testing.T, doc map[string]any, path string, want any) {
	t.Helper()
	got, ok := jsonAt(doc, path)
	if !ok {
		t.Errorf("%s missing from bootinfo show", path)
		return
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

// smbiosField is one value given to QEMU with -smbios and where dmidecode
// shows it.
type smbiosField struct {
	opt   string // -smbios option key
	value string // the value given (unescaped)
	key   string // dmidecode's field name
	want  string // what dmidecode should print; empty means value
}

// assetFields are the serial number, asset tag, part number or SKU number
// (opts: "serial", "asset", "part", "sku") of a structure, each distinct:
// PREFIX-SERIAL-tag and so on.
func assetFields(prefix, tag string, opts ...string) []smbiosField {
	keys := map[string]string{"serial": "Serial Number", "asset": "Asset Tag", "part": "Part Number", "sku": "SKU Number"}
	var out []smbiosField
	for _, o := range opts {
		out = append(out, smbiosField{o, prefix + "-" + strings.ToUpper(o) + "-" + tag, keys[o], ""})
	}
	return out
}

// smbiosSpec is the -smbios option of one structure type.
type smbiosSpec struct {
	typ    int
	fields []smbiosField
}

// arg renders the -smbios value, doubling commas as QEMU's option syntax wants.
func (s smbiosSpec) arg() string {
	parts := []string{"type=" + strconv.Itoa(s.typ)}
	for _, f := range s.fields {
		parts = append(parts, f.opt+"="+strings.ReplaceAll(f.value, ",", ",,"))
	}
	return strings.Join(parts, ",")
}

func TestFirmwareLabSMBIOS(t *testing.T) {
	lab := firmwareLab(t)
	cases := []struct {
		name         string
		cfg          qemulab.Config
		anchor       string // entry point anchor the guest must export
		present      string // dmidecode's "SMBIOS x.y present." version
		sockets      int
		cores        int
		memory       string // type 17 "Size" of the one memory device
		tag          string // makes every string of this boot distinct
		uuid         string
		biosRevision string
		uefi         bool // type 0 uefi=on: "UEFI is supported"
	}{
		{
			name:    "ovmf-q35-ep64",
			cfg:     qemulab.Config{Firmware: qemulab.OVMF, SMBIOSEntryPoint64: true, SMP: "sockets=2,cores=2,threads=1", MemoryMiB: 1024},
			anchor:  "_SM3_",
			present: "3.0.0",
			sockets: 2, cores: 2, memory: "1 GB",
			tag: "A", uuid: "5a3c1e2f-0b4d-4e6f-8a9b-0c1d2e3f4a5b", biosRevision: "4.2", uefi: true,
		},
		{
			name:    "seabios-pc-ep32",
			cfg:     qemulab.Config{Firmware: qemulab.SeaBIOS, SMP: "sockets=2,cores=1,threads=1", MemoryMiB: 768},
			anchor:  "_SM_",
			present: "2.8",
			sockets: 2, cores: 1, memory: "768 MB",
			tag: "B", uuid: "0f1e2d3c-4b5a-4697-8877-665544332211", biosRevision: "1.7",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tag := c.tag
			specs := []smbiosSpec{
				{0, []smbiosField{
					{"vendor", "Lab Firmware " + tag, "Vendor", ""},
					{"version", "LF-" + tag + ".01", "Version", ""},
					{"date", "07/15/2024", "Release Date", ""},
					{"release", c.biosRevision, "BIOS Revision", ""},
				}},
				{1, []smbiosField{
					{"manufacturer", "Lab Systems " + tag, "Manufacturer", ""},
					{"product", "Lab Box " + tag + ", rev 2", "Product Name", ""},
					{"version", "SV-" + tag, "Version", ""},
					{"serial", "SYS-SERIAL-" + tag, "Serial Number", ""},
					{"uuid", c.uuid, "UUID", ""},
					{"sku", "SKU-" + tag, "SKU Number", ""},
					{"family", "Lab Family " + tag, "Family", ""},
				}},
				{2, append(assetFields("BOARD", tag, "serial", "asset"),
					smbiosField{"manufacturer", "Lab Boards " + tag, "Manufacturer", ""},
					smbiosField{"product", "LB-" + tag, "Product Name", ""},
					smbiosField{"version", "BV-" + tag, "Version", ""},
					smbiosField{"location", "Slot " + tag, "Location In Chassis", ""},
				)},
				{3, append(assetFields("CHASSIS", tag, "serial", "asset", "sku"),
					smbiosField{"manufacturer", "Lab Chassis " + tag, "Manufacturer", ""},
					smbiosField{"version", "CV-" + tag, "Version", ""},
				)},
				{4, append(assetFields("CPU", tag, "serial", "asset", "part"),
					smbiosField{"sock_pfx", "Lab Socket", "Socket Designation", ""}, // numbered below
					smbiosField{"manufacturer", "Lab Silicon " + tag, "Manufacturer", ""},
					smbiosField{"version", "Lab CPU " + tag, "Version", ""},
					smbiosField{"max-speed", "3600", "Max Speed", "3600 MHz"},
					smbiosField{"current-speed", "2400", "Current Speed", "2400 MHz"},
				)},
				{17, append(assetFields("DIMM", tag, "serial", "asset", "part"),
					smbiosField{"loc_pfx", "Lab DIMM", "Locator", ""}, // numbered below
					smbiosField{"bank", "Lab Bank " + tag, "Bank Locator", ""},
					smbiosField{"manufacturer", "Lab Memory " + tag, "Manufacturer", ""},
					smbiosField{"speed", "3200", "Speed", "3200 MT/s"},
				)},
				{8, []smbiosField{
					{"internal_reference", "J-INT-" + tag, "Internal Reference Designator", ""},
					{"external_reference", "USB-" + tag, "External Reference Designator", ""},
					{"connector_type", "18", "External Connector Type", "Access Bus (USB)"}, // DSP0134 7.9.2: 12h
					{"port_type", "16", "Port Type", "USB"},                                 // DSP0134 7.9.3: 10h
				}},
				{41, []smbiosField{
					{"designation", "Lab Onboard " + tag, "Reference Designation", ""},
					{"kind", "sound", "Type", "Sound"},
					{"instance", "3", "Type Instance", ""},
					{"pcidev", "labdev", "Bus Address", "0000:00:05.0"}, // the device below
				}},
			}
			uefiOpt := "off"
			if c.uefi {
				uefiOpt = "on"
			}
			specs[0].fields = append(specs[0].fields, smbiosField{"uefi", uefiOpt, "", ""})
			oem := []string{"lab-oem-1=" + tag, "lab oem two, " + tag}
			cfg := c.cfg
			cfg.Devices = append(cfg.Devices, "virtio-rng-pci,id=labdev,addr=0x5")
			for _, s := range specs {
				cfg.SMBIOS = append(cfg.SMBIOS, s.arg())
			}
			cfg.SMBIOS = append(cfg.SMBIOS, smbiosSpec{11, []smbiosField{{"value", oem[0], "", ""}, {"value", oem[1], "", ""}}}.arg())

			g := bootAgent(t, lab, "smbios-"+c.name, cfg)
			ep, _, err := g.Res.SMBIOS()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(ep, []byte(c.anchor)) {
				t.Errorf("guest entry point starts %q, want %s", ep[:min(len(ep), 5)], c.anchor)
			}
			out := dmidecode(t, g.DumpBin)
			if !strings.Contains(out, "\nSMBIOS "+c.present+" present.\n") {
				t.Errorf("dmidecode does not report SMBIOS %s:\n%s", c.present, out)
			}
			recs := parseDmidecode(out)
			checkDMIDecoder(t, g.DumpBin)
			checkGuestDMI(t, g)

			for _, s := range specs {
				got := recordsOfType(recs, s.typ)
				want := 1
				switch s.typ {
				case 4:
					want = c.sockets
				}
				if s.typ == 8 && len(got) == 0 && c.cfg.Firmware != qemulab.SeaBIOS {
					// QEMU 7.2 gives its type 8 structure handle 0, which type 0
					// already has: SeaBIOS passes both on (a real table with a
					// duplicate handle), OVMF drops type 8, presumably because
					// its SMBIOS protocol refuses the duplicate handle.
					t.Logf("no type 8 under %v (QEMU gave it a duplicate handle)", c.cfg.Firmware)
					continue
				}
				if len(got) != want {
					t.Errorf("dmidecode shows %d type %d structures, want %d", len(got), s.typ, want)
					continue
				}
				for i, r := range got {
					for _, f := range s.fields {
						if f.key == "" {
							continue // checked below
						}
						w := f.want
						if w == "" {
							w = f.value
						}
						switch f.opt {
						case "sock_pfx", "loc_pfx":
							w = fmt.Sprintf("%s %d", f.value, i)
						case "uuid":
							r.Fields[f.key] = strings.ToLower(r.Fields[f.key])
						}
						if r.Fields[f.key] != w {
							t.Errorf("type %d #%d %s = %q, want %q (from -smbios %s=%s)", s.typ, i, f.key, r.Fields[f.key], w, f.opt, f.value)
						}
					}
				}
			}

			// What -smp and -m set.
			for i, r := range recordsOfType(recs, 4) {
				if r.Fields["Core Count"] != strconv.Itoa(c.cores) || r.Fields["Thread Count"] != strconv.Itoa(c.cores) {
					t.Errorf("processor %d: %s cores, %s threads; want %d each", i, r.Fields["Core Count"], r.Fields["Thread Count"], c.cores)
				}
			}
			dimms := recordsOfType(recs, 17)
			if len(dimms) != 1 || dimms[0].Fields["Size"] != c.memory {
				var sizes []string
				for _, d := range dimms {
					sizes = append(sizes, d.Fields["Size"])
				}
				t.Errorf("memory devices sized %q, want one of %s", sizes, c.memory)
			}

			oemRecs := recordsOfType(recs, 11)
			var gotOEM []string
			for _, r := range oemRecs {
				for i := 1; ; i++ {
					v, ok := r.Fields["String "+strconv.Itoa(i)]
					if !ok {
						break
					}
					gotOEM = append(gotOEM, v)
				}
			}
			if d := cmp.Diff(oem, gotOEM); d != "" {
				t.Errorf("OEM strings (-want +got):\n%s", d)
			}
			if bios := recordsOfType(recs, 0); len(bios) == 1 {
				if got := slices.Contains(bios[0].Lists["Characteristics"], "UEFI is supported"); got != c.uefi {
					t.Errorf("dmidecode: UEFI is supported = %v, want %v (uefi=%s)", got, c.uefi, uefiOpt)
				}
			}

			// bootinfo's own dmi section, read from sysfs in the guest.
			vals := map[int]map[string]string{}
			for _, s := range specs {
				vals[s.typ] = map[string]string{}
				for _, f := range s.fields {
					vals[s.typ][f.opt] = f.value
				}
			}
			num := func(s string) float64 { n, _ := strconv.ParseFloat(s, 64); return n }
			want := map[string]any{
				"dmi.source":                  "tables",
				"dmi.smbios_version":          c.present,
				"dmi.bios.vendor":             vals[0]["vendor"],
				"dmi.bios.version":            vals[0]["version"],
				"dmi.bios.release_date":       vals[0]["date"],
				"dmi.bios.revision":           vals[0]["release"],
				"dmi.bios.uefi_supported":     c.uefi,
				"dmi.system.manufacturer":     vals[1]["manufacturer"],
				"dmi.system.product_name":     vals[1]["product"],
				"dmi.system.version":          vals[1]["version"],
				"dmi.system.serial_number":    vals[1]["serial"],
				"dmi.system.uuid":             vals[1]["uuid"],
				"dmi.system.sku_number":       vals[1]["sku"],
				"dmi.system.family":           vals[1]["family"],
				"dmi.baseboard.manufacturer":  vals[2]["manufacturer"],
				"dmi.baseboard.product_name":  vals[2]["product"],
				"dmi.baseboard.version":       vals[2]["version"],
				"dmi.baseboard.serial_number": vals[2]["serial"],
				"dmi.baseboard.asset_tag":     vals[2]["asset"],
				"dmi.chassis.manufacturer":    vals[3]["manufacturer"],
				"dmi.chassis.version":         vals[3]["version"],
				"dmi.chassis.serial_number":   vals[3]["serial"],
				"dmi.chassis.asset_tag":       vals[3]["asset"],
				"dmi.chassis.sku_number":      vals[3]["sku"],
				"dmi.memory.total_bytes":      float64(cfg.MemoryMiB) * (1 << 20),
			}
			for path, w := range want {
				wantJSON(t, g.Show, path, w)
			}
			procs, _ := jsonAt(g.Show, "dmi.processors")
			var gotProcs []map[string]any
			for _, p := range asSlice(procs) {
				gotProcs = append(gotProcs, asMap(p))
			}
			var wantProcs []map[string]any
			for i := 0; i < c.sockets; i++ {
				wantProcs = append(wantProcs, map[string]any{
					"socket":            fmt.Sprintf("%s %d", vals[4]["sock_pfx"], i),
					"manufacturer":      vals[4]["manufacturer"],
					"version":           vals[4]["version"],
					"max_speed_mhz":     num(vals[4]["max-speed"]),
					"current_speed_mhz": num(vals[4]["current-speed"]),
					"cores":             float64(c.cores),
					"threads":           float64(c.cores),
				})
			}
			onlyWanted := cmpopts.IgnoreMapEntries(func(k string, _ any) bool {
				return !slices.Contains([]string{"socket", "manufacturer", "version", "max_speed_mhz", "current_speed_mhz", "cores", "threads"}, k)
			})
			if d := cmp.Diff(wantProcs, gotProcs, onlyWanted); d != "" {
				t.Errorf("dmi.processors (-want +got):\n%s", d)
			}
			devs, _ := jsonAt(g.Show, "dmi.memory.devices")
			var gotDevs []map[string]any
			for _, d := range asSlice(devs) {
				gotDevs = append(gotDevs, asMap(d))
			}
			wantDevs := []map[string]any{{
				"locator":       vals[17]["loc_pfx"] + " 0",
				"bank_locator":  vals[17]["bank"],
				"manufacturer":  vals[17]["manufacturer"],
				"serial_number": vals[17]["serial"],
				"part_number":   vals[17]["part"],
				"speed_mts":     num(vals[17]["speed"]),
				"size_bytes":    float64(cfg.MemoryMiB) * (1 << 20),
			}}
			onlyWantedDev := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { _, ok := wantDevs[0][k]; return !ok })
			if d := cmp.Diff(wantDevs, gotDevs, onlyWantedDev); d != "" {
				t.Errorf("dmi.memory.devices (-want +got):\n%s", d)
			}
			gotOEMJSON, _ := jsonAt(g.Show, "dmi.oem_strings")
			var gotOEMs []string
			for _, v := range asSlice(gotOEMJSON) {
				gotOEMs = append(gotOEMs, str(v))
			}
			if d := cmp.Diff(oem, gotOEMs); d != "" {
				t.Errorf("dmi.oem_strings (-want +got):\n%s", d)
			}
		})
	}
}

// efiGlobal is EFI_GLOBAL_VARIABLE, the vendor GUID of BootOrder, Boot####,
// SecureBoot and SetupMode (UEFI 2.10 section 3.3).
const efiGlobal = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

// labEnv is the firmware lab and the agent binary that its guests run.
type labEnv struct {
	*qemulab.Lab
	// Agent is the host path of the statically linked bootinfo binary.
	Agent string
}

// firmwareLab returns the lab that scripts/lab-setup prepared (see
// qemulab.Setup) and the real bootinfo binary built for the guests.
func firmwareLab(t *testing.T) *labEnv {
	t.Helper()
	return &labEnv{Lab: qemulab.Setup(t), Agent: agent.GuestBinary(t)}
}

// guestBoot is what one lab boot of the agent produced.
type guestBoot struct {
	// Res holds every output and captured file.
	Res *qemulab.Result
	// Show is the JSON document `bootinfo show --format json` printed in the guest.
	Show map[string]any
	// DumpBin is the guest's SMBIOS entry point and table in dmidecode
	// --dump-bin layout, ready for `dmidecode --from-dump` or the agent's own
	// decoder.
	DumpBin []byte
	// Append is the -append string the guest kernel was given.
	Append string
}

// bootAgent boots the real agent under cfg, runs `bootinfo show --format json`
// and `bootinfo dmi` there (outputs "show" and "dmi") and captures the
// firmware files. Extra commands in cfg.Commands run
// after it. Each boot logs how long it took.
func bootAgent(t *testing.T, lab *labEnv, name string, cfg qemulab.Config) *guestBoot {
	t.Helper()
	if cfg.Append == "" {
		cfg.Append = qemulab.DefaultAppend
	}
	cfg.Files = append(cfg.Files, qemulab.File{Path: "/bin/bootinfo", HostPath: lab.Agent})
	cfg.Capture = append(cfg.Capture, qemulab.FirmwareCapture...)
	cfg.Commands = append([]qemulab.Command{
		{Name: "show", Script: "bootinfo show --format json\n"},
		{Name: "dmi", Script: "bootinfo dmi\n"},
	}, cfg.Commands...)

	res := lab.Run(t, name, cfg)
	g := &guestBoot{Res: res, Append: cfg.Append}
	show, err := res.Command("show")
	if err != nil {
		t.Errorf("boot %s: %v", name, err)
	}
	if err := json.Unmarshal(show, &g.Show); err != nil {
		t.Fatalf("boot %s: bootinfo show printed no JSON object: %v\n%s", name, err, show)
	}
	if g.DumpBin, err = res.DumpBin(); err != nil {
		t.Fatalf("boot %s: %v", name, err)
	}
	return g
}

// jsonAt returns the value at a dotted path ("firmware.mode") in a decoded
// JSON document, and whether it is there.
func jsonAt(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// dmidecode runs Debian's dmidecode on a dump and returns what it printed.
func dmidecode(t *testing.T, dump []byte, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("dmidecode"); err != nil {
		testutil.SkipOrFail(t, "dmidecode not installed: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.bin"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	// Run in the dump's directory so dmidecode names it "dump.bin".
	cmd := exec.Command("dmidecode", append([]string{"--from-dump", "dump.bin"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dmidecode --from-dump %v: %v\n%s", args, err, stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Errorf("dmidecode warned: %s", stderr.Bytes())
	}
	return string(out)
}

// checkDMIDecoder decodes a guest's dump with the project's own dmi decoder
// and dmidecode-compatible writer, and compares that with Debian's dmidecode
// run on the same file: the lab's tables, with contents chosen on QEMU's
// command line, are fresh inputs for that oracle comparison.
func checkDMIDecoder(t *testing.T, dump []byte) {
	t.Helper()
	want := dmidecode(t, dump)
	tab, err := dmi.ParseDumpBin(dump)
	if err != nil {
		t.Errorf("dmi.ParseDumpBin: %v", err)
		return
	}
	var got strings.Builder
	if err := dmidecodefmt.Write(&got, dmidecodefmt.Source{Table: tab, DumpFile: "dump.bin"}, dmidecodefmt.Options{}); err != nil {
		t.Errorf("dmidecode.Write: %v", err)
		return
	}
	if d := cmp.Diff(want, got.String()); d != "" {
		t.Errorf("bootinfo's dmi decoder and dmidecode disagree on the guest's tables (-dmidecode +dmi):\n%s", d)
	}
}

// checkGuestDMI compares what `bootinfo dmi` printed in the guest, reading the
// kernel's sysfs tables, with Debian's dmidecode run on the host on a dump of
// the same tables. Reading sysfs, dmidecode names its source differently and
// adds "Table at ADDRESS." (the physical address in the entry point) to its
// header; the expected output is the host's with those two changes.
func checkGuestDMI(t *testing.T, g *guestBoot) {
	t.Helper()
	got, err := g.Res.Command("dmi")
	if err != nil {
		t.Errorf("bootinfo dmi in the guest: %v", err)
		return
	}
	ep, _, err := g.Res.SMBIOS()
	if err != nil {
		t.Fatal(err)
	}
	var addr uint64
	switch {
	case bytes.HasPrefix(ep, []byte("_SM3_")) && len(ep) >= 0x18:
		addr = binary.LittleEndian.Uint64(ep[0x10:]) // DSP0134 5.2.2: 10h structure table address
	case bytes.HasPrefix(ep, []byte("_SM_")) && len(ep) >= 0x1C:
		addr = uint64(binary.LittleEndian.Uint32(ep[0x18:])) // DSP0134 5.2.1: 18h structure table address
	default:
		t.Fatalf("guest entry point % x", ep)
	}
	want := dmidecode(t, g.DumpBin)
	want = strings.Replace(want, "Reading SMBIOS/DMI data from file dump.bin.\n", "Getting SMBIOS data from sysfs.\n", 1)
	if i := strings.Index(want, "\n\n"); i >= 0 {
		want = want[:i+1] + fmt.Sprintf("Table at 0x%08X.\n", addr) + want[i+1:]
	}
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("bootinfo dmi in the guest and dmidecode on its tables differ (-dmidecode +bootinfo):\n%s", d)
	}
}

// dmiRecord is one structure as dmidecode prints it: "Handle 0x0100, DMI type
// 1, 27 bytes", a title line, then "\tKey: Value" lines; list items
// ("\t\tvalue" under "\tKey:") are kept in Lists.
type dmiRecord struct {
	Type   int
	Title  string
	Fields map[string]string
	Lists  map[string][]string
}

var handleRE = regexp.MustCompile(`^Handle 0x[0-9A-F]{4}, DMI type (\d+), \d+ bytes$`)

// parseDmidecode splits dmidecode's default output into records.
func parseDmidecode(out string) []dmiRecord {
	var recs []dmiRecord
	var cur *dmiRecord
	var lastKey string
	for _, line := range strings.Split(out, "\n") {
		if m := handleRE.FindStringSubmatch(line); m != nil {
			var typ int
			fmt.Sscan(m[1], &typ)
			recs = append(recs, dmiRecord{Type: typ, Fields: map[string]string{}, Lists: map[string][]string{}})
			cur = &recs[len(recs)-1]
			continue
		}
		if cur == nil || line == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "\t\t"):
			cur.Lists[lastKey] = append(cur.Lists[lastKey], strings.TrimSpace(line))
		case strings.HasPrefix(line, "\t"):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "\t"), ":")
			lastKey = k
			cur.Fields[k] = strings.TrimSpace(v)
		case cur.Title == "":
			cur.Title = line
		}
	}
	return recs
}

// recordsOfType returns the records of one SMBIOS type.
func recordsOfType(recs []dmiRecord, typ int) []dmiRecord {
	var out []dmiRecord
	for _, r := range recs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// efiBootEntry is a Boot#### variable decoded from its EFI_LOAD_OPTION
// (UEFI 2.10 section 3.1.3): Attributes (UINT32), FilePathListLength (UINT16),
// Description (NUL-terminated UCS-2), then the device path and optional data.
type efiBootEntry struct {
	Number      uint16
	Attributes  uint32
	Description string
}

var bootVarRE = regexp.MustCompile(`^Boot([0-9A-F]{4})-` + efiGlobal + `$`)

// rawBootEntries decodes every Boot#### variable from raw efivarfs files (4
// attribute bytes, then the value), by number, and BootOrder.
func rawBootEntries(t *testing.T, vars map[string][]byte) (entries []efiBootEntry, order []uint16) {
	t.Helper()
	bo, ok := vars["BootOrder-"+efiGlobal]
	if !ok || len(bo) < 4 || (len(bo)-4)%2 != 0 {
		t.Fatalf("BootOrder missing or malformed: % x", bo)
	}
	for i := 4; i+1 < len(bo); i += 2 {
		order = append(order, binary.LittleEndian.Uint16(bo[i:]))
	}
	for name, v := range vars {
		m := bootVarRE.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		var n uint16
		fmt.Sscanf(m[1], "%X", &n)
		if len(v) < 4+6 {
			t.Fatalf("%s too short: % x", name, v)
		}
		opt := v[4:]
		e := efiBootEntry{Number: n, Attributes: binary.LittleEndian.Uint32(opt)}
		var units []uint16
		for j := 6; j+1 < len(opt); j += 2 {
			u := binary.LittleEndian.Uint16(opt[j:])
			if u == 0 {
				break
			}
			units = append(units, u)
		}
		e.Description = string(utf16.Decode(units))
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b efiBootEntry) int { return int(a.Number) - int(b.Number) })
	for _, n := range order {
		if !slices.ContainsFunc(entries, func(e efiBootEntry) bool { return e.Number == n }) {
			t.Errorf("BootOrder names %04X but there is no Boot%04X", n, n)
		}
	}
	return entries, order
}

// TestFirmwareLabDmidecodeParser checks the parser of dmidecode's output that
// the lab tests rely on against dmidecode's output for a real QEMU table.
func TestFirmwareLabDmidecodeParser(t *testing.T) {
	out, err := os.ReadFile(filepath.Join(testutil.Shared(t, "smbios", "dumps"), "qemu-seabios-pc.dmidecode.txt"))
	if err != nil {
		t.Fatal(err)
	}
	recs := parseDmidecode(string(out))
	var types []int
	for _, r := range recs {
		types = append(types, r.Type)
	}
	if want := []int{0, 1, 3, 4, 16, 17, 19, 32, 127}; !slices.Equal(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
	bios := recordsOfType(recs, 0)
	if len(bios) != 1 || bios[0].Title != "BIOS Information" || bios[0].Fields["Vendor"] != "SeaBIOS" ||
		!slices.Contains(bios[0].Lists["Characteristics"], "Targeted content distribution is supported") {
		t.Errorf("type 0 parsed as %+v", bios)
	}
	if sys := recordsOfType(recs, 1); len(sys) != 1 || sys[0].Fields["Manufacturer"] != "QEMU" {
		t.Errorf("type 1 parsed as %+v", sys)
	}
}
