package qemulab

import (
	"fmt"
	"os"
	"strconv"
)

// Media is the kind of drive a boot image sits in.
type Media int

const (
	// CDROM is a SATA CD-ROM drive holding an ISO 9660 image, such as
	// grub-mkrescue writes (El Torito for BIOS, an EFI system partition
	// image for UEFI). The image is read-only to the guest.
	CDROM Media = iota + 1
	// Disk is a SATA hard disk holding a raw disk image (MBR or GPT). The
	// guest may write to it, as a boot loader's save_env does.
	Disk
)

// String returns the media's name as tests print it.
func (m Media) String() string {
	switch m {
	case CDROM:
		return "cdrom"
	case Disk:
		return "disk"
	}
	return "media(" + strconv.Itoa(int(m)) + ")"
}

// Image replaces QEMU's direct kernel boot (-kernel, -initrd, -append) with
// a bootable image that the firmware itself boots from a drive, so that a
// real boot loader (GRUB from grub-mkrescue, say) loads the kernel, chooses
// the command line and hands over to it.
type Image struct {
	// Media is the drive the image sits in; required.
	Media Media
	// Build writes the image into dir (a per-boot temporary directory,
	// removed after the boot) and returns its path. Its boot loader must
	// start in.Kernel with in.Initrd and a command line that sends the
	// console to ttyS0. Boot calls Build for every boot because the
	// initramfs carries the per-boot token the guest reports with.
	Build func(dir string, in ImageInputs) (string, error)
}

// ImageInputs are what [Image.Build] gets from Boot.
type ImageInputs struct {
	// Firmware is the profile the image boots under.
	Firmware Firmware
	// Kernel is the host path of the kernel this profile boots: the
	// snakeoil-signed one under [OVMFSecureBoot], Debian's signed one
	// otherwise (under [OVMFMicrosoft] too).
	Kernel string
	// KernelRelease is its `uname -r`.
	KernelRelease string
	// Initrd is the host path of this boot's initramfs, with /init and the
	// files of [Config.Files].
	Initrd string
	// Append is [Config.Append], or [DefaultAppend] when that is empty.
	Append string
}

// imageID names the boot drive on QEMU's command line.
const imageID = "labboot"

// imageArgs builds the image with cfg.Image.Build and returns the options
// that attach it as the first boot device.
func imageArgs(cfg *Config, in ImageInputs, tmp string) ([]string, error) {
	img := cfg.Image
	if img.Build == nil {
		return nil, fmt.Errorf("qemulab: image has no Build function")
	}
	var device string
	drive := "if=none,id=" + imageID + ",format=raw"
	switch img.Media {
	case CDROM:
		drive += ",media=cdrom,readonly=on"
		device = "ide-cd"
	case Disk:
		drive += ",media=disk"
		device = "ide-hd"
	default:
		return nil, fmt.Errorf("qemulab: unknown image media %v", img.Media)
	}
	p, err := img.Build(tmp, in)
	if err != nil {
		return nil, fmt.Errorf("qemulab: building the boot image: %w", err)
	}
	if fi, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("qemulab: boot image: %w", err)
	} else if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil, fmt.Errorf("qemulab: boot image %s is not a non-empty file", p)
	}
	// QEMU's -drive option separates with commas; a comma in the path
	// is doubled.
	drive += ",file=" + escapeOpt(p)
	// The drive sits on an AHCI (SATA) controller of its own on either
	// machine type: SeaBIOS drives the i440FX's legacy IDE by programmed
	// I/O, which under TCG makes GRUB read the kernel several times more
	// slowly than by AHCI's DMA. bootindex=0 makes it the first boot device
	// for SeaBIOS and OVMF alike (QEMU passes the order through fw_cfg's
	// "bootorder").
	return []string{
		"-device", "ahci,id=" + imageID + "-ahci",
		"-drive", drive,
		"-device", device + ",drive=" + imageID + ",bus=" + imageID + "-ahci.0,bootindex=0",
	}, nil
}

// escapeOpt doubles the commas of a value in a QEMU option list.
func escapeOpt(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == ',' {
			out = append(out, ',')
		}
	}
	return string(out)
}
