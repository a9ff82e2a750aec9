package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestNewestKernel(t *testing.T) {
	got := newestKernel([]string{"/boot/vmlinuz-6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-10-amd64", "/boot/vmlinuz-5.10.0-28-amd64", "/boot/config-7.0"})
	if got != "6.1.0-10-amd64" {
		t.Errorf("newest = %q", got)
	}
}

// debianRoot lays out a root file system around the real Debian 10
// grub.cfg of the shared corpus, with the given kernels installed
// and the given release running.
func debianRoot(t *testing.T, running string, kernels ...string) Paths {
	t.Helper()
	cfg := testutil.Shared(t, "grub", "u-root", "grub", "testdata_new", "debian_10_4_installed", "boot", "grub", "grub.cfg")
	// Copied into the temporary tree: the grub package does not follow
	// symbolic links out of the boot root.
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	files := map[string]string{
		"boot/grub/grub.cfg":             string(b),
		"proc/sys/kernel/osrelease":      running + "\n",
		"proc/sys/kernel/random/boot_id": "5e1d7a3c-0000-4000-8000-000000000001\n",
		"proc/cmdline":                   "BOOT_IMAGE=/boot/vmlinuz-" + running + " root=UUID=39ec20e2 ro quiet\n",
	}
	for _, k := range kernels {
		files["boot/vmlinuz-"+k] = "kernel"
	}
	testutil.WriteTree(t, root, files)
	dirs := []string{"run", "lib/modules"}
	for _, k := range kernels {
		dirs = append(dirs, "lib/modules/"+k)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return Paths{RootFS: root, Boot: filepath.Join(root, "boot"), ProcFS: filepath.Join(root, "proc"), SysFS: filepath.Join(root, "sys")}
}

func collectBootloader(t *testing.T, p Paths) (*BootloaderSection, *Snapshot) {
	t.Helper()
	_, snap := collect(t, NewBootloaderCollector, Config{Paths: p})
	return snap.Section.(*BootloaderSection), snap
}

// TestBootloaderDebian: the real Debian 10 configuration, with its default
// entry's kernel installed and running (nothing pending), then after a kernel
// upgrade not yet booted, then with the default kernel removed (the broken
// default), then with /run/reboot-required.
func TestBootloaderDebian(t *testing.T) {
	p := debianRoot(t, "4.19.0-9-amd64", "4.19.0-9-amd64")
	sec, snap := collectBootloader(t, p)
	if sec.Loader != "grub" || len(sec.Entries) != 3 || sec.NextBoot == nil || sec.NextBoot.Entry == nil || sec.NextBoot.Entry.Title != "Debian GNU/Linux" {
		t.Fatalf("%+v", sec)
	}
	if sec.RebootRequired || len(sec.InstalledKernels) != 1 || sec.NewestKernel != "4.19.0-9-amd64" || sec.Cmdline.BootImage != "/boot/vmlinuz-4.19.0-9-amd64" {
		t.Errorf("steady state: %+v", sec)
	}
	m := metricsText(t, snap, "bootinfo_bootloader_info", "bootinfo_reboot_required", "bootinfo_default_entry_kernel_missing", "bootinfo_kernels_installed")
	want := "bootinfo_bootloader_info{default_entry=Debian GNU/Linux,loader=grub} 1\n" +
		"bootinfo_default_entry_kernel_missing{} 0\nbootinfo_kernels_installed{} 1\n" +
		"bootinfo_reboot_required{reason=default_kernel_missing} 0\nbootinfo_reboot_required{reason=kernel_update} 0\nbootinfo_reboot_required{reason=reboot_required_file} 0\n"
	if m != want {
		t.Errorf("metrics:\n%s\nwant:\n%s", m, want)
	}

	// Booted an older kernel than the default entry loads.
	sec, _ = collectBootloader(t, debianRoot(t, "4.19.0-8-amd64", "4.19.0-8-amd64", "4.19.0-9-amd64"))
	if strings.Join(sec.RebootReasons, ",") != "kernel_update" {
		t.Errorf("upgrade pending: reasons %v", sec.RebootReasons)
	}

	// The default entry's kernel is gone: reported loudly.
	sec, snap = collectBootloader(t, debianRoot(t, "4.19.0-8-amd64", "4.19.0-8-amd64"))
	if sec.NextKernel == nil || !sec.NextKernel.Missing || strings.Join(sec.RebootReasons, ",") != "default_kernel_missing" {
		t.Errorf("broken default: %+v %v", sec.NextKernel, sec.RebootReasons)
	}
	if !strings.Contains(metricsText(t, snap, "bootinfo_default_entry_kernel_missing"), "} 1\n") {
		t.Error("bootinfo_default_entry_kernel_missing is not 1")
	}

	// A package asked for a reboot.
	p = debianRoot(t, "4.19.0-9-amd64", "4.19.0-9-amd64")
	os.WriteFile(filepath.Join(p.RootFS, "run/reboot-required"), []byte("*** System restart required ***\n"), 0o644)
	os.WriteFile(filepath.Join(p.RootFS, "run/reboot-required.pkgs"), []byte("libc6\nlinux-image-amd64\nlibc6\n"), 0o644)
	sec, _ = collectBootloader(t, p)
	if strings.Join(sec.RebootReasons, ",") != "reboot_required_file" || strings.Join(sec.RebootPackages, ",") != "libc6,linux-image-amd64" {
		t.Errorf("reboot-required: %v %v", sec.RebootReasons, sec.RebootPackages)
	}
}

// TestBootloaderBLS: CentOS 8 Stream's real EFI system partition and /boot
// (BLS entries with $kernelopts from grubenv), read as a separate boot
// directory.
func TestBootloaderBLS(t *testing.T) {
	dir := testutil.Shared(t, "grub", "u-root", "grub", "testdata_new", "CentOS_8_Stream_x86_64_blscfg_sda1")
	sec, _ := collectBootloader(t, Paths{RootFS: t.TempDir(), Boot: dir, ProcFS: "/nonexistent", SysFS: "/nonexistent"})
	if sec.Loader != "grub" || len(sec.Entries) != 3 || sec.NextBoot == nil || sec.NextBoot.Entry == nil {
		t.Fatalf("%+v", sec)
	}
	if e := sec.NextBoot.Entry; e.Title != "CentOS Linux (5.18.0) 8" || !strings.Contains(e.Args, "root=") {
		t.Errorf("next boot %+v", e)
	}
	if sec.NextKernel == nil || sec.NextKernel.Missing || len(sec.InstalledKernels) != 2 {
		t.Errorf("kernels %v, next %+v", sec.InstalledKernels, sec.NextKernel)
	}
}

func TestBootloaderNone(t *testing.T) {
	sec, snap := collectBootloader(t, Paths{RootFS: t.TempDir(), Boot: t.TempDir(), ProcFS: "/nonexistent", SysFS: "/nonexistent"})
	if sec.Loader != "unknown" || sec.RebootRequired || len(sec.Errors) != 0 {
		t.Errorf("%+v", sec)
	}
	if m := metricsText(t, snap, "bootinfo_bootloader_info"); m != "bootinfo_bootloader_info{default_entry=,loader=unknown} 1\n" {
		t.Errorf("%s", m)
	}
}

// bootDiskTree lays out a root with procfs, sysfs and a udev database
// shaped like a real UEFI virtual machine's: a virtio disk vda with a GPT
// table, the ESP (vda1) mounted at /boot/efi and the root file system on
// vda2. There is no device node, so the table comes from udev.
func bootDiskTree(t *testing.T, espMounted bool) Paths {
	t.Helper()
	root := t.TempDir()
	mi := "26 1 254:2 / " + root + " rw,relatime - ext4 /dev/vda2 rw\n"
	if espMounted {
		mi += "27 26 254:1 / " + root + "/boot/efi rw,relatime - vfat /dev/vda1 rw\n"
	}
	disk := "sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda"
	files := map[string]string{
		"proc/self/mountinfo":              mi,
		disk + "/dev":                      "254:0",
		disk + "/size":                     "41943040",
		disk + "/queue/logical_block_size": "512",
		disk + "/vda1/dev":                 "254:1",
		disk + "/vda1/partition":           "1",
		disk + "/vda1/start":               "2048",
		disk + "/vda1/size":                "1048576",
		disk + "/vda2/dev":                 "254:2",
		disk + "/vda2/partition":           "2",
		disk + "/vda2/start":               "1050624",
		disk + "/vda2/size":                "40890368",
		"run/udev/data/b254:0":             "E:ID_PART_TABLE_TYPE=gpt\nE:ID_PART_TABLE_UUID=6c1b0a7e-52f8-4c5e-8d0b-7a1e3f9c2d41\n",
		"run/udev/data/b254:1":             "E:ID_PART_ENTRY_TYPE=c12a7328-f81f-11d2-ba4b-00a0c93ec93b\nE:ID_PART_ENTRY_NAME=EFI\\x20System\\x20Partition\n",
		"run/udev/data/b254:2":             "E:ID_PART_ENTRY_TYPE=4f68bce3-e8cd-4db1-96e7-fbcaf984b709\nE:ID_PART_ENTRY_NAME=root\n",
		"boot/efi/.keep":                   "",
	}
	testutil.WriteTree(t, root, files)
	for name, target := range map[string]string{"vda": disk, "vda1": disk + "/vda1", "vda2": disk + "/vda2"} {
		dev, _ := os.ReadFile(filepath.Join(root, target, "dev"))
		for _, l := range []string{"sys/class/block/" + name, "sys/dev/block/" + string(dev)} {
			if err := os.MkdirAll(filepath.Join(root, filepath.Dir(l)), 0o755); err != nil {
				t.Fatal(err)
			}
			// Relative, as sysfs's links are: an absolute one resolves
			// inside the sysfs root.
			rel, err := filepath.Rel(filepath.Join(root, filepath.Dir(l)), filepath.Join(root, target))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(rel, filepath.Join(root, l)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return Paths{RootFS: root, Boot: filepath.Join(root, "boot"), ProcFS: filepath.Join(root, "proc"), SysFS: filepath.Join(root, "sys"), DevFS: filepath.Join(root, "dev")}
}

func TestBootloaderBootDisk(t *testing.T) {
	sec, snap := collectBootloader(t, bootDiskTree(t, true))
	bd := sec.BootDisk
	if bd == nil {
		t.Fatalf("no boot_disk: %+v", sec.Errors)
	}
	if bd.Disk != "vda" || bd.Table != "gpt" || bd.Source != "udev" || bd.ESPPartition != 1 || bd.ESPMount != "/boot/efi" || bd.BootPartition != 2 || bd.BootMount != "/" {
		t.Errorf("boot disk %+v", bd)
	}
	m := metricsText(t, snap, "bootinfo_boot_disk_info", "bootinfo_esp_present", "bootinfo_esp_mounted")
	want := "bootinfo_boot_disk_info{disk=vda,source=udev,table=gpt} 1\nbootinfo_esp_mounted{} 1\nbootinfo_esp_present{} 1\n"
	if m != want {
		t.Errorf("metrics:\n%s\nwant:\n%s", m, want)
	}

	// The ESP is there but not mounted: kernel and boot loader updates
	// would not reach it.
	sec, snap = collectBootloader(t, bootDiskTree(t, false))
	if sec.BootDisk == nil || sec.BootDisk.ESPMount != "" || sec.BootDisk.ESPPartition != 1 {
		t.Errorf("boot disk %+v", sec.BootDisk)
	}
	if m := metricsText(t, snap, "bootinfo_esp_present", "bootinfo_esp_mounted"); m != "bootinfo_esp_mounted{} 0\nbootinfo_esp_present{} 1\n" {
		t.Errorf("metrics:\n%s", m)
	}
}

// TestBootloaderBootDiskThisMachine runs the collector against this
// machine's real /proc, /sys and /dev: whatever holds / here, the section
// says which disk it is or why there is none, and the metric agrees.
func TestBootloaderBootDiskThisMachine(t *testing.T) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		t.Skip("no procfs")
	}
	sec, snap := collectBootloader(t, Paths{RootFS: "/", Boot: t.TempDir(), ProcFS: "/proc", SysFS: "/sys", DevFS: "/dev"})
	bd := sec.BootDisk
	if bd == nil || sec.Errors["boot_disk"] != "" {
		t.Fatalf("boot disk %+v, errors %v", bd, sec.Errors)
	}
	if bd.Disk == "" && bd.Reason == "" {
		t.Errorf("no disk and no reason: %+v", bd)
	}
	m := metricsText(t, snap, "bootinfo_boot_disk_info")
	if !strings.HasPrefix(m, "bootinfo_boot_disk_info{disk="+bd.Disk+",") || strings.Count(m, "\n") != 1 {
		t.Errorf("metric %q for disk %q", m, bd.Disk)
	}
	t.Logf("%s: %s table, source %q, reason %q", bd.Disk, bd.Table, bd.Source, bd.Reason)
}
