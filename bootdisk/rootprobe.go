package bootdisk

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// MaxRootDevices bounds the block devices whose superblocks FindRoot
// reads in one search; ReadFileSystem reads MaxFileSystemRead bytes of
// each, about 16 KiB. Devices past it leave the search incomplete.
const MaxRootDevices = 256

// superblockSearch is what reading the block devices' superblocks found.
type superblockSearch struct {
	// device is the first device whose file system matched, source
	// "superblock" or "mount" for where its UUID or label came from.
	device, source string
	// read counts the devices whose superblocks were read, total those
	// sysfs lists.
	read, total int
	// unread lists the devices that could not be read, each with why.
	unread []string
}

// superblockFind reads the superblock of each block device sysfs lists
// that may hold a file system, until one has the UUID (or label) v: every
// partition, every whole disk without partitions, device-mapper and md
// devices, and loop devices with a backing file. It passes over devices
// with no medium or size (an empty loop device or CD drive), disks whose
// file systems are on their partitions, and devices another one is
// stacked on (an md member, a LUKS or LVM volume's partition: the file
// system is on the device above). A device whose node below the dev root
// is missing, is another device or cannot be opened (reading needs root,
// or read access to the node) is listed as unread; so are network block
// devices and removable media drives, whose reads may block or spin up a
// drive. A device that disappears from sysfs while it is read is no
// longer one the host has, and is not listed. A device that cannot be
// read but is mounted (the device cgroup of a container, or of this
// machine, denies the root disk while its file system is mounted) is
// asked through its mount.
func (fs FS) superblockFind(kind, v string) superblockSearch {
	var s superblockSearch
	ents, err := fs.sys.ReadDir("class/block")
	if err != nil {
		s.unread = append(s.unread, err.Error())
		return s
	}
	s.total = len(ents)
	var mounts []*MountInfo
	n := 0
	for i, e := range ents {
		name := e.Name()
		dir := "class/block/" + name
		if size, err := fs.readInt(dir + "/size"); err == nil && size == 0 ||
			fs.readString(dir+"/hidden") == "1" || fs.hasPartitions(name) || fs.hasHolders(name) ||
			strings.HasPrefix(name, "loop") && !fs.exists(dir+"/partition") && !fs.exists(dir+"/loop/backing_file") {
			continue
		}
		if n++; n > MaxRootDevices {
			s.unread = append(s.unread, fmt.Sprintf("the %d listed after the first %d that may hold a file system", len(ents)-i, MaxRootDevices))
			break
		}
		if why := unprobed(name); why != "" {
			s.unread = append(s.unread, name+": "+why)
			continue
		}
		f, err := fs.readFileSystem(name)
		source := "superblock"
		if err != nil && !errors.Is(err, ErrNoFileSystem) && !errors.Is(err, ErrAmbivalent) {
			if !fs.exists(dir) {
				continue // gone while it was read
			}
			// A device this process may not read can still be mounted:
			// its file system then says who it is.
			if mounts == nil {
				mounts = fs.blockMounts()
			}
			mf, merr := fs.mountedFileSystem(name, kind, mounts)
			if merr != nil {
				s.unread = append(s.unread, err.Error())
				continue
			}
			f, err, source = mf, nil, "mount"
		}
		s.read++
		if err != nil {
			continue // no file system, or more than one
		}
		have := f.Label
		if kind == RootUUID {
			have = f.UUID
		}
		if have != "" && matchValue(kind, have, v) {
			s.device, s.source = name, source
			return s
		}
	}
	return s
}

// blockMounts reads this process's mount table, for mountedFileSystem;
// none when it cannot be read.
func (fs FS) blockMounts() []*MountInfo {
	b, err := fs.proc.ReadFile("self/mountinfo", hostfile.LimitConfig)
	if err != nil {
		return []*MountInfo{}
	}
	infos, _ := ParseMountInfo(b)
	if infos == nil {
		return []*MountInfo{}
	}
	return infos
}

// mountedFileSystem asks a file system mounted from the block device name
// for its UUID or label (kind), with FS_IOC_GETFSUUID or
// FS_IOC_GETFSLABEL on its mount point. A mount is the device's when its
// device number is the one sysfs gives the device, or, for btrfs, whose
// mounts get an anonymous number, when its source is the device's node.
func (fs FS) mountedFileSystem(name, kind string, mounts []*MountInfo) (*FileSystem, error) {
	want := fs.readString("class/block/" + name + "/dev")
	err := fmt.Errorf("bootdisk: %s: not mounted", name)
	for _, mi := range mounts {
		if mi.Device != want && !(strings.HasPrefix(mi.Device, "0:") && mi.Source == "/dev/"+name) {
			continue
		}
		uuid, label, uuidOK, labelOK, merr := mountedIdentity(mi.MountPoint, mi.Device)
		switch {
		case merr != nil:
			err = merr
		case kind == RootUUID && uuidOK, kind == RootLabel && labelOK:
			return &FileSystem{Type: mi.FSType, UUID: uuid, Label: label}, nil
		default:
			err = fmt.Errorf("bootdisk: %s mounted at %s does not tell its %s", name, mi.MountPoint, kind)
		}
	}
	return nil, err
}

// unprobed says why a device of this name is not read: network block
// devices and removable media drives.
func unprobed(name string) string {
	switch {
	case strings.HasPrefix(name, "nbd"):
		return "a network block device, not read"
	case strings.HasPrefix(name, "sr"), strings.HasPrefix(name, "fd"):
		return "a removable media drive, not read"
	}
	return ""
}

// hasHolders reports whether another block device is stacked on name.
func (fs FS) hasHolders(name string) bool {
	ents, _ := fs.sys.ReadDir("class/block/" + name + "/holders")
	return len(ents) > 0
}

// readFileSystem reads the superblock of the block device name, after
// checking that its node below the dev root is the device sysfs names.
func (fs FS) readFileSystem(name string) (*FileSystem, error) {
	dir := "class/block/" + name
	f, node, err := fs.openCheckedNode(dir, name, fs.readString(dir+"/dev"))
	if err != nil {
		return nil, fmt.Errorf("bootdisk: %w", err)
	}
	defer f.Close()
	fsys, err := ReadFileSystem(f)
	if err != nil && !errors.Is(err, ErrNoFileSystem) && !errors.Is(err, ErrAmbivalent) {
		return nil, fmt.Errorf("bootdisk: %s: %w", node, err)
	}
	return fsys, err
}

// describeUnread puts the first few unread devices in a sentence.
func describeUnread(unread []string) string {
	const show = 4
	out := make([]string, 0, show)
	for _, u := range unread[:min(len(unread), show)] {
		out = append(out, strings.TrimPrefix(u, "bootdisk: "))
	}
	if len(unread) > show {
		out = append(out, fmt.Sprintf("and %d more", len(unread)-show))
	}
	return strings.Join(out, "; ")
}

// plural writes n things, "1 block device", "2 block devices".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// errNotExist reports whether both errors say a path does not exist.
func errNotExist(errs ...error) bool {
	for _, err := range errs {
		if !errors.Is(err, iofs.ErrNotExist) {
			return false
		}
	}
	return true
}
