package fault

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// nobody is the unprivileged user the agent runs as (uid and gid 65534, as
// the Dockerfile's scratch image does).
const nobody = 65534

// Capabilities, from linux/capability.h.
const (
	capDACReadSearch = 2
	capSyslog        = 34
)

// nonrootRoot is a world-traversable directory (t.TempDir is not) for
// what an unprivileged agent must reach: a copy of the binary and the
// fixture sysfs.
func nonrootRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "faulttest-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dmiSection is the part of the dmi section the privilege test compares.
type dmiSection struct {
	Source string `json:"source"`
	BIOS   struct {
		Vendor      string `json:"vendor"`
		Version     string `json:"version"`
		ReleaseDate string `json:"release_date"`
	} `json:"bios"`
	System struct {
		Manufacturer string `json:"manufacturer"`
		ProductName  string `json:"product_name"`
		Version      string `json:"version"`
		SerialNumber string `json:"serial_number"`
		UUID         string `json:"uuid"`
		Family       string `json:"family"`
	} `json:"system"`
	Baseboard struct {
		Manufacturer string `json:"manufacturer"`
		ProductName  string `json:"product_name"`
		Version      string `json:"version"`
		SerialNumber string `json:"serial_number"`
	} `json:"baseboard"`
	Chassis struct {
		Manufacturer string `json:"manufacturer"`
		Type         string `json:"type"`
		Version      string `json:"version"`
		SerialNumber string `json:"serial_number"`
	} `json:"chassis"`
	Processors []json.RawMessage `json:"processors"`
	Errors     map[string]string `json:"errors"`
}

// writeDMIID writes sys/class/dmi/id below sys as the kernel exports it
// from the tables root read: identity attributes world-readable, serial
// numbers and the UUID readable by root only.
func writeDMIID(t *testing.T, sys string, s dmiSection) {
	t.Helper()
	chassisType := ""
	for n := 1; n < 256; n++ {
		if dmi.ChassisTypeName(uint8(n)) == s.Chassis.Type {
			chassisType = strconv.Itoa(n)
			break
		}
	}
	dir := filepath.Join(sys, "class", "dmi", "id")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"bios_vendor": s.BIOS.Vendor, "bios_version": s.BIOS.Version, "bios_date": s.BIOS.ReleaseDate,
		"sys_vendor": s.System.Manufacturer, "product_name": s.System.ProductName, "product_version": s.System.Version,
		"product_family": s.System.Family, "board_vendor": s.Baseboard.Manufacturer, "board_name": s.Baseboard.ProductName,
		"board_version": s.Baseboard.Version, "chassis_vendor": s.Chassis.Manufacturer, "chassis_type": chassisType,
		"chassis_version": s.Chassis.Version,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]string{
		"product_serial": s.System.SerialNumber, "product_uuid": s.System.UUID,
		"board_serial": s.Baseboard.SerialNumber, "chassis_serial": s.Chassis.SerialNumber,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNonRoot runs the agent as nobody, with no capability, with only
// CAP_SYSLOG and with only CAP_DAC_READ_SEARCH, against the machine's own
// /dev/kmsg and /proc and a sysfs whose SMBIOS tables are root-only (mode
// 0400, as the kernel exports them) beside a world-readable
// /sys/class/dmi/id (a Dell XPS 13 9365's tables, which have serial
// numbers and a UUID to withhold), and checks each row of the README's privilege table
// it can reach: dmi falls back to /sys/class/dmi/id with the same
// identity labels and says so, kmsg fails naming CAP_SYSLOG while
// kernel.dmesg_restrict=1, a grub.cfg of mode 0600 is reported in the
// bootloader section's errors, history cannot write a root-owned state
// directory; each capability lifts exactly its rows.
func TestNonRoot(t *testing.T) {
	needRoot(t)
	restrict, err := os.ReadFile("/proc/sys/kernel/dmesg_restrict")
	if err != nil {
		testutil.SkipOrFail(t, "no kernel.dmesg_restrict: %v", err)
	}
	if strings.TrimSpace(string(restrict)) != "1" {
		testutil.SkipOrFail(t, "kernel.dmesg_restrict is %s here; the test needs 1", strings.TrimSpace(string(restrict)))
	}
	if f, err := os.Open("/dev/kmsg"); err != nil {
		testutil.SkipOrFail(t, "root cannot read /dev/kmsg here: %v", err)
	} else {
		f.Close()
	}

	dir := nonrootRoot(t)
	bin := filepath.Join(dir, "bootinfo")
	testutil.CopyFile(t, agent.Binary(t), bin, 0o755)
	sys := filepath.Join(dir, "sys")
	tables := testutil.Shared(t, "smbios", "sysfs", "dell-xps9365")
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		testutil.CopyFile(t, filepath.Join(tables, f), filepath.Join(sys, "firmware", "dmi", "tables", f), 0o400)
	}
	// The real block devices, one holding grub.cfg's root=UUID=.
	rootDev := realBlockDevices(t, sys, "0a1b2c3d-4e5f-6789-abcd-ef0123456789")
	// A boot directory whose grub.cfg is root's alone, as RHEL installs
	// it (0600).
	boot := filepath.Join(dir, "boot")
	testutil.CopyFile(t, filepath.Join("testdata", "grub.cfg"), filepath.Join(boot, "grub", "grub.cfg"), 0o600)
	for _, k := range kernels {
		write(t, filepath.Join(boot, "vmlinuz-"+k), []byte("kernel image"))
	}
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	args := func() []string {
		return []string{timeoutArg, "--no-collector.systemd", "--path.sysfs=" + sys, "--path.boot=" + boot, "--state.dir=" + state}
	}
	run := func(t *testing.T, attr *syscall.SysProcAttr) (*agent.Agent, agent.Metrics, document) {
		t.Helper()
		a := agent.StartWith(t, agent.Options{Binary: bin, SysProcAttr: attr, Args: args()})
		ms, d := scrapeOnce(t, a)
		return a, ms, d
	}
	section := func(t *testing.T, d document) dmiSection {
		t.Helper()
		var s dmiSection
		if err := json.Unmarshal(d.Sections["dmi"], &s); err != nil {
			t.Fatalf("dmi section: %v", err)
		}
		return s
	}

	// Root reads the tables: the reference, and what the kernel would
	// put in /sys/class/dmi/id.
	_, rootMetrics, rootDoc := run(t, nil)
	rootDMI := section(t, rootDoc)
	if rootDMI.Source != "tables" || rootDMI.System.SerialNumber == "" && rootDMI.System.UUID == "" {
		t.Fatalf("root: dmi section %+v", rootDMI)
	}
	wantServed(t, rootMetrics, rootDoc, "dmi", "kmsg", "host", "history")
	// The root device: root reads the loop device's superblock (there
	// is no udev here to ask).
	var rootNB nextBootRoot
	if err := json.Unmarshal(rootDoc.Sections["bootloader"], &rootNB); err != nil {
		t.Fatal(err)
	}
	if r := rootNB.NextBoot.Checked.Root; !r.Found || r.Device != rootDev && r.Source == "superblock" {
		t.Errorf("root: next_boot.checked.root %+v, want found on %s", r, rootDev)
	}
	writeDMIID(t, sys, rootDMI)
	// The state directory stays root's: nobody cannot write it.
	if err := os.Chmod(state, 0o555); err != nil {
		t.Fatal(err)
	}

	cred := &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
	for _, tc := range []struct {
		name    string
		ambient []uintptr
	}{
		{"no capabilities", nil},
		{"CAP_SYSLOG", []uintptr{capSyslog}},
		{"CAP_DAC_READ_SEARCH", []uintptr{capDACReadSearch}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, ms, d := run(t, &syscall.SysProcAttr{Credential: cred, AmbientCaps: tc.ambient})
			var want uint64
			for _, c := range tc.ambient {
				want |= 1 << c
			}
			if r, err := a.Resources(); err != nil || r.CapEff != want {
				t.Fatalf("the agent's effective capabilities are %#x (%v), want %#x", r.CapEff, err, want)
			}
			hasCap := func(c uintptr) bool { return want&(1<<c) != 0 }
			wantServed(t, ms, d, "host", "firmware", "bootloader")

			// kmsg: CAP_SYSLOG, since kernel.dmesg_restrict=1.
			if hasCap(capSyslog) {
				wantServed(t, ms, d, "kmsg")
				var k struct {
					RecordsSeen uint64 `json:"records_seen"`
				}
				if err := json.Unmarshal(d.Sections["kmsg"], &k); err != nil || k.RecordsSeen == 0 {
					t.Errorf("kmsg with CAP_SYSLOG read no records: %v %s", err, d.Sections["kmsg"])
				}
			} else {
				msg := wantFailed(t, ms, d, "kmsg", "/dev/kmsg", "operation not permitted", "CAP_SYSLOG")
				t.Logf("errors.kmsg = %q", msg)
			}

			// dmi: root or CAP_DAC_READ_SEARCH for the tables, else
			// /sys/class/dmi/id with the same identity.
			s := section(t, d)
			wantServed(t, ms, d, "dmi")
			if d := cmp.Diff(rootMetrics.Samples("bootinfo_dmi_info"), ms.Samples("bootinfo_dmi_info")); d != "" {
				t.Errorf("bootinfo_dmi_info differs from root's (-root +nobody):\n%s", d)
			}
			if hasCap(capDACReadSearch) {
				if s.Source != "tables" || ms.Value("bootinfo_dmi_tables_readable") != 1 || len(s.Processors) == 0 {
					t.Errorf("with CAP_DAC_READ_SEARCH: source %q, tables readable %v, %d processors", s.Source, ms.Value("bootinfo_dmi_tables_readable"), len(s.Processors))
				}
			} else {
				if s.Source != "sysfs-dmi-id" || ms.Value("bootinfo_dmi_tables_readable") != 0 {
					t.Errorf("without privileges: source %q, tables readable %v; want sysfs-dmi-id, 0", s.Source, ms.Value("bootinfo_dmi_tables_readable"))
				}
				if !strings.Contains(s.Errors["tables"], "permission denied") {
					t.Errorf("dmi errors.tables = %q, want the permission error", s.Errors["tables"])
				}
				if s.System.SerialNumber != "" || s.System.UUID != "" || len(s.Processors) != 0 {
					t.Errorf("the fallback shows root-only data: serial %q uuid %q, %d processors", s.System.SerialNumber, s.System.UUID, len(s.Processors))
				}
				if !strings.Contains(a.Output.String(), "/sys/class/dmi/id") {
					t.Errorf("the log does not say dmi fell back to /sys/class/dmi/id:\n%s", a.Output)
				}
				t.Logf("dmi errors.tables = %q", s.Errors["tables"])
			}

			// bootloader: read access to /boot.
			var bl struct {
				Entries []json.RawMessage `json:"entries"`
				Errors  map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(d.Sections["bootloader"], &bl); err != nil {
				t.Fatal(err)
			}
			if hasCap(capDACReadSearch) {
				if len(bl.Entries) == 0 || len(bl.Errors) > 0 {
					t.Errorf("bootloader with CAP_DAC_READ_SEARCH: %s", d.Sections["bootloader"])
				}
			} else if len(bl.Entries) != 0 || !strings.Contains(bl.Errors["config"], "permission denied") {
				t.Errorf("bootloader without read access to grub.cfg: %d entries, errors %v; want none and the permission error", len(bl.Entries), bl.Errors)
			} else {
				t.Logf("bootloader errors.config = %q", bl.Errors["config"])
			}

			// bootloader's root check: CAP_DAC_READ_SEARCH reads the
			// devices (without it grub.cfg is not read either: see
			// below for the check alone).
			var nb nextBootRoot
			if err := json.Unmarshal(d.Sections["bootloader"], &nb); err != nil {
				t.Fatal(err)
			}
			r := nb.NextBoot.Checked.Root
			switch {
			case hasCap(capDACReadSearch) && (!r.Found || r.Device != rootDev && r.Source == "superblock"):
				t.Errorf("root check with CAP_DAC_READ_SEARCH: %+v, want found on %s", r, rootDev)
			case hasCap(capDACReadSearch):
				t.Logf("next_boot.checked.root = %+v", r)
			}

			// history: write access to the state directory, which no
			// capability here gives.
			msg := wantFailed(t, ms, d, "history", "permission denied")
			t.Logf("errors.history = %q", msg)
			checkHistoryServed(t, d, false)
			noPanic(t, "agent", a)
		})
	}

	// The root check alone, with a grub.cfg anyone may read: nobody
	// without CAP_DAC_READ_SEARCH cannot read the block devices, and with
	// no udev here the root is not checked rather than reported missing.
	t.Run("root check without privileges", func(t *testing.T) {
		open := filepath.Join(dir, "boot-open")
		testutil.CopyFile(t, filepath.Join("testdata", "grub.cfg"), filepath.Join(open, "grub", "grub.cfg"), 0o644)
		for _, k := range kernels {
			write(t, filepath.Join(open, "vmlinuz-"+k), []byte("kernel image"))
		}
		a := agent.StartWith(t, agent.Options{Binary: bin, SysProcAttr: &syscall.SysProcAttr{Credential: cred},
			Args: []string{timeoutArg, "--no-collector.systemd", "--path.sysfs=" + sys, "--path.boot=" + open, "--state.dir=" + state}})
		_, d := scrapeOnce(t, a)
		var nb nextBootRoot
		if err := json.Unmarshal(d.Sections["bootloader"], &nb); err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(nb.NextBoot.Checked.Notes, "\n")
		if r := nb.NextBoot.Checked.Root; r.Found || !strings.Contains(r.Skipped, rootDev+": permission denied") || !strings.Contains(notes, "root= not checked") {
			t.Errorf("root check as nobody: root %+v, notes %q; want not checked, naming %s", r, notes, rootDev)
		}
		if strings.Contains(string(d.Sections["bootloader"]), "root_not_found") {
			t.Errorf("root_not_found guessed without reading the devices: %s", d.Sections["bootloader"])
		}
		t.Logf("notes: %s", notes)
		noPanic(t, "agent", a)
	})
}
