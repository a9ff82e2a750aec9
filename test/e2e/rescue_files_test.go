package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"golang.org/x/sys/unix"
)

// rescueRoot is a small Debian system as its packages and an administrator
// leave it: vendor units, an enabled service (.wants link), a mask, an
// alias, an enabled template instance, a drop-in, the default target, and
// a SysV init script with its rc links.
var rescueRoot = map[string]string{
	"usr/lib/systemd/system/multi-user.target":        "[Unit]\nDescription=Multi-User System\n",
	"usr/lib/systemd/system/graphical.target":         "[Unit]\nDescription=Graphical Interface\n",
	"usr/lib/systemd/system/ssh.service":              "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n",
	"usr/lib/systemd/system/cron.service":             "[Service]\nExecStart=/usr/sbin/cron -f\n[Install]\nWantedBy=multi-user.target\n",
	"usr/lib/systemd/system/getty@.service":           "[Service]\nExecStart=/sbin/agetty %I\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=tty1\n",
	"usr/lib/systemd/system/debug-shell.service":      "[Service]\nExecStart=/bin/sh\n[Install]\nWantedBy=multi-user.target\n",
	"usr/lib/systemd/system/systemd-journald.service": "[Service]\nExecStart=/lib/systemd/systemd-journald\n",
	"usr/lib/systemd/system-preset/90-systemd.preset": "enable getty@.service\ndisable debug-shell.service\n",
	"etc/systemd/system/cron.service.d/override.conf": "[Service]\nNice=5\n",
	"etc/init.d/legacyd":                              "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: legacyd\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n# Short-Description: Legacy daemon\n### END INIT INFO\n",
}

var rescueLinks = map[string]string{
	"etc/systemd/system/multi-user.target.wants/ssh.service":        "/usr/lib/systemd/system/ssh.service",
	"etc/systemd/system/sshd.service":                               "/usr/lib/systemd/system/ssh.service",
	"etc/systemd/system/multi-user.target.wants/getty@tty1.service": "/usr/lib/systemd/system/getty@.service",
	"etc/systemd/system/cron.service":                               "/dev/null",
	"etc/systemd/system/default.target":                             "/usr/lib/systemd/system/multi-user.target",
	"etc/rc2.d/S01legacyd":                                          "../init.d/legacyd",
	"etc/rc0.d/K01legacyd":                                          "../init.d/legacyd",
}

// TestRescueMountFilesView stands a disk image in for a broken VM's disk
// mounted on a rescue instance: an ext4 image holding a root is
// loop-mounted read-only, and `bootinfo show systemd --path.rootfs=MNT`
// must say what starts at boot on it, from its files, exactly as
// `systemctl --root=MNT list-unit-files` and `get-default` do.
func TestRescueMountFilesView(t *testing.T) {
	systemctl := testutil.Tool(t, "systemctl", "systemd")
	testutil.Tool(t, "mkfs.ext4", "e2fsprogs")
	src := t.TempDir()
	testutil.WriteTree(t, src, rescueRoot)
	for link, target := range rescueLinks {
		p := filepath.Join(src, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	image := filepath.Join(t.TempDir(), "disk.img")
	// mkfs.ext4 -d copies the tree into the new file system: no mount
	// is needed to fill it.
	testutil.Run(t, "", "mkfs.ext4", "-q", "-F", "-d", src, image, "16M")
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-o", "loop,ro", image, mnt).CombinedOutput(); err != nil {
		testutil.SkipOrFail(t, "loop mount (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })

	cmd := exec.Command(agent.Binary(t), "show", "systemd", "--format", "json", "--path.rootfs="+mnt)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bootinfo show systemd: %v", err)
	}
	var sec struct {
		Source      string `json:"source"`
		FilesReason string `json:"files_reason"`
		UnitFiles   []struct {
			Name, State, Preset string
		} `json:"unit_files"`
		DefaultTarget string              `json:"default_target"`
		DropIns       map[string][]string `json:"drop_ins"`
		SysV          []struct {
			Name  string
			Links []struct{ Runlevel, Kind string }
		} `json:"sysv"`
	}
	if err := json.Unmarshal(out, &sec); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sec.Source != "files" || !strings.Contains(sec.FilesReason, "did not boot with systemd") {
		t.Errorf("source %q (%s)", sec.Source, sec.FilesReason)
	}

	list, err := exec.Command(systemctl, "--root="+mnt, "list-unit-files", "--no-pager", "--no-legend").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		f := strings.Fields(line)
		want[f[0]] = f[1] + " " + f[2]
	}
	got := map[string]string{}
	for _, f := range sec.UnitFiles {
		p := f.Preset
		if p == "" {
			p = "-"
		}
		got[f.Name] = f.State + " " + p
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s: bootinfo %q, systemctl --root %q", n, got[n], w)
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("%s: listed by bootinfo, not by systemctl --root", n)
		}
	}
	def, err := exec.Command(systemctl, "--root="+mnt, "get-default").Output()
	if err != nil {
		t.Fatal(err)
	}
	if sec.DefaultTarget != strings.TrimSpace(string(def)) {
		t.Errorf("default target %q, systemctl %q", sec.DefaultTarget, def)
	}
	if d := sec.DropIns["cron.service"]; len(d) != 1 || d[0] != "/etc/systemd/system/cron.service.d/override.conf" {
		t.Errorf("drop-ins %v", sec.DropIns)
	}
	if len(sec.SysV) != 1 || sec.SysV[0].Name != "legacyd" || len(sec.SysV[0].Links) != 2 {
		t.Errorf("sysv %+v", sec.SysV)
	}
	states := map[string]bool{}
	for _, w := range want {
		states[strings.Fields(w)[0]] = true
	}
	for _, st := range []string{"enabled", "disabled", "static", "masked", "alias"} {
		if !states[st] {
			t.Errorf("the image has no unit file in state %s: the comparison proves less than it claims (%v)", st, want)
		}
	}
	t.Logf("%d unit files agree with systemctl --root on the loop-mounted image: %v", len(want), want)
}
