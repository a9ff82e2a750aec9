package fault

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// nextBootRoot is what the privilege test reads of the verdict's root
// check.
type nextBootRoot struct {
	NextBoot struct {
		Checked struct {
			Root struct {
				Found   bool   `json:"found"`
				Device  string `json:"device"`
				Source  string `json:"source"`
				Skipped string `json:"skipped"`
			} `json:"root"`
			Notes []string `json:"notes"`
		} `json:"checked"`
	} `json:"next_boot"`
}

// realBlockDevices binds this machine's block devices into the test's
// sysfs (its devices tree and class/block, whose links point into it),
// and attaches a loop device holding an ext4 file system with the UUID
// fsuuid, so that the root= check has real devices to read, one of them
// the root, none of them readable by nobody (the node is root's and group
// disk's, mode 0660). It returns the loop device's name.
func realBlockDevices(t *testing.T, sys, fsuuid string) string {
	t.Helper()
	testutil.Tool(t, "mkfs.ext4", "e2fsprogs")
	testutil.Tool(t, "losetup", "mount")
	for _, d := range []string{"devices", "class/block"} {
		dst := filepath.Join(sys, d)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount(filepath.Join("/sys", d), dst, "", unix.MS_BIND, ""); err != nil {
			testutil.SkipOrFail(t, "bind-mounting /sys/%s: %v", d, err)
		}
		t.Cleanup(func() {
			if err := unix.Unmount(dst, unix.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", dst, err)
			}
		})
	}
	img := filepath.Join(t.TempDir(), "root.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "", "mkfs.ext4", "-q", "-U", fsuuid, img)
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		testutil.SkipOrFail(t, "losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	return filepath.Base(dev)
}
