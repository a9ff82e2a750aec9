package qemulab_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
)

// Boot a static binary under OVMF with Secure Boot on and a chosen system
// serial number, and read what it printed and the guest's firmware tables.
func ExampleLab_Boot() {
	lab, err := qemulab.Find()
	if err != nil {
		log.Fatal(err) // wraps qemulab.ErrNotSetUp: run scripts/lab-setup
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := lab.Boot(ctx, qemulab.Config{
		Firmware: qemulab.OVMFSecureBoot,
		SMBIOS:   []string{"type=1,serial=LAB-0001"},
		Files:    []qemulab.File{{Path: "/bin/agent", HostPath: "/tmp/agent"}},
		Capture:  qemulab.FirmwareCapture,
		Commands: []qemulab.Command{{Name: "show", Script: "agent show --format json\n"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", res.Outputs["show"].Stdout)
	dump, _ := res.DumpBin() // for dmidecode --from-dump
	vars := res.EFIVars()    // "SecureBoot-8be4df61-..." -> 06 00 00 00 01
	fmt.Println(len(dump), len(vars))
}

// Boot through a real boot loader: an ISO that grub-mkrescue builds around
// the lab kernel and this boot's initramfs, from a CD-ROM drive under OVMF.
// /init runs as with direct kernel boot; the command line is GRUB's.
func ExampleImage() {
	lab, err := qemulab.Find()
	if err != nil {
		log.Fatal(err)
	}
	iso := &qemulab.Image{Media: qemulab.CDROM, Build: func(dir string, in qemulab.ImageInputs) (string, error) {
		root := filepath.Join(dir, "iso")
		cfg := "set timeout=0\nmenuentry lab {\n" +
			"\tlinux /boot/vmlinuz " + in.Append + "\n\tinitrd /boot/initrd.img\n}\n"
		if err := os.MkdirAll(filepath.Join(root, "boot", "grub"), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(root, "boot", "grub", "grub.cfg"), []byte(cfg), 0o644); err != nil {
			return "", err
		}
		for src, dst := range map[string]string{in.Kernel: "vmlinuz", in.Initrd: "initrd.img"} {
			if err := os.Link(src, filepath.Join(root, "boot", dst)); err != nil {
				return "", err
			}
		}
		out := filepath.Join(dir, "lab.iso")
		return out, exec.Command("grub-mkrescue", "-o", out, root).Run()
	}}
	res, err := lab.Boot(context.Background(), qemulab.Config{
		Firmware: qemulab.OVMF,
		Image:    iso,
		Commands: []qemulab.Command{{Name: "cmdline", Script: "cat /proc/cmdline\n"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", res.Outputs["cmdline"].Stdout) // BOOT_IMAGE=/boot/vmlinuz console=ttyS0 ...
}
