package bootdisk

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiscoverThisMachine runs discovery against this machine's real /proc,
// /sys and /dev and checks it against util-linux's findmnt and lsblk: the
// mount holding /boot, its block device and the disk under it. Whatever the
// root is (a partition, a whole disk, overlay in a container), discovery
// must say what it is without failing.
func TestDiscoverThisMachine(t *testing.T) {
	fs, err := NewFS(Paths{ProcFS: "/proc", SysFS: "/sys", DevFS: "/dev", RootFS: "/"})
	if err != nil {
		t.Skipf("no /proc, /sys or /dev: %v", err)
	}
	bd, err := fs.Discover()
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.MarshalIndent(bd, "", "  ")
	t.Logf("this machine:\n%s", js)
	m := bd.mount(bd.BootMount)
	if m == nil {
		t.Fatalf("no mount for %s", bd.BootMount)
	}
	if bd.Disk == "" && bd.Reason == "" {
		t.Errorf("no disk and no reason")
	}
	if m.Disk == "" && m.Reason == "" {
		t.Errorf("mount %+v: no disk and no reason", m)
	}
	if _, err := exec.LookPath("findmnt"); err != nil {
		t.Skip("findmnt not installed")
	}
	out, err := exec.Command("findmnt", "-n", "-o", "MAJ:MIN,FSTYPE", "--target", "/boot").Output()
	if err != nil {
		t.Fatalf("findmnt: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[0] != m.Device || f[1] != m.FSType {
		t.Errorf("findmnt --target /boot says %q; discovery %s %s", out, m.Device, m.FSType)
	}
	if strings.HasPrefix(m.Device, "0:") && m.FSType != "btrfs" {
		if m.Disk != "" || !strings.Contains(m.Reason, "not on a block device") {
			t.Errorf("%s on %s: disk %q reason %q", m.FSType, m.Device, m.Disk, m.Reason)
		}
		return
	}
	// lsblk names the device and its parent disk.
	var doc struct {
		BlockDevices []lsblkDev `json:"blockdevices"`
	}
	out, err = exec.Command("lsblk", "-J", "-o", "NAME,MAJ:MIN,TYPE,PKNAME").Output()
	if err != nil {
		t.Skipf("lsblk: %v", err)
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	dev := findLsblk(doc.BlockDevices, m.Device)
	if dev == nil {
		t.Fatalf("lsblk does not list %s", m.Device)
	}
	switch dev.Type {
	case "disk", "loop":
		if m.Disk != dev.Name || m.Partition != "" || bd.Table == TableGPT || bd.Table == TableMBR {
			t.Errorf("lsblk: %s is a whole disk; discovery: disk %q partition %q table %s", dev.Name, m.Disk, m.Partition, bd.Table)
		}
	case "part":
		if m.Partition != dev.Name || m.Disk != dev.PKName {
			t.Errorf("lsblk: partition %s of %s; discovery: %q of %q", dev.Name, dev.PKName, m.Partition, m.Disk)
		}
	default:
		t.Logf("lsblk: %s is a %s; discovery: %+v", dev.Name, dev.Type, m)
	}
}

type lsblkDev struct {
	Name     string     `json:"name"`
	MajMin   string     `json:"maj:min"`
	Type     string     `json:"type"`
	PKName   string     `json:"pkname"`
	Children []lsblkDev `json:"children"`
}

func findLsblk(ds []lsblkDev, majmin string) *lsblkDev {
	for i := range ds {
		if ds[i].MajMin == majmin {
			return &ds[i]
		}
		if c := findLsblk(ds[i].Children, majmin); c != nil {
			return c
		}
	}
	return nil
}

// fakeTree builds procfs, sysfs, dev and a root in the shape this
// machine's kernel uses (/sys/dev/block/MAJ:MIN and /sys/class/block/NAME
// are relative symlinks into /sys/devices; a partition is a directory
// inside its disk's with partition, start, size and dev files; a
// device-mapper device has dm/name, dm/uuid and slaves/).
type fakeTree struct {
	t                    *testing.T
	proc, sys, dev, root string
}

func newFakeTree(t *testing.T, mountinfo string) *fakeTree {
	d := t.TempDir()
	ft := &fakeTree{t: t, proc: filepath.Join(d, "proc"), sys: filepath.Join(d, "sys"), dev: filepath.Join(d, "dev"), root: "/"}
	ft.write(filepath.Join(ft.proc, "self", "mountinfo"), mountinfo)
	for _, p := range []string{ft.dev, filepath.Join(ft.sys, "dev", "block"), filepath.Join(ft.sys, "class", "block")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return ft
}

func (ft *fakeTree) write(p, s string) {
	ft.t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		ft.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		ft.t.Fatal(err)
	}
}

func (ft *fakeTree) link(target, name string) {
	ft.t.Helper()
	rel, err := filepath.Rel(filepath.Dir(name), target)
	if err != nil {
		ft.t.Fatal(err)
	}
	if err := os.Symlink(rel, name); err != nil {
		ft.t.Fatal(err)
	}
}

// block adds a block device at devices/<path> (path ends in its name).
func (ft *fakeTree) block(path, majmin string, files map[string]string) string {
	dir := filepath.Join(ft.sys, "devices", path)
	name := filepath.Base(path)
	ft.write(filepath.Join(dir, "dev"), majmin+"\n")
	ft.write(filepath.Join(dir, "uevent"), "MAJOR=x\nDEVNAME="+name+"\n")
	for f, v := range files {
		ft.write(filepath.Join(dir, f), v+"\n")
	}
	ft.link(dir, filepath.Join(ft.sys, "dev", "block", majmin))
	ft.link(dir, filepath.Join(ft.sys, "class", "block", name))
	return dir
}

func (ft *fakeTree) slave(holder, slave string) {
	if err := os.MkdirAll(filepath.Join(holder, "slaves"), 0o755); err != nil {
		ft.t.Fatal(err)
	}
	ft.link(slave, filepath.Join(holder, "slaves", filepath.Base(slave)))
}

func (ft *fakeTree) discover() *BootDisk {
	ft.t.Helper()
	fs, err := NewFS(Paths{ProcFS: ft.proc, SysFS: ft.sys, DevFS: ft.dev, RootFS: ft.root})
	if err != nil {
		ft.t.Fatal(err)
	}
	bd, err := fs.Discover()
	if err != nil {
		ft.t.Fatal(err)
	}
	return bd
}

const nvme = "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1"

func TestDiscoverFakeTrees(t *testing.T) {
	// An NVMe disk with an ESP (p1) and a LUKS-on-partition root (p2,
	// dm-0); /boot is in the root file system.
	t.Run("luks root, ESP at /boot/efi, udev", func(t *testing.T) {
		ft := newFakeTree(t, `26 1 253:0 / / rw,relatime - ext4 /dev/mapper/root rw
27 26 259:1 / /boot/efi rw,relatime - vfat /dev/nvme0n1p1 rw,fmask=0077
28 26 0:25 / /tmp rw - tmpfs tmpfs rw
`)
		disk := ft.block(nvme, "259:0", map[string]string{"size": "2000409264", "queue/logical_block_size": "512"})
		ft.block(nvme+"/nvme0n1p1", "259:1", map[string]string{"partition": "1", "start": "2048", "size": "1048576"})
		p2 := ft.block(nvme+"/nvme0n1p2", "259:2", map[string]string{"partition": "2", "start": "1050624", "size": "1999358607"})
		dm := ft.block("virtual/block/dm-0", "253:0", map[string]string{"dm/name": "root", "dm/uuid": "CRYPT-LUKS2-0123-root"})
		ft.slave(dm, p2)
		_ = disk
		ft.root = t.TempDir()
		ft.write(filepath.Join(ft.proc, "self", "mountinfo"), strings.NewReplacer(" / / ", " / "+ft.root+" ", " /boot/efi ", " "+ft.root+"/boot/efi ").Replace(readFile(t, filepath.Join(ft.proc, "self", "mountinfo"))))
		ft.write(filepath.Join(ft.root, "run/udev/data/b259:0"), "S:disk/by-id/nvme-x\nE:ID_PART_TABLE_TYPE=gpt\nE:ID_PART_TABLE_UUID=6c1b0a7e-52f8-4c5e-8d0b-7a1e3f9c2d41\nG:systemd\n")
		ft.write(filepath.Join(ft.root, "run/udev/data/b259:1"), "E:ID_PART_ENTRY_SCHEME=gpt\nE:ID_PART_ENTRY_NAME=EFI\\x20System\\x20Partition\nE:ID_PART_ENTRY_UUID=0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7\nE:ID_PART_ENTRY_TYPE=c12a7328-f81f-11d2-ba4b-00a0c93ec93b\nE:ID_PART_ENTRY_NUMBER=1\nE:ID_PART_ENTRY_OFFSET=2048\nE:ID_PART_ENTRY_SIZE=1048576\nE:ID_PART_ENTRY_DISK=259:0\n")
		ft.write(filepath.Join(ft.root, "run/udev/data/b259:2"), "E:ID_PART_ENTRY_TYPE=ca7d7ccb-63ed-4c53-861c-1742536059cc\nE:ID_PART_ENTRY_NAME=root\nE:ID_PART_ENTRY_FLAGS=0x1\n")
		bd := ft.discover()
		want := &BootDisk{
			Disk: "nvme0n1", Device: "259:0", Size: 2000409264 * 512, Table: TableGPT, ID: "6c1b0a7e-52f8-4c5e-8d0b-7a1e3f9c2d41", SectorSize: 512,
			BootMount: "/", BootPartition: 2, ESPPartition: 1, ESPMount: "/boot/efi", Source: SourceUdev,
			Mounts: []Mount{
				{Path: "/", Device: "253:0", FSType: "ext4", Source: "/dev/mapper/root", Disk: "nvme0n1", Partition: "nvme0n1p2", PartitionNumber: 2, Via: []string{"dm-0"}},
				{Path: "/boot/efi", Device: "259:1", FSType: "vfat", Source: "/dev/nvme0n1p1", Disk: "nvme0n1", Partition: "nvme0n1p1", PartitionNumber: 1},
			},
		}
		esp := Partition{Number: 1, Type: TypeESP.String(), TypeName: "EFI System", TypeGUID: TypeESP, Name: "EFI System Partition", StartLBA: 2048, Sectors: 1048576, Start: 2048 * 512, Size: 1048576 * 512, ESP: true}
		esp.GUID = mustGUID("0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7")
		luks := Partition{Number: 2, Type: "ca7d7ccb-63ed-4c53-861c-1742536059cc", TypeGUID: mustGUID("ca7d7ccb-63ed-4c53-861c-1742536059cc"), Name: "root", StartLBA: 1050624, Sectors: 1999358607, Start: 1050624 * 512, Size: 1999358607 * 512, Attributes: 1}
		want.Partitions = []BootPartition{{Partition: esp, MountPoints: []string{"/boot/efi"}}, {Partition: luks, MountPoints: []string{"/"}, Boot: true}}
		// The device node is missing from the fake dev: the error says so.
		if !strings.Contains(bd.Errors["device"], "no such file") {
			t.Errorf("errors %v, want the missing device node", bd.Errors)
		}
		bd.Errors = nil
		if d := cmp.Diff(want, bd); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})

	t.Run("lvm root over two disks, /boot on a partition, no udev", func(t *testing.T) {
		ft := newFakeTree(t, `1 0 253:1 / / rw - xfs /dev/mapper/vg-root rw
2 1 8:1 / /boot rw - xfs /dev/sda1 rw
`)
		ft.block("pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda", "8:0", map[string]string{"size": "1000", "queue/logical_block_size": "4096"})
		sda1 := ft.block("pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1", "8:1", map[string]string{"partition": "1", "start": "2048", "size": "2048"})
		sda2 := ft.block("pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2", "8:2", map[string]string{"partition": "2", "start": "4096", "size": "8192"})
		sdb1 := ft.block("pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0/block/sdb/sdb1", "8:17", map[string]string{"partition": "1", "start": "2048", "size": "8192"})
		dm := ft.block("virtual/block/dm-1", "253:1", map[string]string{"dm/name": "vg-root", "dm/uuid": "LVM-abcdef"})
		ft.slave(dm, sda2)
		ft.slave(dm, sdb1)
		_ = sda1
		bd := ft.discover()
		if bd.Disk != "sda" || bd.BootMount != "/boot" || bd.BootPartition != 1 || bd.Source != SourceSysfs || bd.Table != TableUnknown || bd.SectorSize != 4096 {
			t.Errorf("got %+v", bd)
		}
		if len(bd.Partitions) != 2 || bd.Partitions[0].StartLBA != 2048*512/4096 || bd.Partitions[0].Start != 2048*512 || !bd.Partitions[0].Boot {
			t.Errorf("partitions from sysfs: %+v", bd.Partitions)
		}
		root := bd.mount("/")
		if root.Disk != "" || !strings.Contains(root.Reason, "device-mapper vg-root (LVM) dm-1 over 2 devices (sda2, sdb1)") || !strings.Contains(root.Reason, ErrNotPartition.Error()) {
			t.Errorf("root mount %+v", root)
		}
	})

	t.Run("container: overlay root, nothing at /boot", func(t *testing.T) {
		ft := newFakeTree(t, "500 400 0:77 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n501 500 0:80 / /proc rw - proc proc rw\n")
		bd := ft.discover()
		if bd.Disk != "" || bd.Table != TableUnknown || bd.Reason != "/ is on overlay: overlay file system, not on a block device: not a partition" || len(bd.Mounts) != 1 {
			t.Errorf("got %+v", bd)
		}
	})

	t.Run("nfs root, md RAID /boot", func(t *testing.T) {
		ft := newFakeTree(t, "1 0 0:50 / / rw - nfs4 server:/export rw\n2 1 9:0 / /boot rw - ext4 /dev/md0 rw\n")
		md := ft.block("virtual/block/md0", "9:0", map[string]string{"md/level": "raid1"})
		ft.slave(md, ft.block("pci0000:00/x/block/sda/sda1", "8:1", map[string]string{"partition": "1"}))
		ft.slave(md, ft.block("pci0000:00/y/block/sdb/sdb1", "8:17", map[string]string{"partition": "1"}))
		bd := ft.discover()
		if bd.Disk != "" || !strings.Contains(bd.Reason, "/boot is on /dev/md0: md RAID md0 over 2 devices (sda1, sdb1)") {
			t.Errorf("got %+v", bd)
		}
		if r := bd.mount("/").Reason; !strings.Contains(r, "nfs4 file system, not on a block device") {
			t.Errorf("nfs root reason %q", r)
		}
	})

	// systemd-gpt-auto-generator puts an automount at /efi; until
	// something touches it, only the autofs mount is there.
	t.Run("ESP behind an idle automount", func(t *testing.T) {
		ft := newFakeTree(t, "1 0 254:2 / / rw - ext4 /dev/vda2 rw\n2 1 0:44 / /efi rw - autofs systemd-1 rw,fd=50,pgrp=1,timeout=120,minproto=5,maxproto=5,direct\n")
		ft.block("pci0000:00/0000:00:02.0/virtio1/block/vda", "254:0", map[string]string{"size": "8192"})
		ft.block("pci0000:00/0000:00:02.0/virtio1/block/vda/vda1", "254:1", map[string]string{"partition": "1", "start": "2048", "size": "2048"})
		ft.block("pci0000:00/0000:00:02.0/virtio1/block/vda/vda2", "254:2", map[string]string{"partition": "2", "start": "4096", "size": "4096"})
		bd := ft.discover()
		efi := bd.mount("/efi")
		if bd.Disk != "vda" || bd.BootPartition != 2 || bd.ESPMount != "" || efi == nil || efi.FSType != "autofs" || !strings.Contains(efi.Reason, "autofs file system, not on a block device") {
			t.Errorf("got %+v", bd)
		}
	})

	t.Run("block device missing from sysfs", func(t *testing.T) {
		ft := newFakeTree(t, "1 0 8:3 / / rw - ext4 /dev/sda3 rw\n")
		bd := ft.discover()
		if bd.Disk != "" || !strings.Contains(bd.Reason, "block device 8:3 not in sysfs") {
			t.Errorf("got %+v", bd)
		}
	})

	t.Run("malformed mountinfo", func(t *testing.T) {
		ft := newFakeTree(t, "garbage\n")
		fs, _ := NewFS(Paths{ProcFS: ft.proc, SysFS: ft.sys, DevFS: ft.dev, RootFS: "/"})
		bd, err := fs.Discover()
		if err == nil || bd == nil || bd.Disk != "" {
			t.Errorf("got %+v, %v", bd, err)
		}
	})

	t.Run("escaped mount point", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "my root")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		ft := newFakeTree(t, "1 0 0:1 / / rw - tmpfs tmpfs rw\n2 1 0:2 / "+strings.ReplaceAll(root, " ", `\040`)+" rw - tmpfs tmpfs rw\n")
		ft.root = root
		bd := ft.discover()
		if len(bd.Mounts) != 1 || bd.Mounts[0].Path != "/" || bd.Mounts[0].Device != "0:2" {
			t.Errorf("mounts %+v", bd.Mounts)
		}
	})
}

func TestNewFSNotADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := NewFS(Paths{ProcFS: f, SysFS: "/", DevFS: "/", RootFS: "/"}); err == nil {
		t.Error("NewFS accepted a file as procfs")
	}
	if _, err := NewFS(Paths{ProcFS: "/nonexistent-proc", SysFS: "/", DevFS: "/", RootFS: "/"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err %v, want not exist", err)
	}
}

func TestUdevUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`EFI\x20System\x20Partition`: "EFI System Partition",
		`r\xc3\xb6\xc3\xb6t`:         "rööt",
		`plain`:                      "plain",
		`trailing\x2`:                `trailing\x2`,
		`bad\xzz`:                    `bad\xzz`,
		`\xff`:                       "\uFFFD",
	} {
		if got := udevUnescape(in); got != want {
			t.Errorf("udevUnescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkDiscoverThisMachine measures one discovery against this
// machine's real /proc, /sys and /dev: what the bootloader collector
// spends on the boot disk per refresh.
func BenchmarkDiscoverThisMachine(b *testing.B) {
	fs, err := NewFS(Paths{ProcFS: "/proc", SysFS: "/sys", DevFS: "/dev", RootFS: "/"})
	if err != nil {
		b.Skipf("no /proc or /sys: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.Discover(); err != nil {
			b.Fatal(err)
		}
	}
}
