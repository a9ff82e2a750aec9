package bootdisk

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestLiveFindRoot attaches a GPT and an MBR image to loop devices and
// looks for their partitions by PARTUUID and PARTLABEL in this machine's
// real /sys and /dev, with sfdisk's own listing of the tables as the
// oracle. Without udev here, the partition tables are the source.
func TestLiveFindRoot(t *testing.T) {
	img, dev := liveSetup(t, `label: gpt
start=2048, size=8MiB, type=U, name="EFI System Partition"
size=8MiB, type=L, name="debian-root"
`, 32<<20)
	var dump struct {
		PartitionTable struct {
			Partitions []struct {
				UUID string `json:"uuid"`
				Name string `json:"name"`
			} `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(testutil.Run(t, "", "sfdisk", "-J", img), &dump); err != nil {
		t.Fatal(err)
	}
	parts := dump.PartitionTable.Partitions
	if len(parts) != 2 {
		t.Fatalf("sfdisk -J: %+v", dump)
	}
	fs, err := NewFS(realPaths(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	disk := filepath.Base(dev)
	for spec, want := range map[string]string{
		"PARTUUID=" + parts[1].UUID:                  disk + " partition 2",
		"PARTUUID=" + strings.ToLower(parts[0].UUID): disk + " partition 1",
		"PARTLABEL=" + parts[1].Name:                 disk + " partition 2",
		"/dev/" + disk + "p2":                        disk + "p2",
	} {
		m := fs.FindRoot(spec)
		// /dev/disk links or udev's database, where this machine runs
		// udev, name the device their own way.
		if !m.Found || (m.Source == "partition table" || m.Source == "/dev") && m.Device != want {
			t.Errorf("%s: %+v, want %s", spec, m, want)
		}
	}
	for _, spec := range []string{"PARTUUID=00000000-0000-4000-8000-000000000000", "PARTLABEL=debian-root2", "/dev/" + disk + "p9"} {
		if m := fs.FindRoot(spec); m.Found {
			t.Errorf("%s: %+v, want not found", spec, m)
		}
	}

	_, mbr := liveSetup(t, "label: dos\nlabel-id: 0x5eed1e55\nstart=2048, size=8MiB, type=83\n", 16<<20)
	want := filepath.Base(mbr) + " partition 1"
	if m := fs.FindRoot("PARTUUID=5EED1E55-01"); !m.Found || m.Source == "partition table" && m.Device != want {
		t.Errorf("MBR PARTUUID: %+v, want %s", m, want)
	}
}

// TestLiveFindRootFileSystem formats the partitions of a GPT image on a
// loop device with ext4, btrfs, FAT and swap and looks for them by
// root=UUID= and LABEL= in this machine's real /sys and /dev, with blkid
// on each partition as the oracle. Without udev here, the superblocks are
// the source; where udev runs, its links or records may answer first.
func TestLiveFindRootFileSystem(t *testing.T) {
	for name, pkg := range fsTools {
		if name != "mkfs.xfs" {
			testutil.Tool(t, name, pkg)
		}
	}
	_, dev := liveSetup(t, `label: gpt
start=2048, size=32MiB, type=L, name="root"
size=120MiB, type=L, name="home"
size=16MiB, type=U, name="esp"
size=8MiB, type=S, name="swap"
`, 200<<20)
	testutil.Run(t, "", "mkfs.ext4", "-q", "-L", "lab-root", dev+"p1")
	testutil.Run(t, "", "mkfs.btrfs", "-q", "-f", "-L", "lab home", dev+"p2")
	testutil.Run(t, "", "mkfs.vfat", "-n", "LABESP", dev+"p3")
	testutil.Run(t, "", "mkswap", "-q", "-L", "lab-swap", dev+"p4")
	fs, err := NewFS(realPaths(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	disk := filepath.Base(dev)
	checked := 0
	for i := 1; i <= 4; i++ {
		part := fmt.Sprintf("%sp%d", dev, i)
		want, _ := blkidFS(t, part)
		if want.UUID == "" || want.Label == "" {
			t.Fatalf("blkid %s: %+v", part, want)
		}
		for _, spec := range []string{"UUID=" + want.UUID, "UUID=" + strings.ToUpper(want.UUID), "LABEL=" + want.Label} {
			m := fs.FindRoot(spec)
			if !m.Found || m.Source == "superblock" && m.Device != filepath.Base(part) {
				t.Errorf("%s: %+v, want %s", spec, m, filepath.Base(part))
			}
			if m.Source == "superblock" {
				checked++
			}
		}
	}
	for _, spec := range []string{"UUID=00000000-0000-4000-8000-000000000000", "LABEL=lab-root2", "LABEL=LAB-ROOT", "UUID=0000-0000"} {
		m := fs.FindRoot(spec)
		if m.Found {
			t.Errorf("%s: %+v, want not found", spec, m)
			continue
		}
		// Run as root, every device here can be read: the search is
		// complete, and not finding the file system means it is not
		// there.
		if m.Skipped != "" || len(m.Looked) == 0 || !strings.Contains(m.Looked[len(m.Looked)-1], "superblocks of") {
			t.Errorf("%s: %+v, want looked for in every superblock", spec, m)
		}
	}
	t.Logf("%d of 12 found by their superblocks on %s (the rest by udev)", checked, disk)
}

// TestLiveFindRootMounted looks for a mounted file system whose device
// node cannot be opened: the dev root is an empty directory, as in a
// container given the host's /sys but not its /dev. The mounted file
// system answers for its device; an unmounted one cannot be checked.
func TestLiveFindRootMounted(t *testing.T) {
	_, dev := liveSetup(t, "label: dos\nstart=2048, size=16MiB, type=83\nsize=8MiB, type=83\n", 32<<20)
	testutil.Run(t, "", "mkfs.ext4", "-q", "-L", "mounted-root", dev+"p1")
	testutil.Run(t, "", "mkfs.ext4", "-q", "-L", "unmounted", dev+"p2")
	mountDev(t, dev+"p1", filepath.Join(t.TempDir(), "mnt"), "ext4")
	want, _ := blkidFS(t, dev+"p1")
	p := realPaths(t.TempDir())
	p.DevFS = t.TempDir()
	fs, err := NewFS(p)
	if err != nil {
		t.Fatal(err)
	}
	part := filepath.Base(dev) + "p1"
	for _, spec := range []string{"UUID=" + want.UUID, "LABEL=mounted-root"} {
		if m := fs.FindRoot(spec); !m.Found || m.Source != "mount" || m.Device != part {
			t.Errorf("%s: %+v, want found by its mount as %s", spec, m, part)
		}
	}
	m := fs.FindRoot("LABEL=unmounted")
	if m.Found || !strings.Contains(m.Skipped, filepath.Base(dev)+"p2") {
		t.Errorf("an unmounted file system with no node: %+v, want not checked, naming %sp2", m, filepath.Base(dev))
	}
	t.Logf("%s", m.Skipped)
}
