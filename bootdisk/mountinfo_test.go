package bootdisk

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/procfs"
)

func TestParseMountInfo(t *testing.T) {
	in := "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n" +
		"37 36 0:42 / /mnt/with\\040space rw shared:2 master:3 - tmpfs tmp\\040fs rw\n" +
		"garbage\n" +
		"38 36 0:43 / /no/separator rw ext4 /dev/x rw\n" +
		"\n" +
		"39 36 8:1 / /boot rw - vfat /dev/sda1 rw\n"
	got, err := ParseMountInfo([]byte(in))
	want := []*MountInfo{
		{Device: "98:0", MountPoint: "/mnt/parent", FSType: "ext3", Source: "/dev/root"},
		{Device: "0:42", MountPoint: "/mnt/with space", FSType: "tmpfs", Source: "tmp fs"},
		{Device: "8:1", MountPoint: "/boot", FSType: "vfat", Source: "/dev/sda1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrMalformedMountInfo) || err.Error() != "2 malformed mountinfo lines (first: line 3): malformed mountinfo" {
		t.Errorf("error %v", err)
	}
	if _, err := ParseMountInfo(nil); !errors.Is(err, ErrMalformedMountInfo) {
		t.Errorf("empty: %v", err)
	}
}

// TestParseMountInfoThisMachine parses this machine's mount table and
// compares it with prometheus/procfs's reading of the same file, which
// discovery used before. (procfs opens it with a plain open, which blocks
// on a FIFO, so discovery reads it through hostfile.)
func TestParseMountInfoThisMachine(t *testing.T) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no mount table: %v", err)
	}
	got, err := ParseMountInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := procfs.GetMounts() // the same file, read again
	if err != nil {
		t.Skipf("procfs: %v", err)
	}
	if len(ref) != len(got) {
		t.Fatalf("%d mounts, procfs %d", len(got), len(ref))
	}
	for i, r := range ref {
		w := &MountInfo{Device: r.MajorMinorVer, MountPoint: unescapeMountPath(r.MountPoint), FSType: r.FSType, Source: unescapeMountPath(r.Source)}
		if diff := cmp.Diff(w, got[i]); diff != "" {
			t.Errorf("mount %d (-procfs +ours):\n%s", i, diff)
		}
	}
}

// FuzzParseMountInfo: never panic; every mount comes from one line of the
// input, so no field is longer than it, and a line without a separator is
// never a mount.
func FuzzParseMountInfo(f *testing.F) {
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw\n"))
	f.Add([]byte("1 0 8:1 / /a\\040b rw - vfat /dev/sda1 rw\n1 0 x / / rw ext4 - - -\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, _ := ParseMountInfo(b)
		for _, m := range ms {
			if len(m.Device)+len(m.MountPoint)+len(m.FSType)+len(m.Source) > len(b) {
				t.Fatalf("mount %+v longer than the input", m)
			}
		}
	})
}
