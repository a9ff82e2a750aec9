package bootdisk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/hostile"
)

// maxHostileAlloc bounds what reading a tree with one hostile file may
// allocate: a few times the largest limit the package reads with
// (hostfile.LimitConfig, for mountinfo and udev entries), and a thousandth of the 1 GiB file.
const maxHostileAlloc = 8 << 20

// hostileTree is an NVMe disk with an ESP (p1, at /boot/efi) and the root
// (p2), no device node, and udev's records of both: discovery takes the
// table from udev.
func hostileTree(t *testing.T) *fakeTree {
	ft := newFakeTree(t, "")
	ft.root = t.TempDir()
	ft.write(filepath.Join(ft.proc, "self", "mountinfo"), "26 1 259:2 / "+ft.root+" rw - ext4 /dev/nvme0n1p2 rw\n"+
		"27 26 259:1 / "+ft.root+"/boot/efi rw - vfat /dev/nvme0n1p1 rw\n")
	ft.block(nvme, "259:0", map[string]string{"size": "2000409264", "queue/logical_block_size": "512"})
	ft.block(nvme+"/nvme0n1p1", "259:1", map[string]string{"partition": "1", "start": "2048", "size": "1048576"})
	ft.block(nvme+"/nvme0n1p2", "259:2", map[string]string{"partition": "2", "start": "1050624", "size": "1999358607"})
	ft.write(filepath.Join(ft.root, "run/udev/data/b259:0"), "E:ID_PART_TABLE_TYPE=gpt\nE:ID_PART_TABLE_UUID=6c1b0a7e-52f8-4c5e-8d0b-7a1e3f9c2d41\n")
	ft.write(filepath.Join(ft.root, "run/udev/data/b259:1"), "E:ID_PART_ENTRY_TYPE=c12a7328-f81f-11d2-ba4b-00a0c93ec93b\n")
	ft.write(filepath.Join(ft.root, "run/udev/data/b259:2"), "E:ID_PART_ENTRY_TYPE=0fc63daf-8483-4772-8e79-3d69d8477de4\n")
	return ft
}

// TestDiscoverHostileFiles makes each file discovery reads hostile in turn:
// the step's error names the file, discovery goes on with what else it
// can read, and nothing blocks or is read into memory.
func TestDiscoverHostileFiles(t *testing.T) {
	// Each case names the file by its root ("proc", "sys", "dev", "root")
	// and checks what discovery still found.
	type found func(t *testing.T, bd *BootDisk)
	complete := func(t *testing.T, bd *BootDisk) {
		t.Helper()
		if bd.Disk != "nvme0n1" || bd.Table != TableGPT || bd.ESPPartition != 1 || bd.BootPartition != 2 || len(bd.Partitions) != 2 {
			t.Errorf("discovery lost facts: %+v", bd)
		}
	}
	for _, tt := range []struct {
		name, root, file, step string
		kinds                  []string
		found                  found
	}{
		{"mountinfo", "proc", "self/mountinfo", "", hostile.Kinds, func(t *testing.T, bd *BootDisk) {
			if bd.Disk != "" || bd.Reason != "the mount table cannot be read" {
				t.Errorf("%+v", bd)
			}
		}},
		// The disk's size: every other fact stays.
		{"size", "sys", "devices/" + nvme + "/size", "sysfs_attributes", hostile.Kinds, func(t *testing.T, bd *BootDisk) {
			complete(t, bd)
			if bd.Size != 0 {
				t.Errorf("size %d from a hostile file", bd.Size)
			}
		}},
		// A partition's start: the partition is still listed.
		{"start", "sys", "devices/" + nvme + "/nvme0n1p2/start", "sysfs_attributes", hostile.Kinds[:3], func(t *testing.T, bd *BootDisk) {
			complete(t, bd)
			if bd.Partitions[1].StartLBA != 0 || bd.Partitions[0].StartLBA != 2048 {
				t.Errorf("partitions %+v", bd.Partitions)
			}
		}},
		// udev's record of the disk: the table falls back to sysfs.
		{"udev", "root", "run/udev/data/b259:0", "udev", hostile.Kinds, func(t *testing.T, bd *BootDisk) {
			if bd.Disk != "nvme0n1" || bd.Source != SourceSysfs || len(bd.Partitions) != 2 || bd.Size != 2000409264*512 {
				t.Errorf("%+v", bd)
			}
		}},
		// The disk's node, where a block device belongs: udev answers.
		{"node", "dev", "nvme0n1", "device", hostile.Kinds[:3], func(t *testing.T, bd *BootDisk) {
			complete(t, bd)
			if bd.Source != SourceUdev {
				t.Errorf("source %q", bd.Source)
			}
		}},
	} {
		for _, kind := range tt.kinds {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				ft := hostileTree(t)
				root := map[string]string{"proc": ft.proc, "sys": ft.sys, "dev": ft.dev, "root": ft.root}[tt.root]
				if tt.name == "node" {
					os.WriteFile(filepath.Join(ft.dev, tt.file), nil, 0o644)
				}
				hostile.Make(t, root, tt.file, kind)
				fsys, err := NewFS(Paths{ProcFS: ft.proc, SysFS: ft.sys, DevFS: ft.dev, RootFS: ft.root})
				if err != nil {
					t.Fatal(err)
				}
				var bd *BootDisk
				n := hostile.Allocated(func() { bd, err = fsys.Discover() })
				if n > maxHostileAlloc {
					t.Errorf("Discover allocated %d bytes", n)
				}
				name := filepath.Join(root, tt.file)
				if tt.step == "" {
					hostile.CheckErr(t, err, kind, name)
				} else {
					if err != nil {
						t.Fatal(err)
					}
					msg := bd.Errors[tt.step]
					switch {
					case kind == hostile.DirOut && tt.step == "sysfs_attributes":
						// The disk's directory, with its partitions', is
						// gone from the sysfs root: the mounts are on no
						// disk it knows.
						if bd.Disk != "" || len(bd.Partitions) != 0 || len(bd.Mounts) != 2 || !strings.Contains(bd.Mounts[0].Reason, "not in sysfs") {
							t.Errorf("read the disk outside the root: %+v", bd)
						}
						return
					case kind == hostile.DirOut && tt.step == "udev":
						// No udev database is no error: sysfs answers, and
						// the outside records are not read.
						if msg != "" {
							t.Errorf("errors %v", bd.Errors)
						}
					case tt.step == "device" && !strings.Contains(msg, "is not a block device"):
						t.Errorf("errors %v, want the node refused", bd.Errors)
					case tt.step != "device" && !strings.Contains(msg, name):
						t.Errorf("errors %v do not name %s", bd.Errors, name)
					}
					for step, e := range bd.Errors {
						if step != tt.step && step != "device" {
							t.Errorf("another step failed: %s: %s", step, e)
						}
					}
				}
				tt.found(t, bd)
			})
		}
	}
}
