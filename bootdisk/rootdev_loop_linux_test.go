package bootdisk

import (
	"encoding/json"
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
