package qemulab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// findLab returns the lab or skips (fails under CI=true) when it is not set up.
func findLab(t *testing.T) *Lab {
	t.Helper()
	if testing.Short() {
		t.Skip("boots a QEMU guest; skipped with -short")
	}
	l, err := Find()
	if errors.Is(err, ErrNotSetUp) {
		testutil.SkipOrFail(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// buildProbe compiles testdata/probe as a static binary.
func buildProbe(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "probe")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/probe")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build probe: %v\n%s", err, b)
	}
	return out
}

func TestBootProbe(t *testing.T) {
	l := findLab(t)
	probe := buildProbe(t)
	// One firmware is enough to test the harness; e2e/firmwarelab_test.go
	// boots the real agent under every profile.
	for _, fw := range []Firmware{SeaBIOS} {
		t.Run(fw.String(), func(t *testing.T) {
			// Safety net against a hung guest only; nothing here measures time.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			const serial = "LAB-PROBE-0042"
			res, err := l.Boot(ctx, Config{
				Firmware: fw,
				SMBIOS:   []string{"type=1,manufacturer=Probe Labs,serial=" + serial},
				Files:    []File{{Path: "/bin/probe", HostPath: probe}},
				Capture:  FirmwareCapture,
				Commands: []Command{
					{Name: "probe", Script: "probe one two\n"},
					{Name: "fails", Script: "echo to-stderr >&2; exit 3\n"},
				},
			})
			if err != nil {
				if res != nil {
					t.Logf("console:\n%s\nqemu stderr:\n%s", res.Console, res.Stderr)
				}
				t.Fatal(err)
			}
			t.Logf("%s boot took %v (guest uptime at /init %v, done %v)", fw, res.Elapsed.Round(time.Millisecond),
				res.InitStart.Round(10*time.Millisecond), res.InitDone.Round(10*time.Millisecond))
			var facts struct {
				KernelRelease  string   `json:"kernel_release"`
				Cmdline        string   `json:"cmdline"`
				EFI            bool     `json:"efi"`
				FwPlatformSize string   `json:"fw_platform_size"`
				SysVendor      string   `json:"sys_vendor"`
				ProductSerial  string   `json:"product_serial"`
				Args           []string `json:"args"`
			}
			p := res.Outputs["probe"]
			if p == nil || p.ExitStatus != 0 {
				t.Fatalf("probe output: %+v", p)
			}
			if err := json.Unmarshal(p.Stdout, &facts); err != nil {
				t.Fatalf("probe printed %q: %v", p.Stdout, err)
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
	l := findLab(t)
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
