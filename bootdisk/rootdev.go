package bootdisk

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Kinds of root= value, as RootMatch.Kind.
const (
	RootUUID      = "uuid"      // UUID=: a file system UUID (the initramfs resolves it)
	RootPartUUID  = "partuuid"  // PARTUUID=: a GPT partition GUID, or MBR signature-NN
	RootLabel     = "label"     // LABEL=: a file system label
	RootPartLabel = "partlabel" // PARTLABEL=: a GPT partition name
	RootPath      = "path"      // /dev/...
	RootSkipped   = "skipped"   // a root this package does not look for
)

// RootMatch says whether the device a kernel command line's root= names
// is one the host knows.
type RootMatch struct {
	// Spec is root='s value as written.
	Spec string `json:"spec"`
	// Kind is RootUUID, RootPartUUID, RootLabel, RootPartLabel, RootPath
	// or RootSkipped.
	Kind string `json:"kind"`
	// Found is set when a block device matches.
	Found bool `json:"found"`
	// Device is the matching device as found ("sda2", or the link's
	// target below /dev).
	Device string `json:"device,omitempty"`
	// Source names where it was found: "/dev/disk/by-uuid", "udev",
	// "partition table", "superblock" (a file system UUID or label read
	// from the device), "mount" (asked of the file system mounted from a
	// device this process may not read), "/dev", "sysfs".
	Source string `json:"source,omitempty"`
	// Skipped says why the root was not looked for (a network or overlay
	// root, a value with an unexpanded variable), or could not be: a file
	// system UUID or label on a host without udev, with block devices
	// whose superblocks this process could not read.
	Skipped string `json:"skipped,omitempty"`
	// Looked lists where it was looked for when it was not found.
	Looked []string `json:"looked,omitempty"`
}

// ClassifyRoot tells what kind of device a root= value names, and returns
// the value to look for; for RootSkipped, the reason instead. Network roots
// (NFS, iSCSI, NBD, Ceph RBD), overlay and live-image roots, ZFS datasets,
// device numbers and values with unexpanded boot loader variables are not
// looked for.
func ClassifyRoot(spec string) (kind, value string) {
	upper := strings.ToUpper(spec)
	switch {
	case spec == "":
		return RootSkipped, "no root= on the command line: the initramfs chooses the root"
	case strings.Contains(spec, "$"):
		return RootSkipped, "root= holds a boot loader variable that is not known before boot"
	case strings.HasPrefix(upper, "UUID="):
		return RootUUID, spec[5:]
	case strings.HasPrefix(upper, "PARTUUID="):
		v := spec[9:]
		// PARTUUID=...-02/PARTNROFF=1 names a partition next to it.
		v, _, _ = strings.Cut(v, "/")
		return RootPartUUID, v
	case strings.HasPrefix(upper, "LABEL="):
		return RootLabel, spec[6:]
	case strings.HasPrefix(upper, "PARTLABEL="):
		return RootPartLabel, spec[10:]
	case spec == "/dev/nfs" || strings.HasPrefix(spec, "nfs") || strings.HasPrefix(spec, "iscsi") ||
		strings.HasPrefix(spec, "nbd") || strings.HasPrefix(spec, "rbd") || strings.HasPrefix(spec, "dhcp") ||
		strings.HasPrefix(spec, "cifs") || strings.HasPrefix(spec, "/dev/nbd"):
		return RootSkipped, "a network root (" + spec + "), not looked for"
	case spec == "overlay" || strings.HasPrefix(spec, "overlay") || strings.HasPrefix(spec, "live:") ||
		strings.HasPrefix(spec, "tmpfs") || spec == "/dev/ram0" || strings.HasPrefix(spec, "squashfs"):
		return RootSkipped, "an overlay, live or RAM root (" + spec + "), not looked for"
	case strings.HasPrefix(upper, "ZFS="):
		return RootSkipped, "a ZFS dataset (" + spec + "), not looked for"
	case strings.HasPrefix(spec, "/dev/"):
		return RootPath, strings.TrimPrefix(spec, "/dev/")
	}
	return RootSkipped, "root=" + spec + " is not a device bootinfo can look for"
}

// byDir maps a kind to its udev symlink directory below /dev.
var byDir = map[string]string{
	RootUUID: "disk/by-uuid", RootPartUUID: "disk/by-partuuid",
	RootLabel: "disk/by-label", RootPartLabel: "disk/by-partlabel",
}

// udevKeys are the udev database properties that hold each kind's value.
var udevKeys = map[string][]string{
	RootUUID:      {"ID_FS_UUID"},
	RootPartUUID:  {"ID_PART_ENTRY_UUID"},
	RootLabel:     {"ID_FS_LABEL_ENC", "ID_FS_LABEL"},
	RootPartLabel: {"ID_PART_ENTRY_NAME"},
}

// FindRoot looks for the block device a root= value names: in the
// symbolic links udev makes below /dev/disk, in udev's database, and if
// neither knows it, in the partition tables of the disks sysfs lists
// (PARTUUID and PARTLABEL) or the file system superblocks of its block
// devices (UUID and LABEL, with ReadFileSystem); for a /dev path, the
// device node and sysfs. UUIDs compare without regard to case, as the
// kernel compares PARTUUID. A file system that is not found on a host
// without udev, where some devices could not be read, is Skipped: not
// finding it there says nothing.
func (fs FS) FindRoot(spec string) RootMatch {
	m := RootMatch{Spec: spec}
	kind, v := ClassifyRoot(spec)
	m.Kind = kind
	if kind == RootSkipped {
		m.Skipped = v
		return m
	}
	found := func(dev, source string) RootMatch {
		m.Found, m.Device, m.Source, m.Looked = true, dev, source, nil
		return m
	}
	if kind == RootPath {
		if fi, err := fs.dev.Stat(v); err == nil && fi.Mode()&iofs.ModeDevice != 0 && fi.Mode()&iofs.ModeCharDevice == 0 {
			dev := v
			if r, err := fs.dev.Resolve(v); err == nil {
				dev = strings.TrimPrefix(r, "/")
			}
			return found(dev, "/dev")
		}
		m.Looked = append(m.Looked, fs.dev.Path(v))
		if name, ok := strings.CutPrefix(v, "mapper/"); ok {
			if dm := fs.dmByName(name); dm != "" {
				return found(dm, "sysfs")
			}
			m.Looked = append(m.Looked, fs.sys.Path("block/dm-*/dm/name"))
		} else if !strings.Contains(v, "/") {
			if _, err := fs.sys.Stat("class/block/" + v); err == nil {
				return found(v, "sysfs")
			}
			m.Looked = append(m.Looked, fs.sys.Path("class/block/"+v))
		}
		return m
	}
	dir := byDir[kind]
	if ents, err := fs.dev.ReadDir(dir); err == nil {
		for _, e := range ents {
			if !matchValue(kind, udevUnescape(e.Name()), v) {
				continue
			}
			// A link whose device is gone names nothing.
			if _, err := fs.dev.Stat(dir + "/" + e.Name()); err != nil {
				m.Looked = append(m.Looked, fs.dev.Path(dir+"/"+e.Name())+": "+err.Error())
				continue
			}
			dev := e.Name()
			if r, err := fs.dev.Resolve(dir + "/" + e.Name()); err == nil {
				dev = strings.TrimPrefix(r, "/")
			}
			return found(dev, "/dev/"+dir)
		}
	}
	m.Looked = append(m.Looked, fs.dev.Path(dir))
	if dev, ok := fs.udevFind(kind, v); ok {
		return found(dev, "udev")
	}
	m.Looked = append(m.Looked, fs.root.Path("run/udev/data"))
	if kind == RootPartUUID || kind == RootPartLabel {
		if dev, ok := fs.tableFind(kind, v); ok {
			return found(dev, "partition table")
		}
		m.Looked = append(m.Looked, "the partition tables of "+fs.sys.Path("class/block"))
		return m
	}
	// File system UUIDs and labels live in the file systems' superblocks.
	sb := fs.superblockFind(kind, v)
	if sb.device != "" {
		return found(sb.device, sb.source)
	}
	looked := fmt.Sprintf("the superblocks of %d of the %s in %s", sb.read, plural(sb.total, "block device"), fs.sys.Path("class/block"))
	if len(sb.unread) > 0 {
		looked += " (not read: " + describeUnread(sb.unread) + ")"
	}
	// Where udev runs, it has read every superblock already, and its
	// links and records not naming the file system says it is not there,
	// whatever this process could read. Without udev, only a search
	// that read every device says so.
	_, linkErr := fs.dev.Stat("disk")
	_, dbErr := fs.root.Stat("run/udev/data")
	if len(sb.unread) > 0 && errNotExist(linkErr, dbErr) {
		m.Skipped = fmt.Sprintf("no udev links (%s) or database (%s) to look a file system %s up in, and %s whose superblock could not be read (%s): reading one needs its node below %s and root or CAP_DAC_READ_SEARCH (in a container, also the device cgroup's leave)",
			fs.dev.Path("disk"), fs.root.Path("run/udev/data"), kind, plural(len(sb.unread), "block device"), describeUnread(sb.unread), fs.dev.Dir())
		m.Looked = nil
		return m
	}
	m.Looked = append(m.Looked, looked)
	return m
}

func matchValue(kind, have, want string) bool {
	if kind == RootUUID || kind == RootPartUUID {
		return strings.EqualFold(have, want)
	}
	return have == want
}

// maxUdevRecords bounds the udev database records FindRoot reads.
const maxUdevRecords = 4096

// udevFind looks for a block device whose udev record holds v.
func (fs FS) udevFind(kind, v string) (string, bool) {
	const db = "run/udev/data"
	ents, err := fs.root.ReadDir(db)
	if err != nil {
		return "", false
	}
	n := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "b") {
			continue
		}
		if n++; n > maxUdevRecords {
			break
		}
		b, err := fs.root.ReadFile(db+"/"+e.Name(), hostfile.LimitConfig)
		if err != nil {
			continue
		}
		props := ParseUdevDB(b)
		for _, k := range udevKeys[kind] {
			if have, ok := props[k]; ok && matchValue(kind, udevUnescape(have), v) {
				return e.Name(), true
			}
		}
	}
	return "", false
}

// maxDisks bounds the disks whose partition tables FindRoot reads.
const maxDisks = 64

// tableFind reads the partition table of every whole disk sysfs lists and
// looks for a partition with GUID (or MBR signature and number) or name v.
func (fs FS) tableFind(kind, v string) (string, bool) {
	ents, err := fs.sys.ReadDir("class/block")
	if err != nil {
		return "", false
	}
	n := 0
	for _, e := range ents {
		name := e.Name()
		if fs.exists("class/block/"+name+"/partition") || strings.HasPrefix(name, "loop") && !fs.hasPartitions(name) {
			continue
		}
		if n++; n > maxDisks {
			break
		}
		tab, err := fs.diskTable(name)
		if err != nil {
			continue
		}
		for _, p := range tab.Partitions {
			var have string
			switch {
			case kind == RootPartLabel && tab.Type == TableGPT:
				have = p.Name
			case kind == RootPartUUID && tab.Type == TableGPT:
				have = p.GUID.String()
			case kind == RootPartUUID && tab.Type == TableMBR:
				// The kernel's PARTUUID of an MBR partition: the disk
				// signature and the partition number, SSSSSSSS-NN.
				have = fmt.Sprintf("%08x-%02x", tab.MBRSignature, p.Number)
			}
			if have != "" && matchValue(kind, have, v) {
				return fmt.Sprintf("%s partition %d", name, p.Number), true
			}
		}
	}
	return "", false
}

func (fs FS) hasPartitions(disk string) bool {
	ents, _ := fs.sys.ReadDir("class/block/" + disk)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), disk) {
			return true
		}
	}
	return false
}

// diskTable reads the partition table of the disk name from its device
// node, checking that the node is the device sysfs names.
func (fs FS) diskTable(name string) (*Table, error) {
	want, ok := func() (string, bool) {
		s, err := fs.sys.ReadString("class/block/" + name + "/dev")
		return s, err == nil
	}()
	if !ok {
		return nil, errors.New("no device number")
	}
	maj, min, err := fs.blockDevNum(name)
	if err != nil {
		return nil, err
	}
	if fmt.Sprintf("%d:%d", maj, min) != want {
		return nil, fmt.Errorf("%s is %d:%d, not %s", fs.dev.Path(name), maj, min, want)
	}
	f, err := fs.dev.OpenBlockDevice(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ss, err := fs.readInt("class/block/" + name + "/queue/logical_block_size")
	if err != nil || ss < 512 {
		ss = 512
	}
	return ReadTable(f, ss)
}

// dmByName returns the dm-N device whose device-mapper name is name.
func (fs FS) dmByName(name string) string {
	ents, err := fs.sys.ReadDir("block")
	if err != nil {
		return ""
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "dm-") && fs.readString("block/"+e.Name()+"/dm/name") == name {
			return e.Name()
		}
	}
	return ""
}
