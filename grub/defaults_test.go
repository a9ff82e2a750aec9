package grub

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseDefaults(t *testing.T) {
	intp := func(n int) *int { return &n }
	tests := []struct {
		file string
		want Defaults
	}{
		{"ubuntu", Defaults{
			Default: "Advanced options for Ubuntu>Ubuntu, with Linux 5.15.0-91-generic", DefaultKind: "path",
			Timeout: intp(0), CmdlineLinux: "net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200",
			CmdlineLinuxDefault: "quiet splash",
		}},
		{"rhel", Defaults{
			Default: "saved", DefaultKind: "saved", Timeout: intp(5), DisableSubmenu: true, EnableBLSCfg: true,
			CmdlineLinux: "crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet",
		}},
		{"quoting", Defaults{
			Default: "1>2", DefaultKind: "path", Timeout: intp(7), SaveDefault: true, DisableSubmenu: true,
			CmdlineLinux: `a="b c" d='e' $f \g`, CmdlineLinuxDefault: "quiet splash",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "defaults", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			d, err := ParseDefaults(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, d, cmpopts.IgnoreFields(Defaults{}, "Vars", "Warnings")); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestParseDefaultsWarnings(t *testing.T) {
	d, err := ParseDefaults([]byte("GRUB_DISTRIBUTOR=`lsb_release -i -s`\nif [ -x /x ]; then GRUB_DEFAULT=2; fi\nGRUB_TIMEOUT=soon\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != 3 || d.Timeout != nil || d.Default != "2" {
		t.Errorf("%+v", d)
	}
	if _, err := ParseDefaults([]byte("GRUB_DEFAULT='unterminated\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("unterminated quote: %v", err)
	}
}

func TestDefaultKinds(t *testing.T) {
	for in, want := range map[string]string{"0": "index", "12": "index", "saved": "saved", "1>2": "path",
		"gnulinux-advanced-x>gnulinux-6.1-advanced-x": "path", "Debian GNU/Linux": "entry", "a>>b": "entry"} {
		d, _ := ParseDefaults([]byte("GRUB_DEFAULT='" + in + "'\n"))
		if d.DefaultKind != want {
			t.Errorf("%q: kind %q, want %q", in, d.DefaultKind, want)
		}
	}
}
