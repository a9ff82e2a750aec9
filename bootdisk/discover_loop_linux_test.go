package bootdisk

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"golang.org/x/sys/unix"
)

// The live tests attach real images to loop devices, mount their
// partitions below a temporary root and run discovery against this
// machine's real /proc, /sys and /dev.

// mountDev mounts dev at dir and unmounts it when the test ends.
func mountDev(t *testing.T, dev, dir, fstype string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(dev, dir, fstype, 0, ""); err != nil {
		testutil.SkipOrFail(t, "mount %s on %s (%s): %v", dev, dir, fstype, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("umount %s: %v", dir, err)
		}
	})
}

// mkfsESP formats an ESP with FAT; where this kernel cannot mount FAT
// (no vfat module) it formats ext2 instead: discovery recognises the ESP
// by its partition type, not its file system. It returns the fs type.
func mkfsESP(t *testing.T, dev, probeDir string) string {
	t.Helper()
	if _, err := exec.LookPath("mkfs.vfat"); err == nil {
		testutil.Run(t, "", "mkfs.vfat", dev)
		if err := os.MkdirAll(probeDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount(dev, probeDir, "vfat", unix.MS_RDONLY, ""); err == nil {
			unix.Unmount(probeDir, 0)
			return "vfat"
		}
		t.Logf("this kernel cannot mount vfat; the ESP gets ext2")
	}
	testutil.Run(t, "", "mkfs.ext2", "-q", "-F", dev)
	return "ext2"
}

// liveSetup attaches a partitioned image and makes the kernel read its
// table.
func liveSetup(t *testing.T, script string, size int64) (img, dev string) {
	t.Helper()
	needTool(t, "sfdisk")
	needTool(t, "mkfs.ext4")
	img = newImage(t, size)
	testutil.Run(t, script, "sfdisk", "-q", "--wipe", "never", img)
	dev = attachLoop(t, img, 512, true)
	// Where losetup -P's partition scan does not happen (BLKRRPART is a
	// no-op in some sandboxes), partx adds the partitions one by one
	// (BLKPG); both are synchronous.
	if _, err := os.Stat(dev + "p1"); err != nil {
		testutil.Run(t, "", "partx", "-a", dev)
	}
	if _, err := os.Stat(dev + "p1"); err != nil {
		testutil.SkipOrFail(t, "the kernel made no partition devices for %s: %v", dev, err)
	}
	return img, dev
}

func realPaths(root string) Paths {
	return Paths{ProcFS: "/proc", SysFS: "/sys", DevFS: "/dev", RootFS: root}
}

// discover runs discovery with p.
func discover(t *testing.T, p Paths) *BootDisk {
	t.Helper()
	fs, err := NewFS(p)
	if err != nil {
		t.Fatal(err)
	}
	bd, err := fs.Discover()
	if err != nil {
		t.Fatal(err)
	}
	return bd
}

// mountExt4 makes an ext4 file system on dev and mounts it at dir.
func mountExt4(t *testing.T, dev, dir string) {
	t.Helper()
	testutil.Run(t, "", "mkfs.ext4", "-q", "-F", dev)
	mountDev(t, dev, dir, "ext4")
}

func TestLiveGPTBootAndESP(t *testing.T) {
	_, dev := liveSetup(t, `label: gpt
start=2048, size=16MiB, type=U, name="EFI System Partition"
size=16MiB, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, name="boot"
size=24MiB, type=L, name="root"
`, 64<<20)
	root := t.TempDir()
	espFS := mkfsESP(t, dev+"p1", filepath.Join(t.TempDir(), "probe"))
	mountExt4(t, dev+"p3", root)
	mountExt4(t, dev+"p2", filepath.Join(root, "boot"))
	mountDev(t, dev+"p1", filepath.Join(root, "boot", "efi"), espFS)

	bd := discover(t, realPaths(root))
	disk := filepath.Base(dev)
	if bd.Disk != disk || bd.Table != TableGPT || bd.BootMount != "/boot" || bd.BootPartition != 2 || bd.ESPPartition != 1 || bd.ESPMount != "/boot/efi" {
		t.Errorf("disk %q table %s boot mount %q boot partition %d ESP %d at %q; want %s gpt /boot 2, ESP 1 at /boot/efi\n%+v",
			bd.Disk, bd.Table, bd.BootMount, bd.BootPartition, bd.ESPPartition, bd.ESPMount, disk, bd)
	}
	if bd.Source != SourceDevice {
		t.Errorf("source %q (errors %v), want device", bd.Source, bd.Errors)
	}
	if len(bd.Mounts) != 3 {
		t.Fatalf("mounts %+v, want /, /boot and /boot/efi", bd.Mounts)
	}
	for i, want := range []struct {
		path string
		n    int
	}{{"/", 3}, {"/boot", 2}, {"/boot/efi", 1}} {
		m := bd.Mounts[i]
		if m.Path != want.path || m.Disk != disk || m.PartitionNumber != want.n || m.Partition != disk+"p"+string(rune('0'+want.n)) {
			t.Errorf("mount %d = %+v, want %s on %sp%d", i, m, want.path, disk, want.n)
		}
	}
	// The table discovery read from the device is the one sfdisk reads.
	want := sfdiskOracle(t, dev)
	if len(bd.Partitions) != len(want.Parts) {
		t.Fatalf("%d partitions, sfdisk sees %d", len(bd.Partitions), len(want.Parts))
	}
	for i, p := range bd.Partitions {
		w := want.Parts[i]
		if p.Number != w.Number || p.StartLBA != w.Start || p.Sectors != w.Size || p.Type != w.Type || p.Name != w.Name {
			t.Errorf("partition %+v, sfdisk says %+v", p.Partition, w)
		}
	}
	if !bd.Partitions[1].Boot || bd.Partitions[0].Boot || !bd.Partitions[0].ESP {
		t.Errorf("boot/ESP flags wrong: %+v", bd.Partitions)
	}
	js, _ := json.MarshalIndent(bd, "", "  ")
	t.Logf("ESP file system %s; discovery:\n%s", espFS, js)
}

func TestLiveMBRWithoutSeparateBoot(t *testing.T) {
	_, dev := liveSetup(t, `label: dos
label-id: 0x0badcafe
start=2048, size=16MiB, type=ef
size=24MiB, type=83, bootable
`, 48<<20)
	root := t.TempDir()
	espFS := mkfsESP(t, dev+"p1", filepath.Join(t.TempDir(), "probe"))
	mountExt4(t, dev+"p2", root)
	mountDev(t, dev+"p1", filepath.Join(root, "efi"), espFS)

	bd := discover(t, realPaths(root))
	if bd.Disk != filepath.Base(dev) || bd.Table != TableMBR || bd.ID != "0badcafe" || bd.BootMount != "/" || bd.BootPartition != 2 || bd.ESPPartition != 1 || bd.ESPMount != "/efi" {
		t.Errorf("got %+v", bd)
	}
}

func TestLiveWholeDiskFilesystem(t *testing.T) {
	needTool(t, "mkfs.ext4")
	img := newImage(t, 16<<20)
	dev := attachLoop(t, img, 512, false)
	root := t.TempDir()
	mountExt4(t, dev, root)
	bd := discover(t, realPaths(root))
	if bd.Disk != filepath.Base(dev) || bd.Table != TableNone || len(bd.Partitions) != 0 || bd.BootMount != "/" || bd.Mounts[0].Partition != "" {
		t.Errorf("got %+v", bd)
	}
}

// TestLiveUdevFallback runs discovery where the device nodes cannot be
// read (an empty dev directory), with a udev database made from blkid's
// udev-format output for the real loop devices: the keys udev's blkid
// builtin records.
func TestLiveUdevFallback(t *testing.T) {
	needTool(t, "blkid")
	_, dev := liveSetup(t, `label: gpt
label-id: 11223344-5566-4778-8899-AABBCCDDEEFF
start=2048, size=8MiB, type=U, name="EFI System Partition"
size=8MiB, type=L, name="root fs", attrs="RequiredPartition"
`, 24<<20)
	root := t.TempDir()
	mountExt4(t, dev+"p2", root)
	// The udev database lives below the root; the root is the mounted
	// file system, so put it on a tmpfs over root/run.
	dbdir := filepath.Join(root, "run")
	if err := os.MkdirAll(dbdir, 0o755); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dbdir, "tmpfs", 0, ""); err != nil {
		testutil.SkipOrFail(t, "mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dbdir, 0) })
	db := filepath.Join(dbdir, "udev", "data")
	if err := os.MkdirAll(db, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dev, dev + "p1", dev + "p2"} {
		var st unix.Stat_t
		if err := unix.Stat(d, &st); err != nil {
			t.Fatal(err)
		}
		var rec strings.Builder
		for _, l := range strings.Split(strings.TrimSpace(string(testutil.Run(t, "", "blkid", "-p", "-o", "udev", d))), "\n") {
			rec.WriteString("E:" + l + "\n")
		}
		rec.WriteString("G:systemd\nQ:systemd\nV:1\n")
		name := filepath.Join(db, "b"+devNum(uint64(st.Rdev)))
		if err := os.WriteFile(name, []byte(rec.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := realPaths(root)
	p.DevFS = t.TempDir()
	bd := discover(t, p)
	if bd.Source != SourceUdev || bd.Table != TableGPT || bd.ID != "11223344-5566-4778-8899-aabbccddeeff" || bd.ESPPartition != 1 || bd.BootPartition != 2 || bd.Errors["device"] == "" {
		t.Fatalf("got %+v", bd)
	}
	want := sfdiskOracle(t, dev)
	for i, bp := range bd.Partitions {
		w := want.Parts[i]
		got := oraclePart{Number: bp.Number, Start: bp.StartLBA, Size: bp.Sectors, Type: bp.Type, UUID: bp.GUID.String(), Name: bp.Name, Attrs: bp.Attributes}
		if got != w {
			t.Errorf("partition from udev %+v, sfdisk says %+v", got, w)
		}
	}
}

func devNum(rdev uint64) string {
	return fmt.Sprintf("%d:%d", unix.Major(rdev), unix.Minor(rdev))
}

// TestLiveBtrfsRoot: btrfs gives its mounts an anonymous device number
// (0:N in mountinfo), so discovery finds the partition through the mount
// source's device node instead.
func TestLiveBtrfsRoot(t *testing.T) {
	needTool(t, "mkfs.btrfs")
	_, dev := liveSetup(t, `label: gpt
start=2048, size=8MiB, type=U
size=150MiB, type=L
`, 160<<20)
	testutil.Run(t, "", "mkfs.btrfs", "-q", "-f", dev+"p2")
	root := t.TempDir()
	mountDev(t, dev+"p2", root, "btrfs")
	bd := discover(t, realPaths(root))
	if len(bd.Mounts) != 1 || !strings.HasPrefix(bd.Mounts[0].Device, "0:") || bd.Mounts[0].FSType != "btrfs" {
		t.Fatalf("mounts %+v: want one btrfs mount with an anonymous device number", bd.Mounts)
	}
	if bd.Disk != filepath.Base(dev) || bd.BootPartition != 2 || bd.ESPPartition != 1 || bd.ESPMount != "" || bd.Table != TableGPT {
		t.Errorf("got %+v", bd)
	}
}

// TestLiveTableGoneKernelStillSees: the table is wiped on disk while the
// kernel keeps the partitions it scanned. The device now shows no table;
// discovery says so and falls back to the kernel's view in sysfs instead
// of claiming the disk is unpartitioned.
func TestLiveTableGoneKernelStillSees(t *testing.T) {
	_, dev := liveSetup(t, `label: gpt
start=2048, size=8MiB, type=U
size=8MiB, type=L
`, 24<<20)
	root := t.TempDir()
	mountExt4(t, dev+"p2", root)
	f, err := os.OpenFile(dev, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 34*512), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bd := discover(t, realPaths(root))
	if bd.Source != SourceSysfs || bd.Table != TableUnknown || len(bd.Partitions) != 2 || bd.BootPartition != 2 || !strings.Contains(bd.Errors["table"], "the kernel sees 2 partitions") {
		t.Errorf("got %+v", bd)
	}
}
