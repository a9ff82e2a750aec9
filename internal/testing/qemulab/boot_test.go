package qemulab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// buildProbe compiles testdata/probe as a static binary.
func buildProbe(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "probe")
	if err := (testutil.StaticBuild{Dir: filepath.Join("testdata", "probe")}).Run(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBootProbe(t *testing.T) {
	l := Setup(t)
	probe := buildProbe(t)
	// One firmware is enough to test the harness; test/e2e/firmwarelab_test.go
	// boots the real agent under every profile.
	for _, fw := range []Firmware{SeaBIOS} {
		t.Run(fw.String(), func(t *testing.T) {
			const serial = "LAB-PROBE-0042"
			res := l.Run(t, "probe-"+fw.String(), Config{
				Firmware: fw,
				SMBIOS:   []string{"type=1,manufacturer=Probe Labs,serial=" + serial},
				Files:    []File{{Path: "/bin/probe", HostPath: probe}},
				Capture:  FirmwareCapture,
				Commands: []Command{
					{Name: "probe", Script: "probe one two\n"},
					{Name: "fails", Script: "echo to-stderr >&2; exit 3\n"},
				},
			})
			var facts struct {
				KernelRelease  string   `json:"kernel_release"`
				Cmdline        string   `json:"cmdline"`
				EFI            bool     `json:"efi"`
				FwPlatformSize string   `json:"fw_platform_size"`
				SysVendor      string   `json:"sys_vendor"`
				ProductSerial  string   `json:"product_serial"`
				Args           []string `json:"args"`
			}
			out, err := res.Command("probe")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &facts); err != nil {
				t.Fatalf("probe printed %q: %v", out, err)
			}
			t.Logf("probe: %+v", facts)
			if facts.KernelRelease != l.KernelRelease {
				t.Errorf("kernel release %q, want %q", facts.KernelRelease, l.KernelRelease)
			}
			if wantEFI := fw != SeaBIOS; facts.EFI != wantEFI {
				t.Errorf("efi = %v, want %v", facts.EFI, wantEFI)
			}
			if facts.SysVendor != "Probe Labs" || facts.ProductSerial != serial {
				t.Errorf("dmi id: vendor %q serial %q", facts.SysVendor, facts.ProductSerial)
			}
			if f := res.Outputs["fails"]; f == nil || f.ExitStatus != 3 || string(f.Stderr) != "to-stderr\n" {
				t.Errorf("failing command: %+v", f)
			}
			if _, err := res.DumpBin(); err != nil {
				t.Error(err)
			}
			vars := res.EFIVars()
			if fw == SeaBIOS && len(vars) != 0 {
				t.Errorf("%d efivars under SeaBIOS", len(vars))
			}
			if fw != SeaBIOS && len(vars) == 0 {
				t.Errorf("no efivars under %v", fw)
			}
		})
	}
}

// TestBootBoundsConsole checks the safety net: a guest that floods the console
// is stopped once the transcript reaches its bound, and the boot reports
// ErrIncomplete rather than hanging or growing without end.
func TestBootBoundsConsole(t *testing.T) {
	l := Setup(t)
	const limit = 4 << 10
	res, err := l.Boot(context.Background(), Config{
		Firmware:   SeaBIOS,
		MaxConsole: limit,
		Commands:   []Command{{Name: "flood", Script: "while :; do echo flood >/dev/console; done\n"}},
	})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	if res == nil || len(res.Console) != limit {
		t.Fatalf("kept %d bytes of console, want exactly the bound %d", len(res.Console), limit)
	}
	if !bytes.Contains(res.Console, []byte("flood\r\n")) {
		t.Errorf("console does not show the flood:\n%s", tail(res.Console, 500))
	}
	t.Logf("stopped after %v: %v", res.Elapsed.Round(time.Millisecond), err)
}
