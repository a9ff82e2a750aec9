package e2e

// Predict, then boot: bootinfo gives its verdict on the entry that boots
// next from a disk image's /boot, mounted on the host as a rescue system
// mounts a broken host's disk; then real GRUB boots that disk under
// SeaBIOS and under OVMF, and the console says what really happened.
// Needs root (loop devices, mounts), scripts/lab-setup (with its module
// set) and GRUB's i386-pc and x86_64-efi platforms.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// nextBootDisk is the lab's boot disk: an MBR partition holding an ext4
// root file system with /boot, and an EFI system partition, attached to
// a loop device and mounted at mnt while the host predicts, unmounted
// while QEMU boots the image.
type nextBootDisk struct {
	image, dev, part, mnt string
	// partuuid is the root partition's PARTUUID as the kernel spells it,
	// fsuuid its file system's UUID as blkid reads it.
	partuuid, fsuuid string
}

func (d *nextBootDisk) mount(t *testing.T) {
	t.Helper()
	if err := unix.Mount(d.part, d.mnt, "ext4", 0, ""); err != nil {
		t.Fatalf("mount %s: %v", d.part, err)
	}
}

func (d *nextBootDisk) unmount(t *testing.T) {
	t.Helper()
	if err := unix.Unmount(d.mnt, 0); err != nil {
		t.Fatalf("unmount %s: %v", d.mnt, err)
	}
}

// makeNextBootDisk builds the disk: GRUB's i386-pc boot sector and a core
// image (grub-mkimage) in the gap before the partition, as grub-install
// lays them out; GRUB for x86_64-efi as the removable-media loader
// \EFI\BOOT\BOOTX64.EFI on the EFI system partition, with the modules
// grub.cfg uses built in; and GRUB's i386-pc modules, the lab kernel, an
// initramfs and the root file system's init in the root partition. Both
// GRUBs read the same /boot/grub/grub.cfg. It returns the disk mounted.
func makeNextBootDisk(t *testing.T, lab *labEnv) *nextBootDisk {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "loop devices and mounts need root")
	}
	if lab.Modules == "" {
		testutil.SkipOrFail(t, "the lab has no module set: run scripts/lab-setup again")
	}
	for tool, pkg := range map[string]string{"grub-mkimage": "grub-common", "sfdisk": "fdisk", "losetup": "mount", "partx": "util-linux",
		"mkfs.ext4": "e2fsprogs", "mkfs.vfat": "dosfstools", "mmd": "mtools", "mcopy": "mtools", "blkid": "util-linux", "cpio": "cpio", "gzip": "gzip"} {
		testutil.Tool(t, tool, pkg)
	}
	const grubDir, grubEFIDir = "/usr/lib/grub/i386-pc", "/usr/lib/grub/x86_64-efi"
	if _, err := os.Stat(filepath.Join(grubDir, "boot.img")); err != nil {
		testutil.SkipOrFail(t, "GRUB for BIOS: %v (install grub-pc-bin)", err)
	}
	if _, err := os.Stat(filepath.Join(grubEFIDir, "linux.mod")); err != nil {
		testutil.SkipOrFail(t, "GRUB for UEFI: %v (install grub-efi-amd64-bin)", err)
	}
	tmp := t.TempDir()
	d := &nextBootDisk{image: filepath.Join(tmp, "disk.img"), mnt: filepath.Join(tmp, "mnt")}
	if err := os.WriteFile(d.image, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(d.image, 64<<20); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "label: dos\nstart=2048, size=52MiB, type=83\nsize=8MiB, type=ef\n", "sfdisk", "-q", d.image)
	var dump struct {
		PartitionTable struct {
			ID string `json:"id"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(testutil.Run(t, "", "sfdisk", "-J", d.image), &dump); err != nil {
		t.Fatalf("sfdisk -J: %v", err)
	}
	// An MBR partition's PARTUUID is the disk signature and the partition
	// number (the kernel's block/partitions/msdos.c).
	d.partuuid = strings.TrimPrefix(strings.ToLower(dump.PartitionTable.ID), "0x") + "-01"

	// GRUB: boot.img's code (not the partition table after it) in the
	// MBR, core.img from sector 1; grub-mkimage writes core.img's sector
	// count where boot.img's loader reads it.
	coreImg := filepath.Join(tmp, "core.img")
	early := filepath.Join(tmp, "early.cfg")
	if err := os.WriteFile(early, []byte("set root=(hd0,msdos1)\nset prefix=(hd0,msdos1)/boot/grub\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "", "grub-mkimage", "-O", "i386-pc", "-o", coreImg, "-c", early,
		"-p", "(hd0,msdos1)/boot/grub", "biosdisk", "part_msdos", "ext2")
	bootImg, err := os.ReadFile(filepath.Join(grubDir, "boot.img"))
	if err != nil {
		t.Fatal(err)
	}
	core, err := os.ReadFile(coreImg)
	if err != nil {
		t.Fatal(err)
	}
	if len(core) > (2048-1)*512 {
		t.Fatalf("core.img of %d bytes does not fit before the partition", len(core))
	}
	f, err := os.OpenFile(d.image, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := f.WriteAt(bootImg[:440], 0)
	_, err2 := f.WriteAt(core, 512)
	if err := f.Close(); err1 != nil || err2 != nil || err != nil {
		t.Fatalf("writing GRUB to the disk: %v %v %v", err1, err2, err)
	}

	out, err := exec.Command("losetup", "-f", "--show", "-P", d.image).CombinedOutput()
	if err != nil {
		testutil.SkipOrFail(t, "losetup: %v: %s", err, out)
	}
	d.dev = strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", d.dev).Run() })
	d.part = d.dev + "p1"
	if _, err := os.Stat(d.part); err != nil {
		// No udev here to make the partition's node.
		exec.Command("partx", "-a", d.dev).Run()
	}
	testutil.Run(t, "", "mkfs.ext4", "-q", "-F", d.part)
	// The file system's UUID, as the oracle reads it.
	d.fsuuid = strings.TrimSpace(string(testutil.Run(t, "", "blkid", "-p", "-o", "value", "-s", "UUID", d.part)))
	if d.fsuuid == "" {
		t.Fatalf("blkid gives %s no UUID", d.part)
	}

	// The EFI system partition, and GRUB for UEFI on it: the modules
	// grub.cfg's commands need are built in, so that the root partition
	// needs no x86_64-efi directory.
	esp := d.dev + "p2"
	testutil.Run(t, "", "mkfs.vfat", "-n", "LABESP", esp)
	bootx64 := filepath.Join(tmp, "BOOTX64.EFI")
	testutil.Run(t, "", "grub-mkimage", "-O", "x86_64-efi", "-o", bootx64, "-c", early, "-p", "(hd0,msdos1)/boot/grub",
		"part_msdos", "ext2", "normal", "linux", "serial", "terminal", "echo", "halt", "efi_gop")
	t.Setenv("MTOOLS_SKIP_CHECK", "1")
	testutil.Run(t, "", "mmd", "-i", esp, "::/EFI", "::/EFI/BOOT")
	testutil.Run(t, "", "mcopy", "-i", esp, bootx64, "::/EFI/BOOT/BOOTX64.EFI")

	if err := os.MkdirAll(d.mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	d.mount(t)
	t.Cleanup(func() { unix.Unmount(d.mnt, 0) })

	rel := lab.KernelRelease
	mods := filepath.Join("lib", "modules", rel)
	for _, dir := range []string{"bin", "sbin", "proc", "sys", "dev", "boot/grub"} {
		if err := os.MkdirAll(filepath.Join(d.mnt, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Run(t, "", "cp", "-r", filepath.Join(lab.Modules, "lib"), d.mnt)
	testutil.Run(t, "", "cp", "-r", grubDir, filepath.Join(d.mnt, "boot/grub/i386-pc"))
	testutil.CopyFile(t, lab.Busybox, filepath.Join(d.mnt, "bin/busybox"), 0o755)
	testutil.CopyFile(t, "testdata/nextbootlab/root-init", filepath.Join(d.mnt, "sbin/init"), 0o755)
	testutil.CopyFile(t, lab.Kernel, filepath.Join(d.mnt, "boot", "vmlinuz-"+rel), 0o644)

	// The initramfs, as an initramfs generator would make it: busybox,
	// the modules that reach the root file system, and /init.
	ir := filepath.Join(tmp, "initramfs")
	for _, dir := range []string{"bin", "dev", "proc", "sys", "root"} {
		if err := os.MkdirAll(filepath.Join(ir, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	testutil.CopyFile(t, lab.Busybox, filepath.Join(ir, "bin/busybox"), 0o755)
	testutil.CopyFile(t, "testdata/nextbootlab/initramfs-init", filepath.Join(ir, "init"), 0o755)
	testutil.Run(t, "", "cp", "-r", filepath.Join(lab.Modules, "lib"), ir)
	if _, err := os.Stat(filepath.Join(ir, mods, "modules.dep")); err != nil {
		t.Fatal(err)
	}
	// Compressed as Debian's mkinitramfs compresses by default.
	cmd := exec.Command("sh", "-c", "find . | cpio --quiet -o -H newc | zstd -q -1 -T0 > "+filepath.Join(d.mnt, "boot", "initrd.img-"+rel))
	cmd.Dir = ir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio | zstd: %v: %s", err, out)
	}
	cfg := fmt.Sprintf(`# GRUB for BIOS talks to the VGA console unless told otherwise.
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set default=0
set timeout=0
# Not in a distribution's grub.cfg: when the default entry fails inside
# GRUB, the lab's machine powers off instead of waiting at the menu.
set fallback=1
menuentry 'Debian GNU/Linux' --class debian --id lab-linux {
	linux	/boot/vmlinuz-%[1]s root=UUID=%[2]s ro console=ttyS0 quiet panic=-1
	initrd	/boot/initrd.img-%[1]s
}
menuentry 'lab: power off' --id lab-off {
	echo 'lab: the default entry did not boot; powering off'
	halt
}
`, rel, d.fsuuid)
	if err := os.WriteFile(filepath.Join(d.mnt, "boot/grub/grub.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// predictNextBoot runs `bootinfo show bootloader` on the mounted disk, as
// on a rescue system, and returns "ok" or the problems' reasons, and where
// the root device was found ("" when it was not).
func predictNextBoot(t *testing.T, lab *labEnv, d *nextBootDisk) (verdict string, problems []any, rootSource string) {
	t.Helper()
	out, err := exec.Command(lab.Agent, "show", "bootloader", "--format", "json",
		"--path.rootfs="+d.mnt, "--path.boot="+filepath.Join(d.mnt, "boot")).Output()
	if err != nil {
		t.Fatalf("bootinfo show bootloader: %v: %s", err, out)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("bootinfo show bootloader printed no JSON object: %v\n%s", err, out)
	}
	ok, _ := jsonAt(doc, "next_boot.ok")
	probs, _ := jsonAt(doc, "next_boot.problems")
	src, _ := jsonAt(doc, "next_boot.checked.root.source")
	rootSource = str(src)
	if b, isBool := ok.(bool); !isBool {
		t.Fatalf("no verdict: next_boot.ok = %v\n%s", ok, out)
	} else if b {
		return "ok", nil, rootSource
	}
	var reasons []string
	for _, p := range asSlice(probs) {
		reasons = append(reasons, str(asMap(p)["reason"]))
	}
	return strings.Join(reasons, ","), asSlice(probs), rootSource
}

// What the console shows: the lab's own markers (testdata/nextbootlab),
// GRUB's errors and the kernel's panic.
var (
	nbUserspaceRE = regexp.MustCompile(`lab-root: userspace on the root file system`)
	nbModprobeRE  = regexp.MustCompile(`lab-root: modprobe loop[^\r\n]*`)
	nbNoRootRE    = regexp.MustCompile(`lab-initramfs: root=[^\r\n]*: no such device`)
	nbPanicRE     = regexp.MustCompile(`Kernel panic - not syncing: [^\r\n]*`)
	nbUnpackRE    = regexp.MustCompile(`Initramfs unpacking failed: [^\r\n]*`)
	nbFallbackRE  = regexp.MustCompile(`lab: the default entry did not boot`)
	// GRUB said it boots the entry and the console ends there (GRUB for
	// UEFI on a machine with no display says first that it boots blind).
	nbSilentRE = regexp.MustCompile("Booting `[^'\r\n]*'\\s*(error: no suitable video mode found\\.\\s*Booting in blind mode\\s*)?$")
)

// observeBoot says in one line what the console shows happened.
func observeBoot(console []byte) string {
	var parts []string
	for _, m := range grubErrorRE.FindAll(console, -1) {
		parts = append(parts, "GRUB "+strings.TrimSpace(string(m)))
	}
	if nbFallbackRE.Match(console) {
		parts = append(parts, "GRUB fell back to the power-off entry, no kernel output")
	}
	if nbSilentRE.Match(console) {
		parts = append(parts, "GRUB started the entry, then no output at all until QEMU exited (with -no-reboot, a reset ends it)")
	}
	if m := nbUnpackRE.Find(console); m != nil {
		parts = append(parts, strings.TrimSpace(string(m)))
	}
	if m := nbNoRootRE.Find(console); m != nil {
		parts = append(parts, string(m))
	}
	if m := nbPanicRE.Find(console); m != nil {
		parts = append(parts, strings.TrimSpace(string(m)))
	}
	if nbUserspaceRE.Match(console) {
		parts = append(parts, "userspace on root reached")
	}
	if m := nbModprobeRE.Find(console); m != nil {
		parts = append(parts, strings.TrimPrefix(string(m), "lab-root: "))
	}
	if len(parts) == 0 {
		return "nothing recognisable on the console"
	}
	return strings.Join(parts, "; ")
}

// TestNextBootLab predicts, then boots, one disk image with its /boot
// broken a different way each time: every scenario under SeaBIOS, and
// those whose outcome GRUB's platform or the firmware decides (and the
// healthy one) under OVMF too. Each boot is a row of the table it logs.
func TestNextBootLab(t *testing.T) {
	lab := firmwareLab(t)
	d := makeNextBootDisk(t, lab)
	rel := lab.KernelRelease
	p := func(rel string) string { return filepath.Join(d.mnt, rel) }
	kernel, initrd, grubCfg := p("boot/vmlinuz-"+rel), p("boot/initrd.img-"+rel), p("boot/grub/grub.cfg")
	full, err := os.ReadFile(lab.Kernel)
	if err != nil {
		t.Fatal(err)
	}
	fullInitrd, err := os.ReadFile(initrd)
	if err != nil {
		t.Fatal(err)
	}
	// A PARTUUID and a file system UUID that nothing on this host or in
	// the guest has.
	const goneUUID, goneFSUUID = "0badf00d-01", "0badf00d-dead-4bad-8bad-0123456789ab"
	rootArg := "root=UUID=" + d.fsuuid
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		do, undo func()
		// predicted is the verdict bootinfo must give; observed the
		// console line that must show, booted whether the root file
		// system's userspace must have run with its modules loadable.
		predicted string
		observed  *regexp.Regexp
		booted    bool
		// ovmf boots the scenario under OVMF too: those whose outcome
		// the firmware and GRUB's platform decide. Missing modules and
		// a PARTUUID the initramfs does not find fail the same way
		// after the kernel has started, whichever loaded it.
		ovmf bool
	}{
		{name: "healthy (root=UUID=)", do: func() {}, undo: func() {}, predicted: "ok",
			observed: regexp.MustCompile(`(?s)lab-initramfs: root=UUID=` + d.fsuuid + ` is /dev/sda1.*lab-root: modprobe loop: loaded`), booted: true, ovmf: true},
		{name: "initrd missing",
			do:        func() { must(os.Rename(initrd, initrd+".gone")) },
			undo:      func() { must(os.Rename(initrd+".gone", initrd)) },
			predicted: "initrd_missing",
			observed:  regexp.MustCompile(`(?s)error: file .*initrd.img.* not found.*Kernel panic - not syncing: VFS: Unable to mount root fs`),
			ovmf:      true},
		// A copy or an update-initramfs that stopped part way (a full
		// /boot): the first 64 KiB of the archive, less than busybox
		// alone, so whichever files the kernel unpacks before the cut,
		// no working /init comes of them.
		{name: "truncated initrd",
			do:        func() { must(os.WriteFile(initrd, fullInitrd[:64<<10], 0o644)) },
			undo:      func() { must(os.WriteFile(initrd, fullInitrd, 0o644)) },
			predicted: "initrd_invalid",
			observed:  regexp.MustCompile(`(?s)Initramfs unpacking failed: [^\r\n]*truncated.*Kernel panic - not syncing`)},
		{name: "modules missing",
			do:        func() { must(os.Rename(p("lib/modules/"+rel), p("lib/modules/gone"))) },
			undo:      func() { must(os.Rename(p("lib/modules/gone"), p("lib/modules/"+rel))) },
			predicted: "modules_missing",
			observed:  regexp.MustCompile(`lab-root: modprobe loop failed: [^\r\n]*`)},
		{name: "root UUID not there",
			do:        func() { replaceInFile(t, grubCfg, rootArg, "root=UUID="+goneFSUUID) },
			undo:      func() { replaceInFile(t, grubCfg, "root=UUID="+goneFSUUID, rootArg) },
			predicted: "root_not_found",
			observed:  regexp.MustCompile(`(?s)lab-initramfs: root=UUID=` + goneFSUUID + `: no such device.*Kernel panic - not syncing: Attempted to kill init`),
			ovmf:      true},
		{name: "root PARTUUID not there",
			do:        func() { replaceInFile(t, grubCfg, rootArg, "root=PARTUUID="+goneUUID) },
			undo:      func() { replaceInFile(t, grubCfg, "root=PARTUUID="+goneUUID, rootArg) },
			predicted: "root_not_found",
			observed:  regexp.MustCompile(`(?s)lab-initramfs: root=PARTUUID=` + goneUUID + `: no such device.*Kernel panic - not syncing: Attempted to kill init`)},
		{name: "truncated kernel",
			do:        func() { must(os.WriteFile(kernel, full[:len(full)/2], 0o644)) },
			undo:      func() { must(os.WriteFile(kernel, full, 0o644)) },
			predicted: "kernel_unreadable",
			// GRUB's linux command takes the kernel's size from the file,
			// so it loads what is there and jumps into it.
			observed: nbSilentRE,
			ovmf:     true},
	}
	var table []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.do()
			defer c.undo()
			fws := []qemulab.Firmware{qemulab.SeaBIOS}
			if c.ovmf {
				fws = append(fws, qemulab.OVMF)
			}
			for _, fw := range fws {
				failed := t.Failed()
				predicted, problems, rootSource := predictNextBoot(t, lab, d)
				d.unmount(t)
				slug := strings.Trim(regexp.MustCompile(`[^a-z]+`).ReplaceAllString(strings.ToLower(c.name), "-"), "-")
				res := lab.Run(t, "nextboot-"+fw.String()+"-"+slug, qemulab.Config{
					Firmware: fw,
					// The disk carries its own GRUB, kernel and initramfs;
					// the lab's initramfs (with the same /init) goes unused.
					Image: &qemulab.Image{Media: qemulab.Disk, Build: func(string, qemulab.ImageInputs) (string, error) { return d.image, nil }},
					Init:  "testdata/nextbootlab/initramfs-init",
				})
				d.mount(t)
				observed := observeBoot(res.Console)
				if rootSource == "" {
					rootSource = "-"
				}
				row := fmt.Sprintf("%-23s | %-8s | %-17s | %-10s | %s", c.name, fw, predicted, rootSource, observed)
				t.Logf("%s", row)
				table = append(table, row)
				if predicted != c.predicted {
					t.Errorf("%v: bootinfo predicted %s, want %s: %v", fw, predicted, c.predicted, problems)
				}
				if c.booted && rootSource == "-" {
					t.Errorf("%v: the root device was not found", fw)
				}
				if !c.observed.Match(res.Console) {
					t.Errorf("%v: the console does not show %q; it shows: %s", fw, c.observed, observed)
				}
				if reached := strings.Contains(string(res.Console), "lab-root: modprobe loop: loaded"); reached != c.booted {
					t.Errorf("%v: userspace with working modules reached = %v, want %v", fw, reached, c.booted)
				}
				if !failed && t.Failed() {
					t.Logf("%v console:\n%s", fw, res.Console)
				}
			}
		})
	}
	t.Logf("predict, then boot (GRUB from the disk):\n%-23s | %-8s | %-17s | %-10s | %s\n%s", "scenario", "firmware", "predicted", "root found", "observed",
		strings.Join(table, "\n"))
}

// replaceInFile replaces old with new in the file at p, which must hold old.
func replaceInFile(t *testing.T, p, old, new string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s: %v, or no %q", p, err, old)
	}
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), old, new)), 0o644); err != nil {
		t.Fatal(err)
	}
}
