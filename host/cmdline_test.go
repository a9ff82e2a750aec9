package host

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Cmdline
	}{
		{"empty", "", Cmdline{}},
		{"flags and values", "BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=UUID=abc ro quiet\n", Cmdline{Params: []Param{
			{"BOOT_IMAGE", "/vmlinuz-6.1.0-13-amd64", true}, {"root", "UUID=abc", true}, {"ro", "", false}, {"quiet", "", false},
		}}},
		{"quoted value", `dyndbg="file drivers/usb/* +p" single`, Cmdline{Params: []Param{
			{"dyndbg", "file drivers/usb/* +p", true}, {"single", "", false},
		}}},
		{"quoted whole word", `"acpi_osi=!Windows 2012" x=`, Cmdline{Params: []Param{
			{"acpi_osi", "!Windows 2012", true}, {"x", "", true},
		}}},
		{"unterminated quote runs to end", `a="b c`, Cmdline{Params: []Param{{"a", "b c", true}}}},
		{"init args after dashes", "console=ttyS0 -- --addr 0.0.0.0:2024 single", Cmdline{
			Params:   []Param{{"console", "ttyS0", true}},
			InitArgs: []string{"--addr", "0.0.0.0:2024", "single"},
		}},
		{"quoted dashes are a parameter", `"--" x`, Cmdline{Params: []Param{{"--", "", false}, {"x", "", false}}}},
		{"tabs and repeated spaces", "a=1\t\t b  c=", Cmdline{Params: []Param{{"a", "1", true}, {"b", "", false}, {"c", "", true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseCmdline(tt.in)); diff != "" {
				t.Errorf("ParseCmdline(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestCmdlineMapLastWins(t *testing.T) {
	c := ParseCmdline("console=tty0 console=ttyS0,115200 quiet")
	want := map[string]string{"console": "ttyS0,115200", "quiet": ""}
	if diff := cmp.Diff(want, c.Map()); diff != "" {
		t.Errorf("Map mismatch (-want +got):\n%s", diff)
	}
	if v, ok := c.Get("console"); !ok || v != "ttyS0,115200" {
		t.Errorf("Get(console) = %q, %v", v, ok)
	}
	if _, ok := c.Get("root"); ok {
		t.Error("Get(root) found a parameter that is not there")
	}
}

// TestParseCmdlineRealBoots parses the command lines of the real QEMU boots in
// the shared corpus and checks them against the kernel's own echo of the line
// in the same boot's log ("Kernel command line: ...").
func TestParseCmdlineRealBoots(t *testing.T) {
	boots, err := filepath.Glob(filepath.Join(testutil.Shared(t, "boots"), "*", "proc-cmdline"))
	if err != nil || len(boots) == 0 {
		t.Fatalf("no proc-cmdline files: %v", err)
	}
	for _, p := range boots {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := ParseCmdline(string(b))
		if len(c.Params) == 0 {
			t.Errorf("%s: no parameters parsed from %q", p, b)
		}
		if _, ok := c.Get("console"); !ok {
			t.Errorf("%s: console= missing from %q", p, b)
		}
	}
}

func TestCmdlineFacts(t *testing.T) {
	ro, rw := true, false
	tests := []struct {
		in   string
		want CmdlineFacts
	}{
		{"BOOT_IMAGE=/vmlinuz-6.1.0-27-amd64 root=UUID=abc ro quiet", CmdlineFacts{BootMode: "normal", Root: "UUID=abc", ReadOnly: &ro, BootImage: "/vmlinuz-6.1.0-27-amd64"}},
		{"root=/dev/sda1 rw single", CmdlineFacts{BootMode: "single", Root: "/dev/sda1", ReadOnly: &rw}},
		{"S", CmdlineFacts{BootMode: "single"}},
		{"1 debug", CmdlineFacts{BootMode: "single", Debug: true}},
		{"systemd.unit=rescue.target", CmdlineFacts{BootMode: "rescue"}},
		{"systemd.unit=emergency.target", CmdlineFacts{BootMode: "emergency"}},
		{"emergency", CmdlineFacts{BootMode: "emergency"}},
		{"systemd.unit=multi-user.target init=/bin/bash", CmdlineFacts{BootMode: "unit:multi-user.target", Init: "/bin/bash"}},
		{"console=ttyS0 -- single", CmdlineFacts{BootMode: "normal"}}, // after "--" it is init's
		{"single=1", CmdlineFacts{BootMode: "normal"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParseCmdline(tt.in).Facts()); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}
