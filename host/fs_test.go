package host

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// treeFS lays out files (relative path to content) below a new root and
// returns an FS reading its proc and its /etc.
func treeFS(t *testing.T, files map[string]string) FS {
	t.Helper()
	root := t.TempDir()
	testutil.WriteTree(t, root, files)
	f, err := NewFS(filepath.Join(root, "proc"), root)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBootFromFixtureRoot(t *testing.T) {
	f := treeFS(t, map[string]string{
		"proc/sys/kernel/hostname":       "node-17\n",
		"proc/sys/kernel/random/boot_id": "2f6a1b3c-1111-4222-8333-444455556666\n",
		"proc/sys/kernel/osrelease":      "6.1.0-13-amd64\n",
		"proc/sys/kernel/version":        "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)\n",
		"proc/sys/kernel/arch":           "x86_64\n",
		"proc/cmdline":                   "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n",
		"proc/stat":                      "cpu  1 2 3 4 5 6 7 8 9 10\nbtime 1700000000\n",
		"proc/uptime":                    "12345.67 200.00\n",
		"etc/machine-id":                 "0123456789abcdef0123456789abcdef\n",
		"usr/lib/os-release":             "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"proc/1/comm":                    "systemd\n",
	})
	got, errs := f.Boot()
	if errs != nil {
		t.Fatalf("Boot: %v", errs)
	}
	want := &Boot{
		Hostname:      "node-17",
		BootID:        "2f6a1b3c-1111-4222-8333-444455556666",
		BootTime:      time.Unix(1700000000, 0).UTC(),
		KernelRelease: "6.1.0-13-amd64",
		KernelVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)",
		Architecture:  "x86_64",
		MachineID:     "0123456789abcdef0123456789abcdef",
		OS:            OSRelease{ID: "debian", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		CmdlineRaw:    "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet",
		Cmdline:       ParseCmdline("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet"),
		Init:          Init{Name: "systemd"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(OSRelease{}, "All")); diff != "" {
		t.Errorf("Boot mismatch (-want +got):\n%s", diff)
	}
	up, err := f.Uptime()
	if err != nil || up != 12345670*time.Millisecond {
		t.Errorf("Uptime = %v, %v", up, err)
	}
}

func TestBootMissingFilesAreFieldErrors(t *testing.T) {
	got, errs := treeFS(t, map[string]string{
		"proc/sys/kernel/hostname": "h\n",
		"proc/cmdline":             "quiet\n",
	}).Boot()
	if got.Hostname != "h" || got.CmdlineRaw != "quiet" {
		t.Errorf("readable facts lost: %+v", got)
	}
	for _, k := range []string{"boot_id", "boot_time", "machine_id", "os", "kernel_release"} {
		if !errors.Is(errs[k], fs.ErrNotExist) {
			t.Errorf("errs[%s] = %v, want a not-exist error", k, errs[k])
		}
	}
	if _, ok := errs["hostname"]; ok {
		t.Errorf("hostname reported as an error: %v", errs["hostname"])
	}
}

// TestBootLiveHost reads this machine's own /proc and / and checks the facts
// against independent sources: uname(2), os.Hostname and /proc/stat itself.
func TestBootLiveHost(t *testing.T) {
	f, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	b, errs := f.Boot()
	for k, e := range errs {
		// Containers often have no machine-id; reading PID 1's
		// executable needs CAP_SYS_PTRACE over it (TestInitLive).
		if k != "machine_id" && k != "init_path" {
			t.Errorf("%s: %v", k, e)
		}
	}
	if hn, _ := os.Hostname(); hn != b.Hostname {
		t.Errorf("hostname = %q, os.Hostname = %q", b.Hostname, hn)
	}
	m, err := unameMachine()
	if err != nil || m != b.Architecture {
		t.Errorf("architecture = %q, uname = %q (%v)", b.Architecture, m, err)
	}
	if b.BootTime.After(time.Now()) || b.BootTime.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("boot time %v is implausible", b.BootTime)
	}
	if len(b.BootID) != 36 {
		t.Errorf("boot id %q is not a UUID", b.BootID)
	}
}

func TestParseUptime(t *testing.T) {
	for _, bad := range []string{"", "x 1", "-1 2", "1e300 0"} {
		if _, err := ParseUptime([]byte(bad)); err == nil {
			t.Errorf("ParseUptime(%q) accepted", bad)
		}
	}
}

// TestBootTimeFromUptime: a /proc/stat without a btime line gives the boot
// time /proc/uptime implies; without uptime either, an error naming stat.
func TestBootTimeFromUptime(t *testing.T) {
	f := treeFS(t, map[string]string{"proc/stat": "cpu  1 2 3\n", "proc/uptime": "3600.40 10.00\n"})
	before := time.Now()
	bt, err := f.BootTime()
	after := time.Now()
	if err != nil || bt.Before(before.Add(-3601*time.Second)) || bt.After(after.Add(-3599*time.Second)) {
		t.Errorf("BootTime = %v, %v; want about an hour before %v", bt, err, before)
	}
	f = treeFS(t, map[string]string{"proc/stat": "btime x\n"})
	if _, err := f.BootTime(); err == nil || !strings.Contains(err.Error(), "proc/stat: bad btime") {
		t.Errorf("BootTime without uptime: %v", err)
	}
}
