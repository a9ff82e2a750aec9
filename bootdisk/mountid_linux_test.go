//go:build linux && (amd64 || arm64 || 386 || arm || riscv64 || s390x || loong64)

package bootdisk

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMountedIdentityChecksTheDevice: a mount point is asked for its file
// system's identity only when the directory opened there is on the device
// mountinfo named, so a mount stacked on the same directory never answers
// for the device below it.
func TestMountedIdentityChecksTheDevice(t *testing.T) {
	dir := t.TempDir()
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	here := fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	other := fmt.Sprintf("%d:%d", unix.Major(st.Dev)+1, unix.Minor(st.Dev))
	if _, _, _, _, err := mountedIdentity(dir, other); err == nil || !strings.Contains(err.Error(), "another mount covers it") {
		t.Errorf("asked %s as device %s (it is %s): %v", dir, other, here, err)
	}
	if _, _, _, _, err := mountedIdentity(dir, here); err != nil {
		t.Errorf("asked %s as its own device %s: %v", dir, here, err)
	}
}
