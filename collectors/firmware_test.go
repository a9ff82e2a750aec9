package collectors

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/prometheus/client_golang/prometheus"
)

// efiRoot builds a sysfs root whose efivarfs holds links to every file in
// varDirs (real variables from the shared corpus, not copies of them).
func efiRoot(t *testing.T, platformBits string, varDirs ...string) string {
	t.Helper()
	sys := t.TempDir()
	vars := filepath.Join(sys, "firmware", "efi", "efivars")
	if err := os.MkdirAll(vars, 0o755); err != nil {
		t.Fatal(err)
	}
	if platformBits != "" {
		if err := os.WriteFile(filepath.Join(sys, "firmware", "efi", "fw_platform_size"), []byte(platformBits+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range varDirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			// A copy: an absolute link resolves inside the sysfs root.
			b, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(vars, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sys
}

func collectFirmware(t *testing.T, sys string, refresh time.Duration) (*FirmwareSection, *Snapshot, Collector) {
	t.Helper()
	c, snap := collect(t, NewFirmwareCollector, Config{Paths: Paths{SysFS: sys}, Firmware: FirmwareConfig{Refresh: refresh}})
	return snap.Section.(*FirmwareSection), snap, c
}

func metricsText(t *testing.T, s *Snapshot, names ...string) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(snapshotMetrics{s})
	var b strings.Builder
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, n := range names {
			if mf.GetName() == n {
				for _, m := range mf.GetMetric() {
					var labels []string
					for _, l := range m.GetLabel() {
						labels = append(labels, l.GetName()+"="+l.GetValue())
					}
					b.WriteString(n + "{" + strings.Join(labels, ",") + "} " + strconv.FormatFloat(m.GetGauge().GetValue()+m.GetCounter().GetValue(), 'g', -1, 64) + "\n")
				}
			}
		}
	}
	return b.String()
}

// TestFirmwareLenovoRealVariables: the real Lenovo set, whose SetupMode file
// is broken (it holds xxd text), decodes every entry and reports the broken
// variable as an error of that field only.
func TestFirmwareLenovoRealVariables(t *testing.T) {
	base := testutil.Shared(t, "efivars", "foxboron-go-uefi")
	sys := efiRoot(t, "64", filepath.Join(base, "boot"), filepath.Join(base, "bootorder"), filepath.Join(base, "misc"))
	sec, snap, _ := collectFirmware(t, sys, 0)
	if sec.Mode != efi.ModeUEFI || sec.SecureBoot != "disabled" || sec.PlatformBits != 64 {
		t.Errorf("mode %q secure_boot %q bits %d", sec.Mode, sec.SecureBoot, sec.PlatformBits)
	}
	if sec.SetupMode != nil {
		t.Errorf("setup_mode decoded from a broken file: %v", *sec.SetupMode)
	}
	if _, ok := sec.Errors["SetupMode"]; !ok || len(sec.Errors) != 1 {
		t.Errorf("errors = %v, want exactly SetupMode", sec.Errors)
	}
	if len(sec.BootEntries) != 22 || len(sec.BootOrder) == 0 {
		t.Fatalf("%d entries, order %v", len(sec.BootEntries), sec.BootOrder)
	}
	var hidden, inactive int
	for _, e := range sec.BootEntries {
		if e.Hidden {
			hidden++
		}
		if !e.Active {
			inactive++
		}
		if e.Description == "" || e.DevicePath == "" {
			t.Errorf("entry %s lacks description or path: %+v", e.ID, e)
		}
	}
	if hidden == 0 || inactive == 0 {
		t.Errorf("hidden %d, inactive %d: the corpus has both", hidden, inactive)
	}
	got := metricsText(t, snap, "bootinfo_firmware_info", "bootinfo_efi_variable_errors", "bootinfo_efi_boot_entries")
	want := "bootinfo_efi_boot_entries{} 22\nbootinfo_efi_variable_errors{} 1\nbootinfo_firmware_info{mode=uefi,secure_boot=disabled} 1\n"
	if got != want {
		t.Errorf("metrics:\n%s\nwant:\n%s", got, want)
	}
	if n := strings.Count(metricsText(t, snap, "bootinfo_efi_boot_entry_info"), "\n"); n != 22 {
		t.Errorf("%d boot entry series, want 22", n)
	}
}

// TestFirmwareOVMFBoots: every complete OVMF variable set from a real boot.
func TestFirmwareOVMFBoots(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "boots"), "ovmf-*"))
	if len(dirs) == 0 {
		t.Fatal("no OVMF boots in the corpus")
	}
	for _, d := range dirs {
		t.Run(filepath.Base(d), func(t *testing.T) {
			bits, err := os.ReadFile(filepath.Join(d, "sys-firmware-efi-fw_platform_size"))
			if err != nil {
				t.Fatal(err)
			}
			sys := efiRoot(t, strings.TrimSpace(string(bits)), filepath.Join(d, "efivars"))
			sec, snap, _ := collectFirmware(t, sys, 0)
			if sec.Mode != efi.ModeUEFI || sec.SecureBoot != "disabled" || sec.SetupMode == nil || len(sec.Errors) != 0 {
				t.Errorf("mode %q secure_boot %q setup_mode %v errors %v", sec.Mode, sec.SecureBoot, sec.SetupMode, sec.Errors)
			}
			if len(sec.BootEntries) == 0 {
				t.Fatal("no boot entries")
			}
			_, err = os.Stat(filepath.Join(d, "efivars", "BootCurrent-8be4df61-93ca-11d2-aa0d-00e098032b8c"))
			hasCurrent := err == nil
			if (sec.BootCurrent != nil) != hasCurrent {
				t.Errorf("boot_current %v, variable present %v", sec.BootCurrent, hasCurrent)
			}
			current := strings.Count(metricsText(t, snap, "bootinfo_efi_boot_entry_info"), "current=true")
			if hasCurrent && current != 1 || !hasCurrent && current != 0 {
				t.Errorf("%d entries marked current (BootCurrent present: %v)", current, hasCurrent)
			}
		})
	}
}

func TestFirmwareUEFIWithoutSecureBootVariable(t *testing.T) {
	sys := efiRoot(t, "64")
	if err := os.WriteFile(filepath.Join(sys, "firmware", "efi", "efivars", "Timeout-8be4df61-93ca-11d2-aa0d-00e098032b8c"), []byte{7, 0, 0, 0, 5, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	sec, _, _ := collectFirmware(t, sys, 0)
	if sec.Mode != efi.ModeUEFI || sec.SecureBoot != "unknown" {
		t.Errorf("mode %q secure_boot %q", sec.Mode, sec.SecureBoot)
	}
}

// TestFirmwareReadsVariablesOnce: the variables are not read again within
// the refresh interval, and are with a refresh of 1ns.
func TestFirmwareReadsVariablesOnce(t *testing.T) {
	d := testutil.Shared(t, "boots", "ovmf-q35", "efivars")
	sys := efiRoot(t, "64", d)
	_, _, once := collectFirmware(t, sys, 0)
	_, _, often := collectFirmware(t, sys, time.Nanosecond)
	// Take the boot entries away; a cached collector must not notice.
	matches, _ := filepath.Glob(filepath.Join(sys, "firmware", "efi", "efivars", "Boot0*"))
	for _, m := range matches {
		os.Remove(m)
	}
	s1, err := once.Collect(context.Background())
	if err != nil || len(s1.Section.(*FirmwareSection).BootEntries) == 0 {
		t.Errorf("cached collector re-read the variables: %v", err)
	}
	s2, err := often.Collect(context.Background())
	if err != nil || len(s2.Section.(*FirmwareSection).BootEntries) != 0 {
		t.Errorf("refreshing collector kept stale entries: %v", err)
	}
}

// TestFirmwareModeDecidedOnce: a collector that reads the variables again
// on every refresh still judges the firmware mode once, as how this kernel
// was started cannot change before the next boot; a mode left unknown is
// judged again.
func TestFirmwareModeDecidedOnce(t *testing.T) {
	d := testutil.Shared(t, "boots", "ovmf-q35", "efivars")
	sys := efiRoot(t, "64", d)
	sec, _, c := collectFirmware(t, sys, time.Nanosecond)
	if sec.Mode != efi.ModeUEFI {
		t.Fatalf("mode %s, want uefi: %v", sec.Mode, sec.ModeEvidence)
	}
	// Without firmware/efi a fresh judgement could not say uefi.
	if err := os.RemoveAll(filepath.Join(sys, "firmware", "efi")); err != nil {
		t.Fatal(err)
	}
	if _, _, fresh := collectFirmware(t, sys, time.Nanosecond); fresh.(*firmwareCollector).mode == efi.ModeUEFI {
		t.Fatal("a new collector judged uefi without firmware/efi: the test proves nothing")
	}
	s, err := c.Collect(context.Background())
	if s == nil {
		t.Fatal(err)
	}
	if got := s.Section.(*FirmwareSection); got.Mode != efi.ModeUEFI {
		t.Errorf("mode judged again on refresh: %s %v", got.Mode, got.ModeEvidence)
	}

	// Unknown is judged again: here, sysfs's firmware directory is
	// unreadable at first and then appears.
	sys2 := t.TempDir()
	_, _, u := collectFirmware(t, sys2, time.Nanosecond)
	fc := u.(*firmwareCollector)
	if m, _ := fc.firmwareMode(); m != efi.ModeUnknown {
		t.Fatalf("no sysfs firmware directory: mode %s, want unknown", m)
	}
	if err := os.MkdirAll(filepath.Join(sys2, "firmware", "efi"), 0o755); err != nil {
		t.Fatal(err)
	}
	if m, ev := fc.firmwareMode(); m != efi.ModeUEFI {
		t.Errorf("unknown mode not judged again: %s %v", m, ev)
	}
}
