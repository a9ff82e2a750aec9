package qemulab

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// commandLine builds QEMU's command line for cfg in tmp and checks that it
// holds every string of want and none of not.
func commandLine(t *testing.T, l *Lab, cfg Config, tmp string, want, not []string) string {
	t.Helper()
	args, err := l.args(&cfg, tmp, "/tmp/initrd")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Join(args, " ")
	for _, s := range want {
		if !strings.Contains(line, s) {
			t.Errorf("command line lacks %q:\n%s", s, line)
		}
	}
	for _, s := range not {
		if strings.Contains(line, s) {
			t.Errorf("command line has %q:\n%s", s, line)
		}
	}
	return line
}

func TestArgs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	l := &Lab{
		Kernel: "/k/vmlinuz", KernelSnakeoil: "/k/vmlinuz.snakeoil",
		OVMFCode: "/fw/code.fd", OVMFVars: write("vars.fd", "plain vars"),
		OVMFCodeSnakeoil: "/fw/code.snakeoil.fd", OVMFVarsSnakeoil: write("vars.snakeoil.fd", "snakeoil vars"),
		OVMFCodeMicrosoft: "/fw/code.ms.fd", OVMFVarsMicrosoft: write("vars.ms.fd", "microsoft vars"),
	}
	tests := []struct {
		name     string
		cfg      Config
		want     []string // substrings of the joined command line
		not      []string
		varsData string
	}{
		{
			name: "seabios defaults",
			cfg:  Config{Firmware: SeaBIOS},
			want: []string{"-machine pc -accel tcg", "-m 512 ", "-kernel /k/vmlinuz ", "-append " + DefaultAppend, "-no-reboot"},
			not:  []string{"pflash", "-smp", "-smbios"},
		},
		{
			name: "seabios q35 ep64 with contents",
			cfg: Config{Firmware: SeaBIOS, Machine: "q35", SMBIOSEntryPoint64: true, SMP: "sockets=2,cores=1", MemoryMiB: 1024,
				SMBIOS: []string{"type=1,serial=S1", "type=11,value=hello"}, Append: "console=ttyS0 x=1",
				Devices: []string{"virtio-rng-pci,id=rng0"}},
			want: []string{"-device virtio-rng-pci,id=rng0", "-machine q35,smbios-entry-point-type=64 ", "-m 1024 ", "-smp sockets=2,cores=1", "-smbios type=1,serial=S1 -smbios type=11,value=hello", "-append console=ttyS0 x=1"},
			not:  []string{"pflash"},
		},
		{
			name: "rebooting guest with disks",
			cfg:  Config{Firmware: SeaBIOS, Reboot: true, Disks: []string{write("a.img", "a"), write("b,c.img", "b")}},
			want: []string{"-device ahci,id=labdisks", "-drive if=none,id=labdisk0,format=raw,file=", "a.img -device ide-hd,drive=labdisk0,bus=labdisks.0",
				"b,,c.img -device ide-hd,drive=labdisk1,bus=labdisks.1"},
			not: []string{"-no-reboot"},
		},
		{
			name:     "ovmf",
			cfg:      Config{Firmware: OVMF},
			want:     []string{"-machine q35 ", "unit=0,readonly=on,file=/fw/code.fd", "-kernel /k/vmlinuz "},
			not:      []string{"smm", "secure", "snakeoil"},
			varsData: "plain vars",
		},
		{
			name:     "ovmf secure boot",
			cfg:      Config{Firmware: OVMFSecureBoot, SMBIOSEntryPoint64: true},
			want:     []string{"-machine q35,smm=on,smbios-entry-point-type=64 ", "driver=cfi.pflash01,property=secure,value=on", "file=/fw/code.snakeoil.fd", "-kernel /k/vmlinuz.snakeoil "},
			varsData: "snakeoil vars",
		},
		{
			// Microsoft's keys: the same protected machine, the ms
			// images, and Debian's kernel as Debian signed it.
			name:     "ovmf microsoft keys",
			cfg:      Config{Firmware: OVMFMicrosoft},
			want:     []string{"-machine q35,smm=on ", "driver=cfi.pflash01,property=secure,value=on", "unit=0,readonly=on,file=/fw/code.ms.fd", "-kernel /k/vmlinuz "},
			not:      []string{"snakeoil", "/fw/code.fd"},
			varsData: "microsoft vars",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			line := commandLine(t, l, tt.cfg, tmp, tt.want, tt.not)
			if tt.varsData != "" {
				copyPath := filepath.Join(tmp, "OVMF_VARS.fd")
				if !strings.Contains(line, "unit=1,file="+copyPath) {
					t.Errorf("vars are not the per-boot copy:\n%s", line)
				}
				if b, err := os.ReadFile(copyPath); err != nil || string(b) != tt.varsData {
					t.Errorf("vars copy holds %q (%v), want %q", b, err, tt.varsData)
				}
			}
		})
	}
	for _, bad := range []Config{{}, {Firmware: 99}, {Firmware: OVMFSecureBoot, Machine: "pc"}, {Firmware: OVMFMicrosoft, Machine: "pc"}, {Firmware: SeaBIOS, MemoryMiB: 16}} {
		if _, err := l.args(&bad, t.TempDir(), "/i"); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestArgsImage(t *testing.T) {
	l := &Lab{
		KernelRelease: "6.1.0-99-amd64",
		Kernel:        "/k/vmlinuz", KernelSnakeoil: "/k/vmlinuz.snakeoil",
		OVMFCode: "/fw/code.fd", OVMFVars: "/dev/null",
		OVMFCodeSnakeoil: "/fw/code.snakeoil.fd", OVMFVarsSnakeoil: "/dev/null",
		OVMFCodeMicrosoft: "/fw/code.ms.fd", OVMFVarsMicrosoft: "/dev/null",
	}
	// build writes a one-byte image into a directory whose name needs
	// QEMU's comma escaping, and records what Boot handed it.
	var got ImageInputs
	build := func(dir string, in ImageInputs) (string, error) {
		got = in
		p := filepath.Join(dir, "a,b.iso")
		return p, os.WriteFile(p, []byte{1}, 0o600)
	}
	tests := []struct {
		name   string
		cfg    Config
		want   []string
		inputs ImageInputs
	}{
		{
			name: "seabios cdrom",
			cfg:  Config{Firmware: SeaBIOS, Image: &Image{Media: CDROM, Build: build}},
			want: []string{"-machine pc ", "media=cdrom,readonly=on", "a,,b.iso", "-device ahci,id=" + imageID + "-ahci", "-device ide-cd,drive=" + imageID + ",bus=" + imageID + "-ahci.0,bootindex=0"},
			inputs: ImageInputs{Firmware: SeaBIOS, Kernel: "/k/vmlinuz", KernelRelease: "6.1.0-99-amd64",
				Initrd: "/tmp/initrd", Append: DefaultAppend},
		},
		{
			name: "ovmf disk",
			cfg:  Config{Firmware: OVMF, Append: "console=ttyS0 x", Image: &Image{Media: Disk, Build: build}},
			want: []string{"-machine q35 ", "pflash", "media=disk", "-device ide-hd,drive=" + imageID + ",bus=" + imageID + "-ahci.0,bootindex=0"},
			inputs: ImageInputs{Firmware: OVMF, Kernel: "/k/vmlinuz", KernelRelease: "6.1.0-99-amd64",
				Initrd: "/tmp/initrd", Append: "console=ttyS0 x"},
		},
		{
			name: "secure boot gets the signed kernel",
			cfg:  Config{Firmware: OVMFSecureBoot, Image: &Image{Media: CDROM, Build: build}},
			want: []string{"smm=on", "-device ide-cd"},
			inputs: ImageInputs{Firmware: OVMFSecureBoot, Kernel: "/k/vmlinuz.snakeoil", KernelRelease: "6.1.0-99-amd64",
				Initrd: "/tmp/initrd", Append: DefaultAppend},
		},
		{
			name: "microsoft keys get Debian's kernel",
			cfg:  Config{Firmware: OVMFMicrosoft, Image: &Image{Media: CDROM, Build: build}},
			want: []string{"smm=on", "file=/fw/code.ms.fd", "-device ide-cd"},
			inputs: ImageInputs{Firmware: OVMFMicrosoft, Kernel: "/k/vmlinuz", KernelRelease: "6.1.0-99-amd64",
				Initrd: "/tmp/initrd", Append: DefaultAppend},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = ImageInputs{}
			tmp := t.TempDir()
			// The firmware boots the image: QEMU loads no kernel itself.
			line := commandLine(t, l, tt.cfg, tmp, tt.want, []string{"-kernel", "-initrd", "-append"})
			if !strings.Contains(line, "file="+strings.ReplaceAll(filepath.Join(tmp, "a,b.iso"), ",", ",,")) {
				t.Errorf("image is not the one Build wrote into the boot's directory:\n%s", line)
			}
			if d := cmp.Diff(tt.inputs, got); d != "" {
				t.Errorf("Build got (-want +got):\n%s", d)
			}
		})
	}

	empty := func(dir string, _ ImageInputs) (string, error) {
		p := filepath.Join(dir, "empty.iso")
		return p, os.WriteFile(p, nil, 0o600)
	}
	failing := func(string, ImageInputs) (string, error) { return "", errors.New("no xorriso") }
	for _, img := range []*Image{
		{Media: CDROM},                  // no Build
		{Media: 0, Build: build},        // no media
		{Media: CDROM, Build: empty},    // empty image
		{Media: Disk, Build: failing},   // Build fails
		{Media: CDROM, Build: dirImage}, // a directory
	} {
		if _, err := l.args(&Config{Firmware: SeaBIOS, Image: img}, t.TempDir(), "/i"); err == nil {
			t.Errorf("image %+v accepted", img)
		}
	}
}

func dirImage(dir string, _ ImageInputs) (string, error) { return dir, nil }
