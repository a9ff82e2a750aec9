// Package systemdlab runs a real systemd user manager, with its own session
// bus, for integration tests of code that talks to systemd over D-Bus.
//
// PID 1 on the test machines is not systemd, so the lab cannot test against
// the system manager. A user manager (systemd --user) serves the same
// org.freedesktop.systemd1 API, but refuses to start unless
// /run/systemd/system exists. The lab therefore starts the manager through
// unshare(1) in a private mount namespace with a tmpfs on /run/systemd; only
// the manager lives in that namespace. Its sockets live under a private
// XDG_RUNTIME_DIR in an ordinary temporary directory, so the test process
// reaches them directly. See docs/systemd-lab.md in the shared material
// beside the checkout (../shared).
package systemdlab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/prometheus/procfs"
)

// Binaries the lab needs.
const (
	systemdBinary = "/lib/systemd/systemd"
	dbusDaemon    = "/usr/bin/dbus-daemon"
	unshareBinary = "unshare"
)

// GeneratedPrefix starts the names of the units Options.Units generates.
const GeneratedPrefix = "lab-gen-"

// Options configure a Lab.
type Options struct {
	// Targets is the number of generated targets (lab-gen-0000.target,
	// ...), pulled in like the services. They run no process, so thousands
	// start far sooner than as many services would.
	Targets int
	// Units is the number of generated services (lab-gen-0000.service, ...):
	// oneshot services running /bin/true with RemainAfterExit=yes, wanted
	// by lab-gen-all.target (itself wanted by default.target), so each is
	// loaded and active after startup without leaving a process behind.
	Units int
	// Files are extra unit files, file name to content, written into the
	// manager's unit directory before it starts.
	Files map[string]string
	// Links are symlinks made in the unit directory before the manager
	// starts, path relative to it to target: "x.service": "/dev/null"
	// masks x.service, a link to another unit file makes an alias,
	// "default.target.wants/t@a.service": "../t@.service" enables an
	// instance.
	Links map[string]string
	// Wants names units among Files to enable into default.target (a
	// symlink in default.target.wants), so the manager starts them at boot.
	Wants []string
	// Starting makes Start (and RestartManager) return as soon as the
	// manager answers, while it may still be starting its units, instead
	// of once its SystemState is running or degraded.
	Starting bool
	// BusLimits sets dbus-daemon limits of the session bus (name to
	// value, as <limit name="..."> in dbus-daemon(1)), for instance the
	// system bus's max_replies_per_connection.
	BusLimits map[string]int
	// SystemBus runs the lab's bus as the system bus: with the system
	// bus's stock configuration (its policy denies method calls and owning
	// names unless a policy file allows them; its limits are the system
	// bus's, such as 128 replies awaited per connection) and systemd's
	// policy file for the manager's name, each as installed, with only
	// where the bus listens, its pid file and its includes moved to the
	// lab's directory. The manager (root) owns its name there as on a
	// host. The lab's directories are then open to every user (not
	// listable), so that a process of an unprivileged user, to which the
	// policy for others applies, can connect to the bus.
	SystemBus bool
	// CrashLoops is the number of crash-looping services (CrashLoopUnit(0),
	// ...): each runs /bin/false, which fails at once, and the manager
	// restarts it 100 ms later, for ever (Restart=always,
	// StartLimitIntervalSec=0). They are wanted by lab-crash-all.target
	// (itself wanted by default.target), so the storm runs from startup.
	CrashLoops int
}

// CrashLoopPrefix starts the names of the services Options.CrashLoops
// generates; they are not generated units in CountGenerated's sense.
const CrashLoopPrefix = "lab-crash-"

// CrashLoopUnit is the name of the i-th crash-looping service.
func CrashLoopUnit(i int) string { return fmt.Sprintf("%s%03d.service", CrashLoopPrefix, i) }

// crashLoopService is a crash-looping service's unit file.
const crashLoopService = `[Unit]
Description=Crash-looping lab service
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/bin/false
Restart=always
RestartSec=100ms
`

// Lab is a running systemd user manager and its session bus.
type Lab struct {
	t       testing.TB
	dir     string
	runDir  string
	cfgDir  string
	unitDir string
	env     []string

	starting bool // Options.Starting

	mu      sync.Mutex
	manager *exec.Cmd
	mgrDone chan struct{}
	orphans []int // processes left behind by killed managers
}

// Start starts a user manager (which socket-activates its session bus) with
// the units opts asks for, waits until the manager has finished starting up and registers a
// cleanup that kills every process the lab started. It skips the test (fails
// it under CI=true) when the host cannot run a lab.
func Start(t testing.TB, opts Options) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "systemdlab needs root to unshare a mount namespace")
	}
	if _, err := os.Stat(systemdBinary); err != nil {
		testutil.SkipOrFail(t, "systemdlab: no systemd binary: %v", err)
	}
	if _, err := os.Stat(dbusDaemon); err != nil {
		testutil.SkipOrFail(t, "systemdlab: no dbus-daemon for the manager to activate: %v", err)
	}
	for _, b := range []string{unshareBinary, "systemctl", "systemd-analyze"} {
		if _, err := exec.LookPath(b); err != nil {
			testutil.SkipOrFail(t, "systemdlab: %v", err)
		}
	}
	if _, err := os.Stat("/run/systemd"); err != nil {
		testutil.SkipOrFail(t, "systemdlab: no /run/systemd to mount a tmpfs on: %v", err)
	}

	// A short base path: unix socket paths are limited to 108 bytes, and
	// t.TempDir names grow with the test's name.
	dir, err := os.MkdirTemp("", "sdlab")
	if err != nil {
		t.Fatalf("systemdlab: %v", err)
	}
	l := &Lab{
		t:        t,
		starting: opts.Starting,
		dir:      dir,
		runDir:   filepath.Join(dir, "run"),
		cfgDir:   filepath.Join(dir, "config"),
		unitDir:  filepath.Join(dir, "config", "systemd", "user"),
	}
	t.Cleanup(l.cleanup)
	if err := os.Mkdir(l.runDir, 0o700); err != nil {
		t.Fatalf("systemdlab: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(l.unitDir, "default.target.wants"), 0o755); err != nil {
		t.Fatalf("systemdlab: %v", err)
	}
	l.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"XDG_RUNTIME_DIR=" + l.runDir,
		"XDG_CONFIG_HOME=" + l.cfgDir,
		"DBUS_SESSION_BUS_ADDRESS=" + l.BusAddress(),
		"SYSTEMD_PAGER=",
		"SYSTEMD_COLORS=0",
		"LANG=C",
	}
	if err := l.writeUnits(opts); err != nil {
		t.Fatalf("systemdlab: %v", err)
	}
	if err := l.startManager(); err != nil {
		if inotifyExhausted() {
			testutil.SkipOrFail(t, "systemdlab: the machine is out of inotify instances (leaked user managers?): %v", err)
		}
		t.Fatalf("systemdlab: %v", err)
	}
	return l
}

func (l *Lab) writeUnits(opts Options) error {
	// Generated units are static (no [Install]) and pulled in by one
	// umbrella target: with an enablement symlink each, ListUnitFiles would
	// slow down (the manager resolves every unit's install state against
	// every symlink), which is a lab artefact, not a host's reality.
	var wants strings.Builder
	gen := func(name, body string) error {
		wants.WriteString("Wants=" + name + "\n")
		return os.WriteFile(filepath.Join(l.unitDir, name), []byte(body), 0o644)
	}
	for i := 0; i < opts.Units; i++ {
		name := fmt.Sprintf("%s%04d.service", GeneratedPrefix, i)
		if err := gen(name, fmt.Sprintf("[Unit]\nDescription=Generated lab unit %d\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n", i)); err != nil {
			return err
		}
	}
	for i := 0; i < opts.Targets; i++ {
		name := fmt.Sprintf("%s%04d.target", GeneratedPrefix, i)
		if err := gen(name, fmt.Sprintf("[Unit]\nDescription=Generated lab target %d\n", i)); err != nil {
			return err
		}
	}
	if opts.Units+opts.Targets > 0 {
		umbrella := GeneratedPrefix + "all.target"
		if err := os.WriteFile(filepath.Join(l.unitDir, umbrella), []byte("[Unit]\nDescription=All generated lab units\n"+wants.String()), 0o644); err != nil {
			return err
		}
		if err := os.Symlink(filepath.Join(l.unitDir, umbrella), filepath.Join(l.unitDir, "default.target.wants", umbrella)); err != nil {
			return err
		}
	}
	if err := l.writeBus(opts); err != nil {
		return err
	}
	if err := l.writeCrashLoops(opts.CrashLoops); err != nil {
		return err
	}
	for name, body := range opts.Files {
		if err := l.WriteUnit(name, body); err != nil {
			return err
		}
	}
	for name, target := range opts.Links {
		if !filepath.IsLocal(name) {
			return fmt.Errorf("bad unit link name %q", name)
		}
		p := filepath.Join(l.unitDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, p); err != nil {
			return err
		}
	}
	for _, name := range opts.Wants {
		if err := os.Symlink(filepath.Join(l.unitDir, name), filepath.Join(l.unitDir, "default.target.wants", name)); err != nil {
			return err
		}
	}
	return nil
}

// writeBus gives the lab's bus a configuration of its own through a
// drop-in for dbus.service, when opts ask for one: the stock session or
// system one, with limits.
func (l *Lab) writeBus(opts Options) error {
	if len(opts.BusLimits) == 0 && !opts.SystemBus {
		return nil
	}
	base := "/usr/share/dbus-1/session.conf"
	// dbus-daemon tells the manager it is ready (Type=notify) only as the
	// session bus: as the system bus it first becomes its configured user
	// (messagebus), who may not write to the root manager's notify socket.
	typ := "notify"
	pidfile := " --nopidfile"
	if opts.SystemBus {
		var err error
		if base, err = writeSystemBusConfig(filepath.Join(l.dir, "system-bus")); err != nil {
			return err
		}
		typ, pidfile = "simple", ""
		for _, d := range []string{l.dir, l.runDir} {
			if err := os.Chmod(d, 0o711); err != nil {
				return err
			}
		}
	}
	var conf strings.Builder
	conf.WriteString(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">` + "\n<busconfig>\n  <include>" + base + "</include>\n")
	for name, v := range opts.BusLimits {
		fmt.Fprintf(&conf, "  <limit name=%q>%d</limit>\n", name, v)
	}
	conf.WriteString("</busconfig>\n")
	confPath := filepath.Join(l.dir, "bus.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		return err
	}
	dropIn := filepath.Join(l.unitDir, "dbus.service.d")
	if err := os.MkdirAll(dropIn, 0o755); err != nil {
		return err
	}
	// --address=systemd: takes the socket the manager listens on (the
	// session bus's place, BusAddress) instead of the configuration's.
	return os.WriteFile(filepath.Join(dropIn, "bus.conf"), []byte("[Service]\nType="+typ+"\nExecStart=\nExecStart="+dbusDaemon+
		" --config-file="+confPath+" --address=systemd: --nofork"+pidfile+" --systemd-activation --syslog-only\n"), 0o644)
}

// writeCrashLoops writes n crash-looping services and the target that
// pulls them in at startup.
func (l *Lab) writeCrashLoops(n int) error {
	if n <= 0 {
		return nil
	}
	var wants strings.Builder
	for i := range n {
		name := CrashLoopUnit(i)
		wants.WriteString("Wants=" + name + "\n")
		if err := l.WriteUnit(name, crashLoopService); err != nil {
			return err
		}
	}
	umbrella := CrashLoopPrefix + "all.target"
	if err := l.WriteUnit(umbrella, "[Unit]\nDescription=All crash-looping lab services\n"+wants.String()); err != nil {
		return err
	}
	return os.Symlink(filepath.Join(l.unitDir, umbrella), filepath.Join(l.unitDir, "default.target.wants", umbrella))
}

// WriteUnit writes (or replaces) a unit file in the manager's unit
// directory. The manager sees it after Systemctl("daemon-reload").
func (l *Lab) WriteUnit(name, body string) error {
	if strings.ContainsRune(name, '/') {
		return fmt.Errorf("systemdlab: bad unit file name %q", name)
	}
	return os.WriteFile(filepath.Join(l.unitDir, name), []byte(body), 0o644)
}

// managerScript runs inside the private mount namespace: it makes
// /run/systemd look like a host booted with systemd, then becomes the
// manager (exec keeps the PID, so the lab can signal it directly).
const managerScript = `set -e
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir -p /run/systemd/system
exec ` + systemdBinary + ` --user`

func (l *Lab) startManager() error {
	// A previous manager's private socket must not satisfy the wait below.
	_ = os.Remove(filepath.Join(l.runDir, "systemd", "private"))
	cmd := exec.Command(unshareBinary, "-m", "--propagation", "private", "sh", "-c", managerScript)
	cmd.Env = l.env
	cmd.Dir = l.dir
	// If the test binary dies before its cleanup runs (a signal, a closed
	// pipe), the manager must not outlive it. The death signal survives
	// unshare's and sh's execs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.OpenFile(filepath.Join(l.dir, "manager.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start manager: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	l.mu.Lock()
	l.manager, l.mgrDone = cmd, done
	l.mu.Unlock()

	testutil.WaitFor(l.t, "the manager to start", func() error {
		select {
		case <-done:
			return nil // said below
		default:
		}
		if _, err := os.Stat(filepath.Join(l.runDir, "systemd", "private")); err != nil {
			return err
		}
		out, err := l.Systemctl("show", "--property=SystemState", "--value")
		if state := strings.TrimSpace(out); err != nil || (state != "running" && state != "degraded" && !l.starting) {
			return fmt.Errorf("SystemState %q (%v)", state, err)
		}
		// systemctl talks to the private socket; clients of the bus need
		// the manager's name there too (connecting activates the bus).
		out, err = l.run("busctl", "--user", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
			"org.freedesktop.DBus", "NameHasOwner", "s", "org.freedesktop.systemd1")
		if err == nil && strings.TrimSpace(out) != "b true" {
			err = errors.New("org.freedesktop.systemd1 has no owner on the bus")
		}
		return err
	})
	select {
	case <-done:
		log, _ := os.ReadFile(filepath.Join(l.dir, "manager.log"))
		return fmt.Errorf("manager exited during startup (%s): %s", inotifyUsage(), log)
	default:
	}
	return nil
}

// Dir is the lab's temporary directory.
func (l *Lab) Dir() string { return l.dir }

// UnitDir is the directory the manager loads unit files from
// ($XDG_CONFIG_HOME/systemd/user).
func (l *Lab) UnitDir() string { return l.unitDir }

// RuntimeDir is the manager's XDG_RUNTIME_DIR.
func (l *Lab) RuntimeDir() string { return l.runDir }

// PrivateAddress is the D-Bus address of the manager's private
// peer-to-peer socket.
func (l *Lab) PrivateAddress() string {
	return "unix:path=" + filepath.Join(l.runDir, "systemd", "private")
}

// BusAddress is the D-Bus address of the session bus, on which the manager
// owns org.freedesktop.systemd1. As in a real user session, the manager's
// dbus.socket listens there and activates dbus-daemon on first use; a
// killed manager leaves that daemon running, and a restarted one binds a
// fresh socket in its place with a new daemon behind it.
func (l *Lab) BusAddress() string { return "unix:path=" + filepath.Join(l.runDir, "bus") }

// Env is the environment that points systemctl, busctl and D-Bus clients at
// the lab (XDG_RUNTIME_DIR, XDG_CONFIG_HOME, DBUS_SESSION_BUS_ADDRESS).
func (l *Lab) Env() []string { return append([]string(nil), l.env...) }

// Systemctl runs `systemctl --user args...` against the lab and returns its
// standard output. A non-zero exit is an error carrying standard error;
// the output is returned all the same (systemctl is-active exits 3, say).
func (l *Lab) Systemctl(args ...string) (string, error) {
	return l.run("systemctl", append([]string{"--user", "--no-pager"}, args...)...)
}

// SystemdAnalyze runs `systemd-analyze --user args...` against the lab.
func (l *Lab) SystemdAnalyze(args ...string) (string, error) {
	return l.run("systemd-analyze", append([]string{"--user", "--no-pager"}, args...)...)
}

func (l *Lab) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = l.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// ManagerPID is the PID of the running user manager (0 when none runs).
func (l *Lab) ManagerPID() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.manager == nil {
		return 0
	}
	return l.manager.Process.Pid
}

// PIDs returns the manager's PID followed by those of every process below
// it (its services, the bus it activated), and of processes left behind by
// managers KillManager killed.
func (l *Lab) PIDs() []int {
	var out []int
	if pid := l.ManagerPID(); pid != 0 {
		out = append(out, pid)
		out = append(out, descendants(pid)...)
	}
	return append(out, l.orphans...)
}

// KillManager kills the manager with SIGKILL, as a crash would, and waits
// for it to exit. The services it ran keep running (they are killed at
// cleanup).
func (l *Lab) KillManager() {
	l.t.Helper()
	l.mu.Lock()
	cmd, done := l.manager, l.mgrDone
	l.mu.Unlock()
	if cmd == nil {
		return
	}
	l.orphans = append(l.orphans, descendants(cmd.Process.Pid)...)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	l.mu.Lock()
	l.manager, l.mgrDone = nil, nil
	l.mu.Unlock()
}

// StopManager freezes the manager with SIGSTOP: its sockets stay open but
// nothing answers.
func (l *Lab) StopManager() { l.signalManager(syscall.SIGSTOP) }

// ContinueManager resumes a manager frozen by StopManager.
func (l *Lab) ContinueManager() { l.signalManager(syscall.SIGCONT) }

func (l *Lab) signalManager(sig syscall.Signal) {
	l.t.Helper()
	l.mu.Lock()
	cmd := l.manager
	l.mu.Unlock()
	if cmd == nil {
		l.t.Fatalf("systemdlab: no manager running to send %v", sig)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		l.t.Fatalf("systemdlab: %v", err)
	}
}

// RestartManager starts a new manager (killing the running one first, if
// any) and waits until it is up.
func (l *Lab) RestartManager() {
	l.t.Helper()
	l.KillManager()
	if err := l.startManager(); err != nil {
		l.t.Fatalf("systemdlab: restart: %v", err)
	}
}

func (l *Lab) cleanup() {
	l.mu.Lock()
	mgr, done := l.manager, l.mgrDone
	l.mu.Unlock()
	if mgr != nil {
		_ = mgr.Process.Signal(syscall.SIGCONT)
		l.orphans = append(l.orphans, descendants(mgr.Process.Pid)...)
		_ = mgr.Process.Signal(syscall.SIGKILL)
		<-done
	}
	for _, pid := range l.orphans {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// A killed process takes a moment to exit (longer when its mount
	// namespace goes with it); the lab is gone when they all have.
	testutil.WaitFor(l.t, "the lab's processes to exit", func() error {
		for _, pid := range l.orphans {
			if running(pid) {
				return fmt.Errorf("process %d runs", pid)
			}
		}
		return nil
	})
	if !l.t.Failed() || os.Getenv("SYSTEMDLAB_KEEP") == "" {
		_ = os.RemoveAll(l.dir)
	} else {
		l.t.Logf("systemdlab: kept %s", l.dir)
	}
}

// inotifyUsage describes how many inotify instances processes hold against
// the per-user limit. A user manager needs three; when leaked managers
// exhaust fs.inotify.max_user_instances, a new one dies at once ("Failed to
// create control group inotify object: Too many open files", logged to the
// console only).
func inotifyUsage() string {
	n, limit := inotifyCount()
	return fmt.Sprintf("%d inotify instances held on this machine, limit %d per user", n, limit)
}

func inotifyCount() (held, limit int) {
	b, _ := os.ReadFile("/proc/sys/fs/inotify/max_user_instances")
	limit, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if t, err := os.Readlink(fd); err == nil && t == "anon_inode:inotify" {
			held++
		}
	}
	return held, limit
}

// inotifyExhausted reports whether too few inotify instances are left for a
// manager (it needs three).
func inotifyExhausted() bool {
	held, limit := inotifyCount()
	return limit > 0 && held+3 > limit
}

// descendants returns the PIDs of every process below pid.
func descendants(pid int) []int {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, p := range procs {
		if st, err := p.Stat(); err == nil {
			children[st.PPID] = append(children[st.PPID], p.PID)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// running reports whether process pid exists and is not a zombie (which
// still answers kill(2) with signal 0).
func running(pid int) bool {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return false
	}
	st, err := p.Stat()
	return err == nil && st.State != "Z"
}

// InstancePrefix starts the names of the target instances Instances
// generates.
const InstancePrefix = GeneratedPrefix + "inst@"

// Instances returns the options of a lab of n generated units shaped like
// a host's: a fifth oneshot services (Options.Units), the rest instances of
// one template target (lab-gen-inst@NNNN.target), all started at startup.
// A host's thousands of units are mostly instances, devices and mounts
// rather than unit files. Thousands of unit files (Options.Targets) would
// make the manager's ListUnitFiles, which bootinfo's first sync calls,
// slow for a reason a host does not share: the manager resolves every unit
// file's install state, at a cost that grows faster than the number of
// files.
func Instances(n int) Options {
	services := n / 5
	var wants strings.Builder
	for i := range n - services {
		fmt.Fprintf(&wants, "Wants=%s%04d.target\n", InstancePrefix, i)
	}
	return Options{
		Units: services,
		Files: map[string]string{
			InstancePrefix + ".target":      "[Unit]\nDescription=Generated lab target instance %i\n",
			GeneratedPrefix + "inst.target": "[Unit]\nDescription=All generated target instances\n" + wants.String(),
		},
		Wants: []string{GeneratedPrefix + "inst.target"},
	}
}

// generatedRE matches the units Options.Units, Options.Targets and
// Instances generate, not the targets that pull them in.
var generatedRE = regexp.MustCompile(`^` + GeneratedPrefix + `(inst@)?[0-9]{4}\.(service|target)$`)

// CountGenerated counts the generated units whose value in active (a state
// set's "active" series, by unit name) is 1.
func CountGenerated(active map[string]float64) int {
	n := 0
	for name, v := range active {
		if v == 1 && generatedRE.MatchString(name) {
			n++
		}
	}
	return n
}
