package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// labRuntime is the lab manager's XDG_RUNTIME_DIR, inside the lab's own
// tmpfs on /run/systemd. Not below /tmp (the unit's PrivateTmp= hides
// that) nor /run/user (ProtectHome= hides that): the service must reach
// the manager's notification socket, $XDG_RUNTIME_DIR/systemd/notify, from
// inside the unit's sandbox, as a system service reaches
// /run/systemd/notify.
const labRuntime = "/run/systemd/lab"

// labScript runs inside a private mount namespace (unshare -m) and starts a
// real systemd manager (a user manager of root: PID 1 here is not
// systemd) that applies the unit's whole sandbox to what it starts. In the
// namespace only: a tmpfs on /run/systemd holds what systemd PID 1 would
// have created (/run/systemd/system, the inaccessible nodes that
// ProtectHome= and ProtectKernelTunables= mount over paths) and the
// manager's runtime directory (labRuntime); /run is bind-mounted onto
// itself first because on these machines it is not a mount point, and the
// API file systems that ProtectKernelTunables= and friends imply would
// otherwise put an empty tmpfs over it (a host booted with systemd always
// has /run mounted). A tmpfs on /usr/local/bin holds the binary where the
// unit expects it plus two owner-only files, and a tmpfs on /var/lib
// holds the state directory. Once the manager answers on its bus it
// touches $LAB/up and runs $LAB_TAIL, then waits until $LAB/stop appears;
// it ends the manager and the bus daemon it started, by process id,
// however it exits. /run/systemd/private, where the agent looks for the
// system manager, is left to the tail (see linkPrivate).
const labScript = `
cleanup() {
	for f in "$LAB/manager.pid" "$LAB/dbus.pid"; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
}
trap cleanup EXIT
mount --bind /run /run
mount -t tmpfs tmpfs /run/systemd
mkdir -p /run/systemd/system /run/systemd/inaccessible
mkdir -m 0700 "$XDG_RUNTIME_DIR"
cd /run/systemd/inaccessible
touch reg && mkdir dir && mknod chr c 0 0 && mknod blk b 0 0 && mkfifo fifo
chmod 0000 reg dir chr blk fifo
cd /
mount -t tmpfs tmpfs /usr/local/bin
cp "$LAB/bootinfo" /usr/local/bin/bootinfo
echo root > /usr/local/bin/root-0400 && chmod 0400 /usr/local/bin/root-0400
echo nobody > /usr/local/bin/nobody-0400 && chmod 0400 /usr/local/bin/nobody-0400 && chown 65534 /usr/local/bin/nobody-0400
mount -t tmpfs tmpfs /var/lib
mkdir -p /var/lib/bootinfo
dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --fork --print-pid > "$LAB/dbus.pid"
"$SYSTEMD" --user > "$LAB/manager.log" 2>&1 &
echo $! > "$LAB/manager.pid"
while [ ! -S "$XDG_RUNTIME_DIR/systemd/private" ] && [ ! -e "$LAB/stop" ]; do sleep 0.1; done
# systemctl --wait talks to the manager over the bus, where the manager
# takes its name a moment after it opens its private socket.
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus.NameHasOwner string:org.freedesktop.systemd1 | grep -q 'boolean true' || [ -e "$LAB/stop" ]; do
	sleep 0.1
done
touch "$LAB/up"
eval "$LAB_TAIL"
while [ ! -e "$LAB/stop" ]; do sleep 0.1; done
`

// linkPrivate makes the lab manager's private socket answer at
// /run/systemd/private, where the agent (root) looks for the system
// manager's. A symbolic link, not a bind mount: the link is a file in the
// lab's tmpfs, so a service already running in a mount namespace of its
// own sees it appear; a later mount would not propagate there.
const linkPrivate = `ln -s "$XDG_RUNTIME_DIR/systemd/private" /run/systemd/private`

// unitLab is labScript running, with the unit files it was given.
type unitLab struct {
	t      *testing.T
	dir    string
	script *testutil.Process
}

// labEnv is the environment of the lab's manager and of systemctl in it.
var labEnv = []string{"XDG_RUNTIME_DIR=" + labRuntime, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + labRuntime + "/bus", "SYSTEMD_PAGER=", "LANG=C"}

// startUnitLab writes files (paths below the manager's unit directory, as
// "bootinfo.service" or "bootinfo.service.d/test.conf"), starts labScript
// with tail and returns once the manager answers. It skips unless the host
// can run a lab.
func startUnitLab(t *testing.T, files map[string][]byte, tail string) *unitLab {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a systemd manager")
	}
	if os.Geteuid() != 0 {
		t.Skip("the lab's mount namespace needs root")
	}
	for tool, pkg := range map[string]string{"unshare": "util-linux", "nsenter": "util-linux", "dbus-daemon": "dbus", "dbus-send": "dbus",
		"systemctl": "systemd", "dd": "coreutils", "mknod": "coreutils"} {
		testutil.Tool(t, tool, pkg)
	}
	systemd := "/lib/systemd/systemd"
	if _, err := os.Stat(systemd); err != nil {
		testutil.SkipOrFail(t, "%v (Debian package systemd)", err)
	}

	l := &unitLab{t: t, dir: t.TempDir()}
	userDir := filepath.Join(l.dir, "config/systemd/user")
	for name, b := range files {
		p := filepath.Join(userDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, b)
	}
	testutil.CopyFile(t, agent.Binary(t), filepath.Join(l.dir, "bootinfo"), 0o755)

	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-eu", "-c", labScript)
	cmd.Env = append(append(os.Environ(), labEnv...), "LAB="+l.dir, "SYSTEMD="+systemd,
		"XDG_CONFIG_HOME="+filepath.Join(l.dir, "config"), "LAB_TAIL="+tail)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	l.script = testutil.StartProcess(t, "systemd lab", cmd)
	t.Cleanup(func() {
		// Stopped by their manager, the services end with it; a manager
		// that is killed leaves them running.
		if l.script.Alive() == nil {
			for name := range files {
				if strings.HasSuffix(name, ".service") {
					_, _ = l.systemctl("stop", name)
				}
			}
		}
		l.stop()
		if l.script.Alive() == nil {
			// The script is stuck: end what it started, by process id.
			for _, f := range []string{"manager.pid", "dbus.pid"} {
				if b, err := os.ReadFile(filepath.Join(l.dir, f)); err == nil {
					var pid int
					if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 1 {
						_ = syscall.Kill(pid, syscall.SIGTERM)
					}
				}
			}
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	testutil.WaitFor(t, "the lab's manager", func() error {
		_, err := os.Stat(filepath.Join(l.dir, "up"))
		return err
	}, l.script)
	return l
}

// stop tells the script to end.
func (l *unitLab) stop() { writeFile(l.t, filepath.Join(l.dir, "stop"), nil) }

// logs returns the script's and the manager's output.
func (l *unitLab) logs() string {
	m, _ := os.ReadFile(filepath.Join(l.dir, "manager.log"))
	return fmt.Sprintf("lab script:\n%s\nmanager:\n%s", l.script.Output, m)
}

// inside runs a command in the lab's mount namespace, with its manager's
// environment.
func (l *unitLab) inside(args ...string) (string, error) {
	nsargs := append([]string{"-t", fmt.Sprint(l.script.PID()), "-m", "--", "env"}, labEnv...)
	out, err := exec.Command("nsenter", append(nsargs, args...)...).CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), err
}

// systemctl runs systemctl --user against the lab's manager.
func (l *unitLab) systemctl(args ...string) (string, error) {
	return l.inside(append([]string{"systemctl", "--user"}, args...)...)
}

// show returns the unit's properties, as systemctl show prints them.
func (l *unitLab) show(unit string, props ...string) map[string]string {
	l.t.Helper()
	out, err := l.systemctl("show", "-p", strings.Join(props, ","), unit)
	if err != nil {
		l.t.Fatalf("%v\n%s", err, l.logs())
	}
	m := map[string]string{}
	for line := range strings.Lines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			m[k] = v
		}
	}
	return m
}
