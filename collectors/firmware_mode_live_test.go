//go:build linux

package collectors

import (
	"errors"
	iofs "io/fs"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

var (
	dmidecodePresent = regexp.MustCompile(`(?m)^SMBIOS ([0-9.]+) present\.$`)
	dmidecodeVendor  = regexp.MustCompile(`(?m)^\tVendor: (.*)$`)
)

// TestFirmwareModeThisMachine reads the live /sys and checks the mode
// against oracles that do not share its code: Debian's dmidecode (which
// finds the SMBIOS entry point through sysfs, the EFI system table or a scan
// of legacy memory, and decodes type 0 itself), the directory listing of
// /sys/firmware, and the kernel log when it still holds the DMI scan's
// verdict. On a VMM that starts the kernel directly the answer must be none;
// under SeaBIOS bios; under UEFI uefi.
func TestFirmwareModeThisMachine(t *testing.T) {
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "dmidecode needs root to read the SMBIOS tables")
	}
	dmidecode := testutil.Tool(t, "dmidecode", "dmidecode")
	sec, snap, _ := collectFirmware(t, "/sys", 0)
	t.Logf("mode %s, evidence %q", sec.Mode, sec.ModeEvidence)

	_, err := os.Stat("/sys/firmware/efi")
	efiPresent := err == nil
	if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		t.Fatal(err)
	}
	_, err = os.Stat("/sys/firmware/devicetree")
	deviceTree := err == nil

	out, runErr := exec.Command(dmidecode, "-t", "0").CombinedOutput()
	t.Logf("dmidecode -t 0 (%v):\n%s", runErr, out)
	m := dmidecodePresent.FindSubmatch(out)
	smbios := m != nil && runErr == nil
	vendor := ""
	if v := dmidecodeVendor.FindSubmatch(out); smbios && v != nil {
		vendor = string(v[1])
	}
	if !smbios && runErr == nil {
		t.Fatalf("dmidecode found no SMBIOS yet exited 0:\n%s", out)
	}

	var want efi.Mode
	switch {
	case efiPresent:
		want = efi.ModeUEFI
	case smbios && strings.Contains(string(out), "BIOS Information"):
		want = efi.ModeBIOS
	case smbios:
		want = efi.ModeUnknown
	case deviceTree:
		want = efi.ModeUnknown
	default:
		want = efi.ModeNone
	}
	if sec.Mode != want {
		t.Errorf("firmware.mode %q, want %q from the oracles (efi %v, dmidecode SMBIOS %v, device tree %v)", sec.Mode, want, efiPresent, smbios, deviceTree)
	}
	if got := metricsText(t, snap, "bootinfo_firmware_info"); !strings.Contains(got, "mode="+string(want)+",") {
		t.Errorf("metric %q, want mode %s", got, want)
	}

	// The evidence names what the oracles saw.
	has := func(s string) bool {
		return slices.ContainsFunc(sec.ModeEvidence, func(e string) bool { return strings.Contains(e, s) })
	}
	if !efiPresent && !has("no /sys/firmware/efi") || efiPresent && !has("/sys/firmware/efi present") {
		t.Errorf("evidence %q does not say whether /sys/firmware/efi exists (it does: %v)", sec.ModeEvidence, efiPresent)
	}
	if smbios && !has("SMBIOS "+string(m[1])+" entry point present") {
		t.Errorf("evidence %q lacks dmidecode's SMBIOS %s", sec.ModeEvidence, m[1])
	}
	if want == efi.ModeBIOS && !has("vendor "+vendor) {
		t.Errorf("evidence %q lacks dmidecode's BIOS vendor %q", sec.ModeEvidence, vendor)
	}
	if !smbios && !has(noSMBIOSFacts) {
		t.Errorf("evidence %q does not say there is no SMBIOS", sec.ModeEvidence)
	}

	// The kernel's own verdict, when its log still holds it.
	if log, err := exec.Command("dmesg").Output(); err == nil && strings.Contains(string(log), "DMI not present or invalid") {
		if sec.Mode == efi.ModeBIOS {
			t.Errorf("mode bios, but the kernel logged \"DMI not present or invalid\"")
		}
	} else {
		t.Logf("the kernel log no longer holds the DMI scan's verdict (%v)", err)
	}
}
