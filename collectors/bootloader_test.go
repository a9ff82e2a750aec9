package collectors

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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
		"bootinfo_reboot_required{reason=default_kernel_missing} 0\nbootinfo_reboot_required{reason=kernel_rebuilt} 0\nbootinfo_reboot_required{reason=kernel_update} 0\nbootinfo_reboot_required{reason=reboot_required_file} 0\n"
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

// newBootloader makes a bootloader collector on p that keeps no snapshot,
// so that every Collect builds the section.
func newBootloader(t *testing.T, p Paths) *bootloaderCollector {
	t.Helper()
	c, err := NewBootloaderCollector(Config{Paths: p})
	if err != nil {
		t.Fatal(err)
	}
	bc := c.(*bootloaderCollector)
	bc.refresh = 0
	return bc
}

func collectSection(t *testing.T, c *bootloaderCollector) *BootloaderSection {
	t.Helper()
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Section.(*BootloaderSection)
}

// TestBootloaderEvaluatesOnlyOnChange: grub.cfg is evaluated again only
// when a file the last evaluation read, or a path it looked for, has
// changed; the old collector evaluated it again every minute.
func TestBootloaderEvaluatesOnlyOnChange(t *testing.T) {
	p := debianRoot(t, "4.19.0-9-amd64", "4.19.0-9-amd64")
	c := newBootloader(t, p)
	for i := 0; i < 3; i++ {
		if sec := collectSection(t, c); len(sec.Entries) != 3 {
			t.Fatalf("collect %d: %d entries, errors %v", i, len(sec.Entries), sec.Errors)
		}
	}
	if n := c.evaluations.Load(); n != 1 {
		t.Errorf("%d evaluations for three collects of an unchanged tree, want 1", n)
	}
	cfg := filepath.Join(p.RootFS, "boot/grub/grub.cfg")
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("menuentry 'Added' { linux /boot/vmlinuz-4.19.0-9-amd64 }\n")
	f.Close()
	if sec := collectSection(t, c); len(sec.Entries) != 4 || c.evaluations.Load() != 2 {
		t.Errorf("after grub.cfg changed: %d entries, %d evaluations; want 4 and 2", len(sec.Entries), c.evaluations.Load())
	}
	// A grubenv appearing where load_env looks for it is a change too.
	env := "# GRUB Environment Block\nnext_entry=1\n" + strings.Repeat("#", 1024-len("# GRUB Environment Block\nnext_entry=1\n"))
	if err := os.WriteFile(filepath.Join(p.RootFS, "boot/grub/grubenv"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	if sec := collectSection(t, c); sec.NextEntry != "1" || c.evaluations.Load() != 3 {
		t.Errorf("after grubenv appeared: next_entry %q, %d evaluations; want 1 and 3", sec.NextEntry, c.evaluations.Load())
	}
	collectSection(t, c)
	if n := c.evaluations.Load(); n != 3 {
		t.Errorf("%d evaluations, want 3", n)
	}
}

// TestBootloaderFIFOConfig is item 3's reproduction in the collector: with
// grub.cfg a FIFO the section says so at once (the old collector blocked
// in open for good, holding its cache's mutex), and once the FIFO is
// replaced by a valid file the next collect succeeds.
func TestBootloaderFIFOConfig(t *testing.T) {
	p := debianRoot(t, "4.19.0-9-amd64", "4.19.0-9-amd64")
	cfg := filepath.Join(p.RootFS, "boot/grub/grub.cfg")
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(cfg)
	if err := syscall.Mkfifo(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := NewBootloaderCollector(Config{Paths: p})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sec := snap.Section.(*BootloaderSection)
	if e := sec.Errors["config"]; !strings.Contains(e, cfg) || !strings.Contains(e, "named pipe") {
		t.Errorf("errors %v, want config naming %s as a named pipe", sec.Errors, cfg)
	}
	os.Remove(cfg)
	if err := os.WriteFile(cfg, good, 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err = c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sec := snap.Section.(*BootloaderSection); len(sec.Errors) != 0 || len(sec.Entries) != 3 {
		t.Errorf("after the FIFO was replaced: errors %v, %d entries", sec.Errors, len(sec.Entries))
	}
}

// TestBootloaderRebootPackagesBounded is item 1's reproduction: with
// /run/reboot-required present, reboot-required.pkgs a link to /dev/zero
// made the agent die out of memory. Such a link now resolves inside the
// root; a character device there, or a 1 GiB file, is an error naming the
// file, read no further than the limit.
func TestBootloaderRebootPackagesBounded(t *testing.T) {
	p := debianRoot(t, "4.19.0-9-amd64", "4.19.0-9-amd64")
	run := filepath.Join(p.RootFS, "run")
	if err := os.WriteFile(filepath.Join(run, "reboot-required"), []byte("*** System restart required ***\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pkgs := filepath.Join(run, "reboot-required.pkgs")
	c := newBootloader(t, p)
	collectSection(t, c) // the rest of the section, once
	check := func(name, wantErr string) {
		t.Helper()
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		sec := collectSection(t, c)
		runtime.ReadMemStats(&m1)
		if n := m1.TotalAlloc - m0.TotalAlloc; n > 16<<20 {
			t.Errorf("%s: %d bytes allocated", name, n)
		}
		if !sec.RebootRequired || len(sec.RebootPackages) != 0 {
			t.Errorf("%s: reboot required %v, packages %d", name, sec.RebootRequired, len(sec.RebootPackages))
		}
		if e := sec.Errors["reboot_required_packages"]; (wantErr == "") != (e == "") || !strings.Contains(e, wantErr) || (e != "" && !strings.Contains(e, "reboot-required.pkgs")) {
			t.Errorf("%s: errors %v, want %q", name, sec.Errors, wantErr)
		}
	}

	// The link: below the root there is no /dev/zero.
	if err := os.Symlink("/dev/zero", pkgs); err != nil {
		t.Fatal(err)
	}
	check("link to /dev/zero", "")

	// A real /dev/zero below the root.
	if os.Geteuid() == 0 {
		if err := os.MkdirAll(filepath.Join(p.RootFS, "dev"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mknod(filepath.Join(p.RootFS, "dev/zero"), syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 5))); err != nil {
			t.Fatal(err)
		}
		check("link to the root's /dev/zero", "character device")
	}

	// A 1 GiB (sparse) list.
	os.Remove(pkgs)
	f, err := os.Create(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	check("1 GiB file", "limit")
}

// TestBootloaderHoldsNoLockAcrossIO: a collect stuck in the evaluation
// (as in a read of a hung /boot) holds no lock, so that the fresh attempt
// the runner starts at the next refresh proceeds and finishes.
func TestBootloaderHoldsNoLockAcrossIO(t *testing.T) {
	p := debianRoot(t, "4.19.0-9-amd64", "4.19.0-9-amd64")
	c := newBootloader(t, p)
	c.refresh = time.Minute
	stuck, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	c.beforeLoad = func() {
		if first.CompareAndSwap(false, true) {
			close(stuck)
			<-release
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Collect(context.Background())
	}()
	<-stuck
	if sec := collectSection(t, c); len(sec.Entries) != 3 {
		t.Errorf("fresh attempt: %d entries, errors %v", len(sec.Entries), sec.Errors)
	}
	close(release)
	<-done
}

// TestBootloaderHonoursContext: an evaluation the collection's context
// stops says so, and is not kept: the next collection evaluates again.
func TestBootloaderHonoursContext(t *testing.T) {
	p := debianRoot(t, "4.19.0-9-amd64", "4.19.0-9-amd64")
	c := newBootloader(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	snap, err := c.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e := snap.Section.(*BootloaderSection).Errors["config"]; !strings.Contains(e, "context canceled") || !strings.Contains(e, "too complex") {
		t.Errorf("config error %q, want the cancelled context", e)
	}
	if sec := collectSection(t, c); len(sec.Entries) != 3 || len(sec.Errors) != 0 || c.evaluations.Load() != 2 {
		t.Errorf("next collection: %d entries, errors %v, %d evaluations", len(sec.Entries), sec.Errors, c.evaluations.Load())
	}
}
