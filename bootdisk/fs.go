package bootdisk

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Sources of a boot disk's partition table, as BootDisk.Source.
const (
	// SourceDevice: the table was read from the disk's device node.
	SourceDevice = "device"
	// SourceUdev: the device node could not be read (reading a disk needs
	// root); the table type, IDs and partition types come from the udev
	// database, positions from sysfs.
	SourceUdev = "udev"
	// SourceSysfs: neither could be read; partitions and positions come
	// from sysfs alone, with no types.
	SourceSysfs = "sysfs"
)

// Paths are the roots discovery reads below. A container that sees the
// host under /host passes /host/proc, /host/sys, /host/dev and /host.
type Paths struct {
	ProcFS string // "/proc": self/mountinfo
	SysFS  string // "/sys": dev/block, class/block
	DevFS  string // "/dev": the disk's device node
	RootFS string // "/": mount points are looked up below it; run/udev/data
}

// FS discovers the boot disk. Every path is resolved inside its root
// (sysfs's links, /sys/dev/block/M:N -> ../../devices/..., included) and
// every file read through hostfile: sysfs attributes up to
// hostfile.LimitAttr, mountinfo and udev database entries up to
// hostfile.LimitConfig, the disk's node only if it is a block device, and
// nothing that is not a regular file where one is expected, without
// blocking.
type FS struct {
	p                    Paths
	proc, sys, dev, root hostfile.Root
	// attrErrs collects, during one Discover, the sysfs attributes that
	// exist but cannot be read.
	attrErrs *[]string
}

// NewFS returns an FS over paths. It fails only when procfs or sysfs is
// not a directory (errors.Is(err, fs.ErrNotExist) when missing: not
// Linux, or a test tree without them); a missing dev directory only sends
// discovery to the udev database.
func NewFS(p Paths) (FS, error) {
	for _, d := range []string{p.ProcFS, p.SysFS} {
		st, err := hostfile.NewRoot(d).Stat(".")
		if err != nil {
			return FS{}, fmt.Errorf("bootdisk: %w", err)
		}
		if !st.IsDir() {
			return FS{}, fmt.Errorf("bootdisk: %s is not a directory", d)
		}
	}
	return FS{p: p, proc: hostfile.NewRoot(p.ProcFS), sys: hostfile.NewRoot(p.SysFS),
		dev: hostfile.NewRoot(p.DevFS), root: hostfile.NewRoot(p.RootFS)}, nil
}

// Mount points discovery looks at, relative to the root file system: "/"
// and "/boot" (whichever holds /boot chooses the disk), and the places the
// Boot Loader Specification and distributions mount the ESP.
var mountPoints = []string{"/", "/boot", "/boot/efi", "/efi"}

// Mount is a mount of one of the places discovery looks at.
type Mount struct {
	// Path is the mount point relative to the root: "/", "/boot",
	// "/boot/efi" or "/efi".
	Path string `json:"path"`
	// Device is the mount's device number as mountinfo gives it
	// ("259:1"); 0:N for file systems without a block device.
	Device string `json:"device"`
	FSType string `json:"fstype"`
	// Source is the mount source ("/dev/nvme0n1p2", "overlay").
	Source string `json:"source"`
	// Disk and Partition name the block devices under the mount
	// ("nvme0n1", "nvme0n1p2"); Partition is "" for a file system on a
	// whole disk. PartitionNumber is the partition's number on Disk.
	Disk            string `json:"disk,omitempty"`
	Partition       string `json:"partition,omitempty"`
	PartitionNumber int    `json:"partition_number,omitempty"`
	// Via lists the stacked block devices followed down to Partition: a
	// LUKS or single-device LVM volume ("dm-0").
	Via []string `json:"via,omitempty"`
	// Reason says why the mount has no Disk: its file system is not on a
	// block device, or on one stacked over several (LVM, RAID).
	Reason string `json:"reason,omitempty"`
}

// BootPartition is a partition of the boot disk with where it is mounted.
type BootPartition struct {
	Partition
	// MountPoints lists where, of the places discovery looks at, the
	// partition is mounted.
	MountPoints []string `json:"mount_points,omitempty"`
	// Boot is set on the partition holding /boot.
	Boot bool `json:"boot"`
}

// BootDisk is what discovery found.
type BootDisk struct {
	// Disk is the kernel's name of the disk holding /boot ("nvme0n1"), or
	// of the disk the ESP is mounted from when /boot is on a device that
	// is not a partition; "" when neither is on a disk (Reason says why).
	Disk string `json:"disk"`
	// Device is the disk's device number ("259:0").
	Device string `json:"device,omitempty"`
	// Size is the disk's size in bytes, from sysfs.
	Size uint64 `json:"size_bytes,omitempty"`
	// Table is the partition table type: gpt, mbr, none (the file system
	// is on the whole disk) or unknown (it could not be read).
	Table TableType `json:"table"`
	// ID is the GPT disk GUID or the MBR signature (8 hex digits), as
	// Linux prints PTUUID.
	ID         string `json:"id,omitempty"`
	SectorSize int    `json:"sector_size,omitempty"`
	// HybridMBR is set on a GPT disk whose protective MBR also lists
	// partitions (sgdisk -h), for firmware that boots only MBR disks.
	HybridMBR  bool            `json:"hybrid_mbr,omitempty"`
	Partitions []BootPartition `json:"partitions"`
	// BootMount is the mount point holding /boot: "/boot", or "/" when
	// /boot is a directory of the root file system.
	BootMount string `json:"boot_mount,omitempty"`
	// BootPartition and ESPPartition are the numbers of the partition
	// holding /boot and of the EFI system partition on Disk; 0 for none.
	BootPartition int `json:"boot_partition,omitempty"`
	ESPPartition  int `json:"esp_partition,omitempty"`
	// ESPMount is where the ESP is mounted ("/boot/efi", "/efi", "/boot"),
	// "" when it is not mounted at any of those places.
	ESPMount string `json:"esp_mount"`
	// Mounts are the mounts found at "/", "/boot", "/boot/efi" and "/efi".
	Mounts []Mount `json:"mounts"`
	// Source says where the table came from: device, udev or sysfs.
	Source string `json:"source,omitempty"`
	// Reason says why Disk is "".
	Reason string `json:"reason,omitempty"`
	// Errors maps a step ("mountinfo", "sysfs", "sysfs_attributes",
	// "device", "udev", "table") to what went wrong in it; discovery goes
	// on with the next source.
	Errors map[string]string `json:"errors,omitempty"`
}

// Discover finds the boot disk and decodes its partition table. The result
// is never nil; the error is non-nil only when the mount table cannot be
// read, so nothing could be found.
func (fs FS) Discover() (*BootDisk, error) {
	bd := &BootDisk{Table: TableUnknown, Partitions: []BootPartition{}, Mounts: []Mount{}}
	errs := map[string]string{}
	fs.attrErrs = new([]string)
	defer func() {
		if len(*fs.attrErrs) > 0 {
			slices.Sort(*fs.attrErrs)
			errs["sysfs_attributes"] = strings.Join(slices.Compact(*fs.attrErrs), "; ")
		}
		if len(errs) > 0 {
			bd.Errors = errs
		}
	}()
	b, err := fs.proc.ReadFile("self/mountinfo", hostfile.LimitConfig)
	if err != nil {
		bd.Reason = "the mount table cannot be read"
		return bd, fmt.Errorf("bootdisk: reading mountinfo: %w", err)
	}
	infos, err := ParseMountInfo(b)
	if err != nil {
		if len(infos) == 0 {
			bd.Reason = "the mount table cannot be read"
			return bd, fmt.Errorf("bootdisk: %s: %w", fs.proc.Path("self/mountinfo"), err)
		}
		errs["mountinfo"] = fmt.Sprintf("%s: %v", fs.proc.Path("self/mountinfo"), err)
	}
	byPath := map[string]*MountInfo{}
	for _, mi := range infos {
		// Later lines are mounted over earlier ones at the same place.
		byPath[filepath.Clean(mi.MountPoint)] = mi
	}
	for _, mp := range mountPoints {
		mi := byPath[filepath.Join(fs.p.RootFS, mp)]
		if mi == nil {
			continue
		}
		bd.Mounts = append(bd.Mounts, fs.resolveMount(mp, mi))
	}
	bd.BootMount = "/"
	if bd.mount("/boot") != nil {
		bd.BootMount = "/boot"
	}
	// The disk holding /boot; failing that, the disk the ESP is mounted
	// from (/ on LVM with /boot in it, and the ESP on a partition).
	var chosen *Mount
	for _, mp := range []string{bd.BootMount, "/boot/efi", "/efi"} {
		if m := bd.mount(mp); m != nil && m.Disk != "" {
			chosen = m
			break
		}
	}
	if chosen == nil {
		switch m := bd.mount(bd.BootMount); {
		case m != nil:
			bd.Reason = fmt.Sprintf("%s is on %s: %s", bd.BootMount, m.Source, m.Reason)
		case len(bd.Mounts) == 0:
			bd.Reason = fmt.Sprintf("none of %s is a mount point below %s", strings.Join(mountPoints, ", "), fs.p.RootFS)
		default:
			bd.Reason = "no mount is on a disk"
		}
		return bd, nil
	}
	bd.Disk = chosen.Disk
	fs.readDisk(bd, errs)
	return bd, nil
}

func (bd *BootDisk) mount(path string) *Mount {
	for i := range bd.Mounts {
		if bd.Mounts[i].Path == path {
			return &bd.Mounts[i]
		}
	}
	return nil
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// resolveMount maps a mount to the partition and disk under it.
func (fs FS) resolveMount(path string, mi *MountInfo) Mount {
	m := Mount{Path: path, Device: mi.Device, FSType: mi.FSType, Source: mi.Source}
	maj, min, ok := parseDevNum(mi.Device)
	if !ok {
		m.Reason = fmt.Sprintf("device number %q: %v", mi.Device, ErrMalformed)
		return m
	}
	if maj == 0 {
		// Anonymous device numbers: overlay, tmpfs, NFS, and btrfs, whose
		// subvolumes all get one; btrfs names its device in the source.
		if strings.HasPrefix(mi.Source, "/dev/") {
			if bmaj, bmin, err := fs.blockDevNum(strings.TrimPrefix(mi.Source, "/dev/")); err == nil {
				maj, min = bmaj, bmin
			}
		}
		if maj == 0 {
			m.Reason = fmt.Sprintf("%s file system, not on a block device: %v", mi.FSType, ErrNotPartition)
			return m
		}
	}
	fs.resolveBlock(&m, maj, min, 0)
	return m
}

// maxStack bounds how many stacked devices (dm over dm over a partition)
// are followed.
const maxStack = 8

func (fs FS) resolveBlock(m *Mount, maj, min uint32, depth int) {
	num := fmt.Sprintf("%d:%d", maj, min)
	dir, err := fs.sys.Resolve("dev/block/" + num)
	if err != nil {
		m.Reason = fmt.Sprintf("block device %s not in sysfs: %v", num, err)
		return
	}
	fs.resolveBlockDir(m, dir, depth)
}

// resolveBlockDir follows the block device whose sysfs directory is dir
// (resolved, as seen from the sysfs root) down to a partition or a disk.
func (fs FS) resolveBlockDir(m *Mount, dir string, depth int) {
	name := path.Base(dir)
	if n, err := fs.readInt(dir + "/partition"); err == nil {
		m.Partition, m.PartitionNumber, m.Disk = name, n, path.Base(path.Dir(dir))
		return
	}
	kind := ""
	switch {
	case fs.exists(dir + "/dm"):
		kind = "device-mapper"
		if dm := fs.readString(dir + "/dm/name"); dm != "" {
			kind += " " + dm
		}
		if u := fs.readString(dir + "/dm/uuid"); u != "" {
			if t, _, ok := strings.Cut(u, "-"); ok {
				kind += " (" + t + ")"
			}
		}
	case fs.exists(dir + "/md"):
		kind = "md RAID"
	}
	slaves, _ := fs.sys.ReadDir(dir + "/slaves")
	switch {
	case kind == "" && len(slaves) == 0:
		// A whole disk holding the file system (or a loop device).
		m.Disk = name
	case len(slaves) == 1 && depth < maxStack:
		m.Via = append(m.Via, name)
		sub, err := fs.sys.Resolve(dir + "/slaves/" + slaves[0].Name())
		if err != nil {
			m.Reason = fmt.Sprintf("%s %s over %s: %v", kind, name, slaves[0].Name(), err)
			return
		}
		fs.resolveBlockDir(m, sub, depth+1)
	default:
		if kind == "" {
			kind = "stacked device"
		}
		names := make([]string, len(slaves))
		for i, s := range slaves {
			names[i] = s.Name()
		}
		m.Via = append(m.Via, name)
		m.Reason = fmt.Sprintf("%s %s over %d devices (%s): %v", kind, name, len(slaves), strings.Join(names, ", "), ErrNotPartition)
	}
}

// readDisk fills the table of bd.Disk: from the device node, else from
// udev's database, else from sysfs.
func (fs FS) readDisk(bd *BootDisk, errs map[string]string) {
	dir, err := fs.sys.Resolve("class/block/" + bd.Disk)
	if err != nil {
		errs["sysfs"] = err.Error()
		return
	}
	bd.Device = fs.readString(dir + "/dev")
	if n, err := fs.readInt(dir + "/size"); err == nil && n > 0 {
		// sysfs counts 512-byte units whatever the logical sector size.
		bd.Size = uint64(n) * 512
	}
	ss, err := fs.readInt(dir + "/queue/logical_block_size")
	if err != nil || ss < 512 {
		ss = 512
	}
	bd.SectorSize = ss
	kparts := fs.sysfsPartitions(dir)

	tab, source := fs.readTable(bd, dir, ss, kparts, errs)
	bd.Source, bd.Table, bd.ID, bd.HybridMBR = source, tab.Type, tab.ID(), tab.HybridMBR
	if tab.SectorSize != 0 {
		bd.SectorSize = tab.SectorSize
	}
	for _, p := range tab.Partitions {
		bp := BootPartition{Partition: p}
		for _, m := range bd.Mounts {
			if m.Disk == bd.Disk && m.PartitionNumber == p.Number && m.Partition != "" {
				bp.MountPoints = append(bp.MountPoints, m.Path)
				if m.Path == bd.BootMount {
					bp.Boot = true
					bd.BootPartition = p.Number
				}
				if p.ESP && bd.ESPMount == "" && m.Path != "/" {
					bd.ESPMount = m.Path
				}
			}
		}
		if p.ESP && bd.ESPPartition == 0 {
			bd.ESPPartition = p.Number
		}
		bd.Partitions = append(bd.Partitions, bp)
	}
}

// kernelPartition is a partition as sysfs shows it.
type kernelPartition struct {
	name         string
	number       int
	start, size  uint64 // 512-byte units
	major, minor uint32
}

func (fs FS) sysfsPartitions(diskDir string) []kernelPartition {
	ents, _ := fs.sys.ReadDir(diskDir)
	var out []kernelPartition
	for _, e := range ents {
		if !e.IsDir() {
			continue // a partition is a directory in its disk's
		}
		d := diskDir + "/" + e.Name()
		n, err := fs.readInt(d + "/partition")
		if err != nil {
			continue
		}
		kp := kernelPartition{name: e.Name(), number: n}
		if v, err := fs.readInt(d + "/start"); err == nil {
			kp.start = uint64(v)
		}
		if v, err := fs.readInt(d + "/size"); err == nil {
			kp.size = uint64(v)
		}
		kp.major, kp.minor, _ = parseDevNum(fs.readString(d + "/dev"))
		out = append(out, kp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out
}

// openCheckedNode opens the node below the dev root of the block device
// name, whose sysfs directory is sysDir: the node its uevent's DEVNAME
// names, checked first to be device want ("MAJ:MIN"), as a container's
// /dev may hold other devices under the same name. node is the node's
// path, for messages.
func (fs FS) openCheckedNode(sysDir, name, want string) (f *os.File, node string, err error) {
	devname := name
	for _, l := range strings.Split(fs.readString(sysDir+"/uevent"), "\n") {
		if v, ok := strings.CutPrefix(l, "DEVNAME="); ok && v != "" {
			devname = v
		}
	}
	node = fs.dev.Path(devname)
	maj, min, ok := parseDevNum(want)
	if !ok {
		return nil, node, fmt.Errorf("device number %q of %s: %w", want, name, ErrMalformed)
	}
	nmaj, nmin, err := fs.blockDevNum(devname)
	if err != nil {
		return nil, node, err
	}
	if nmaj != maj || nmin != min {
		return nil, node, fmt.Errorf("%s is block device %d:%d, not %s", node, nmaj, nmin, want)
	}
	f, err = fs.dev.OpenBlockDevice(devname)
	return f, node, err
}

// readTable reads the partition table from the device node when it can,
// checking the node is the disk sysfs names (a container's /dev may hold
// other devices under the same name).
func (fs FS) readTable(bd *BootDisk, dir string, ss int, kparts []kernelPartition, errs map[string]string) (*Table, string) {
	f, node, err := fs.openCheckedNode(dir, bd.Disk, bd.Device)
	if err == nil {
		defer f.Close()
		tab, terr := ReadTable(f, ss)
		if terr != nil {
			errs["table"] = terr.Error()
		}
		switch {
		case tab.Type == TableNone && len(kparts) > 0:
			// A table kind this package does not decode (a BSD
			// disklabel, an Apple partition map): ask udev.
			errs["table"] = fmt.Sprintf("no GPT or MBR on %s, but the kernel sees %d partitions", node, len(kparts))
		case tab.Type != TableUnknown:
			return tab, SourceDevice
		}
	} else {
		errs["device"] = err.Error()
	}
	if tab, err := fs.udevTable(bd.Device, ss, kparts); err == nil {
		return tab, SourceUdev
	} else if !errors.Is(err, iofs.ErrNotExist) {
		errs["udev"] = err.Error()
	}
	tab := &Table{Type: TableUnknown, SectorSize: ss, Partitions: []Partition{}}
	if len(kparts) == 0 {
		// A file system mounted from the whole disk starts at its first
		// sector: there is no partition table.
		for _, m := range bd.Mounts {
			if m.Disk == bd.Disk && m.Partition == "" && m.Reason == "" {
				tab.Type = TableNone
			}
		}
		return tab, SourceSysfs
	}
	for _, kp := range kparts {
		p := Partition{Number: kp.number}
		setExtent(&p, kp.start*512/uint64(ss), kp.size*512/uint64(ss), ss)
		tab.Partitions = append(tab.Partitions, p)
	}
	return tab, SourceSysfs
}

// udevTable builds the table from udev's database records of the disk and
// of each partition sysfs lists.
func (fs FS) udevTable(disk string, ss int, kparts []kernelPartition) (*Table, error) {
	const db = "run/udev/data/"
	b, err := fs.root.ReadFile(db+"b"+disk, hostfile.LimitConfig)
	if err != nil {
		return nil, err
	}
	props := ParseUdevDB(b)
	tab := &Table{Type: TableUnknown, SectorSize: ss, Partitions: []Partition{}}
	switch props["ID_PART_TABLE_TYPE"] {
	case "gpt":
		tab.Type = TableGPT
		tab.DiskGUID, _ = efi.ParseGUID(props["ID_PART_TABLE_UUID"])
	case "dos":
		tab.Type = TableMBR
		v, _ := strconv.ParseUint(props["ID_PART_TABLE_UUID"], 16, 32)
		tab.MBRSignature = uint32(v)
	case "":
		if len(kparts) == 0 {
			tab.Type = TableNone
		}
	default:
		return nil, fmt.Errorf("%s: ID_PART_TABLE_TYPE=%s: %w", disk, props["ID_PART_TABLE_TYPE"], ErrMalformed)
	}
	for _, kp := range kparts {
		p := Partition{Number: kp.number}
		setExtent(&p, kp.start*512/uint64(ss), kp.size*512/uint64(ss), ss)
		b, err := fs.root.ReadFile(db+fmt.Sprintf("b%d:%d", kp.major, kp.minor), hostfile.LimitConfig)
		if err == nil {
			pp := ParseUdevDB(b)
			typ := strings.ToLower(pp["ID_PART_ENTRY_TYPE"])
			switch tab.Type {
			case TableGPT:
				if g, err := efi.ParseGUID(typ); err == nil {
					p.TypeGUID, p.Type, p.TypeName, p.ESP = g, g.String(), GPTTypeName(g), g == TypeESP
				}
				p.GUID, _ = efi.ParseGUID(pp["ID_PART_ENTRY_UUID"])
				p.Name = udevUnescape(pp["ID_PART_ENTRY_NAME"])
				if v, err := strconv.ParseUint(strings.TrimPrefix(pp["ID_PART_ENTRY_FLAGS"], "0x"), 16, 64); err == nil {
					p.Attributes = v
				}
			case TableMBR:
				if v, err := strconv.ParseUint(strings.TrimPrefix(typ, "0x"), 16, 8); err == nil {
					p.MBRType = byte(v)
					p.Type, p.TypeName, p.ESP = fmt.Sprintf("0x%02x", v), MBRTypeName(byte(v)), v == MBRTypeESP
					p.Extended = isExtended(byte(v))
				}
				p.Bootable = pp["ID_PART_ENTRY_FLAGS"] == "0x80"
				p.Logical = kp.number > 4
			}
		}
		tab.Partitions = append(tab.Partitions, p)
	}
	return tab, nil
}

func parseDevNum(s string) (maj, min uint32, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), ":")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.ParseUint(a, 10, 32)
	y, err2 := strconv.ParseUint(b, 10, 32)
	return uint32(x), uint32(y), err1 == nil && err2 == nil
}

// readAttr reads the sysfs attribute p. A missing attribute is normal (not
// every device or kernel has each); one that exists but cannot be read
// (too large, not a regular file) is recorded for Errors.
func (fs FS) readAttr(p string) (string, error) {
	s, err := fs.sys.ReadString(p)
	if err != nil && !errors.Is(err, iofs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) && fs.attrErrs != nil {
		*fs.attrErrs = append(*fs.attrErrs, err.Error())
	}
	return s, err
}

// readString reads the sysfs attribute p, "" when it cannot be read.
func (fs FS) readString(p string) string {
	s, err := fs.readAttr(p)
	if err != nil {
		return ""
	}
	return s
}

// readInt reads the sysfs attribute p as a decimal number.
func (fs FS) readInt(p string) (int, error) {
	s, err := fs.readAttr(p)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

func (fs FS) exists(p string) bool {
	_, err := fs.sys.Stat(p)
	return err == nil
}

// blockDevNum returns the device number of the block device node name
// below the dev root.
func (fs FS) blockDevNum(name string) (maj, min uint32, err error) {
	fi, err := fs.dev.Stat(name)
	if err != nil {
		return 0, 0, fmt.Errorf("bootdisk: %w", err)
	}
	if fi.Mode()&iofs.ModeDevice == 0 || fi.Mode()&iofs.ModeCharDevice != 0 {
		return 0, 0, fmt.Errorf("bootdisk: %s is not a block device", fs.dev.Path(name))
	}
	return fileDevNum(fi)
}
