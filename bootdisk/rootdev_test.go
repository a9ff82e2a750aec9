package bootdisk

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestClassifyRoot(t *testing.T) {
	for spec, want := range map[string]string{
		"UUID=0a1b":                     RootUUID,
		"uuid=0a1b":                     RootUUID,
		"PARTUUID=5e1d-02/PARTNROFF=1":  RootPartUUID,
		"LABEL=root":                    RootLabel,
		"PARTLABEL=root":                RootPartLabel,
		"/dev/sda2":                     RootPath,
		"/dev/mapper/vg-root":           RootPath,
		"/dev/nfs":                      RootSkipped,
		"nfs:10.0.0.1:/srv/root":        RootSkipped,
		"iscsi:10.0.0.1::::iqn.2001-04": RootSkipped,
		"overlay":                       RootSkipped,
		"live:CDLABEL=Fedora":           RootSkipped,
		"ZFS=rpool/ROOT/debian":         RootSkipped,
		"":                              RootSkipped,
		"UUID=${rootuuid}":              RootSkipped,
		"259:2":                         RootSkipped,
	} {
		if got, _ := ClassifyRoot(spec); got != want {
			t.Errorf("ClassifyRoot(%q) = %s, want %s", spec, got, want)
		}
	}
}

// rootTree lays out a host with one disk, vda, and its two partitions as
// udev would leave them: links below /dev/disk, database records, sysfs.
func rootTree(t *testing.T, withLinks, withUdev bool) FS {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"proc/self/mountinfo":            "",
		"sys/class/block/vda/dev":        "254:0\n",
		"sys/class/block/vda1/dev":       "254:1\n",
		"sys/class/block/vda1/partition": "1\n",
		"sys/class/block/vda2/dev":       "254:2\n",
		"sys/class/block/vda2/partition": "2\n",
		// A disk's directory holds its partitions'.
		"sys/class/block/vda/vda1/partition": "1\n",
		"sys/class/block/vda/vda2/partition": "2\n",
		"sys/block/dm-0/dm/name":             "vg-root\n",
		"dev/null-not-a-device":              "",
		"dev/vda2":                           "",
	}
	if withUdev {
		files["run/udev/data/b254:2"] = "S:disk/by-uuid/39ec20e2-aaaa-4bbb-8ccc-0123456789ab\nE:ID_FS_UUID=39ec20e2-aaaa-4bbb-8ccc-0123456789ab\nE:ID_FS_LABEL=my_root\nE:ID_FS_LABEL_ENC=my\\x20root\nE:ID_PART_ENTRY_UUID=6f2b7c4e-1111-4222-8333-444455556666\nE:ID_PART_ENTRY_NAME=root\n"
		files["run/udev/data/c4:1"] = "E:ID_FS_UUID=ffff\n"
	}
	testutil.WriteTree(t, root, files)
	if withLinks {
		for dir, name := range map[string]string{
			"disk/by-uuid":      "39ec20e2-aaaa-4bbb-8ccc-0123456789ab",
			"disk/by-label":     `my\x20root`,
			"disk/by-partuuid":  "6f2b7c4e-1111-4222-8333-444455556666",
			"disk/by-partlabel": "root",
		} {
			d := filepath.Join(root, "dev", dir)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../../vda2", filepath.Join(d, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	fs, err := NewFS(Paths{ProcFS: filepath.Join(root, "proc"), SysFS: filepath.Join(root, "sys"), DevFS: filepath.Join(root, "dev"), RootFS: root})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestFindRoot(t *testing.T) {
	for _, src := range []struct {
		name           string
		links, udev    bool
		source, device string
	}{
		{"links", true, false, "/dev/disk/by-", "vda2"},
		{"udev database", false, true, "udev", "b254:2"},
	} {
		fs := rootTree(t, src.links, src.udev)
		for spec, dir := range map[string]string{
			"UUID=39ec20e2-aaaa-4bbb-8ccc-0123456789ab": "uuid",
			"UUID=39EC20E2-AAAA-4BBB-8CCC-0123456789AB": "uuid",
			"LABEL=my root": "label",
			"PARTUUID=6f2b7c4e-1111-4222-8333-444455556666": "partuuid",
			"PARTLABEL=root": "partlabel",
		} {
			m := fs.FindRoot(spec)
			want := src.source
			if src.links {
				want += dir
			}
			if !m.Found || m.Source != want || m.Device != src.device {
				t.Errorf("%s: %s: %+v, want found in %s as %s", src.name, spec, m, want, src.device)
			}
		}
		for _, spec := range []string{"UUID=39ec20e2-0000-4bbb-8ccc-0123456789ab", "LABEL=my_root2", "PARTLABEL=Root", "UUID=ffff"} {
			if m := fs.FindRoot(spec); m.Found || len(m.Looked) == 0 {
				t.Errorf("%s: %s: %+v, want not found", src.name, spec, m)
			}
		}
	}
	// With udev's links, a file system they do not name is not there,
	// though this tree's devices cannot be read.
	m := rootTree(t, true, false).FindRoot("UUID=39ec20e2-0000-4bbb-8ccc-0123456789ab")
	if last := m.Looked[len(m.Looked)-1]; m.Found || m.Skipped != "" || !strings.Contains(last, "superblocks of 0 of the 3 block devices") || !strings.Contains(last, "vda2") {
		t.Errorf("udev links, unreadable devices: %+v", m)
	}
	fs := rootTree(t, false, false)
	// Without udev, a file system UUID or label on devices that could not
	// be read is not checked: vda is a disk with partitions, vda1 has no
	// node, vda2's is a FIFO here, which is neither opened nor waited on.
	if err := os.Remove(fs.dev.Path("vda2")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fs.dev.Path("vda2"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"UUID=39ec20e2-aaaa-4bbb-8ccc-0123456789ab", "LABEL=my root"} {
		m := fs.FindRoot(spec)
		if m.Found || len(m.Looked) != 0 || !strings.Contains(m.Skipped, "2 block devices whose superblock could not be read") ||
			!strings.Contains(m.Skipped, "vda1: no such file") || !strings.Contains(m.Skipped, "vda2 is not a block device") {
			t.Errorf("%s without udev: %+v", spec, m)
		}
	}
	for spec, want := range map[string]RootMatch{
		"/dev/vda2":              {Spec: "/dev/vda2", Kind: RootPath, Found: true, Device: "vda2", Source: "sysfs"},
		"/dev/mapper/vg-root":    {Spec: "/dev/mapper/vg-root", Kind: RootPath, Found: true, Device: "dm-0", Source: "sysfs"},
		"/dev/vdb1":              {Spec: "/dev/vdb1", Kind: RootPath, Looked: []string{fs.dev.Path("vdb1"), fs.sys.Path("class/block/vdb1")}},
		"/dev/null-not-a-device": {Spec: "/dev/null-not-a-device", Kind: RootPath, Looked: []string{fs.dev.Path("null-not-a-device"), fs.sys.Path("class/block/null-not-a-device")}},
		"/dev/nfs":               {Spec: "/dev/nfs", Kind: RootSkipped, Skipped: "a network root (/dev/nfs), not looked for"},
	} {
		if diff := cmp.Diff(want, fs.FindRoot(spec)); diff != "" {
			t.Errorf("%s: -want +got:\n%s", spec, diff)
		}
	}
}
