package unitfiles

import (
	"github.com/google/go-cmp/cmp"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/godbus/dbus/v5"
	"github.com/prometheus/procfs"
)

// managerConn connects to the lab manager's private socket.
func managerConn(t testing.TB, l *systemdlab.Lab) dbus.BusObject {
	t.Helper()
	conn, err := dbus.Dial(l.PrivateAddress())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		t.Fatal(err)
	}
	return conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
}

func unitPath(t testing.TB, obj dbus.BusObject) []string {
	t.Helper()
	v, err := obj.GetProperty("org.freedesktop.systemd1.Manager.UnitPath")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := v.Value().([]string)
	if !ok {
		t.Fatalf("UnitPath is %T", v.Value())
	}
	return p
}

type unitFileRow struct {
	Path  string
	State string
}

func listUnitFiles(t testing.TB, obj dbus.BusObject) []unitFileRow {
	t.Helper()
	var rows []unitFileRow
	if err := obj.Call("org.freedesktop.systemd1.Manager.ListUnitFiles", 0).Store(&rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// managerCPU is the manager's user and system CPU time so far.
func managerCPU(t testing.TB, pid int) time.Duration {
	t.Helper()
	p, err := procfs.NewProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(st.CPUTime() * float64(time.Second))
}

// labStates are unit files in every state a user manager's directories
// can give, below the lab's directory: config/systemd/user is the
// persistent configuration, run/systemd/user the runtime one.
func labStates() map[string]string {
	const (
		cfg = "config/systemd/user/"
		rt  = "run/systemd/user/"
		dw  = "default.target.wants/"
		svc = "[Service]\nType=oneshot\nExecStart=/bin/true\n"
	)
	m := map[string]string{
		"opt/linked.service":    svc,
		"opt/rlinked.service":   svc,
		"opt/linked-en.service": svc + "[Install]\nWantedBy=default.target\n",

		cfg + "wanted.service":                           svc + "[Install]\nWantedBy=default.target\n",
		cfg + dw + "wanted.service":                      "->../wanted.service",
		cfg + "required.service":                         svc + "[Install]\nRequiredBy=default.target\n",
		cfg + "default.target.requires/required.service": "->../required.service",
		cfg + "static-wanted.service":                    svc,
		cfg + dw + "static-wanted.service":               "->../static-wanted.service",
		cfg + "aliased.service":                          svc + "[Install]\nAlias=alias-name.service\n",
		cfg + "alias-name.service":                       "->aliased.service",
		cfg + "unaliased.service":                        svc + "[Install]\nWantedBy=default.target\n",
		cfg + "other-name.service":                       "->unaliased.service",
		cfg + "also-only.service":                        svc + "[Install]\nAlso=wanted.service\n",
		cfg + "disabled.service":                         svc + "[Install]\nWantedBy=default.target\n",
		cfg + "tmpl@.service":                            svc + "[Install]\nWantedBy=default.target\nDefaultInstance=def\n",
		cfg + dw + "tmpl@def.service":                    "->../tmpl@.service",
		cfg + "tmpl2@.service":                           svc + "[Install]\nWantedBy=default.target\n",
		cfg + dw + "tmpl2@x.service":                     "->../tmpl2@.service",
		cfg + "tmpl2@fixed.service":                      "->tmpl2@.service",
		cfg + "masked.service":                           "->/dev/null",
		cfg + "empty.service":                            "",
		cfg + "linked.service":                           "->../../../opt/linked.service",
		cfg + "linked-en.service":                        "->../../../opt/linked-en.service",
		cfg + dw + "linked-en.service":                   "->../../../../opt/linked-en.service",
		cfg + "dangling.service":                         "->nonexistent.service",
		cfg + "bad-header.service":                       "[Install\n",
		cfg + "bad@.mount":                               "[Mount]\n",
		cfg + "dropin.service":                           svc,
		cfg + "dropin.service.d/install.conf":            "[Install]\nWantedBy=default.target\n",
		rt + "rmasked.service":                           "->/dev/null",
		rt + "rlinked.service":                           "->../../../opt/rlinked.service",
		rt + "runtime-en.service":                        svc + "[Install]\nWantedBy=default.target\n",
		rt + dw + "runtime-en.service":                   "->../runtime-en.service",
		"run/systemd/generator/gen.service":              svc,
		"run/systemd/generator.late/gen-late.service":    svc,
	}
	// Instances of the lab's generated template, linked like
	// `systemctl enable lab-gen-inst@N.target` would and as aliases.
	for i := range 100 {
		name := systemdlab.InstancePrefix + strconv.Itoa(9000+i) + ".target"
		m[cfg+"default.target.wants/"+name] = "->../" + systemdlab.InstancePrefix + ".target"
		m[cfg+name] = "->" + systemdlab.InstancePrefix + ".target"
	}
	return m
}

// TestLabListUnitFiles compares List with the manager's own
// ListUnitFiles, path and state of every row, on a user manager with
// thousands of unit files and one in every state, given the manager's
// UnitPath.
func TestLabListUnitFiles(t *testing.T) {
	opts := systemdlab.Instances(1000)
	opts.Targets = 1500
	l := systemdlab.Start(t, opts)
	tree(t, l.Dir(), labStates())
	// A transient unit, which the manager writes into its transient
	// directory while the unit exists.
	run := exec.Command("systemd-run", "--user", "--unit=lab-transient", "--", "/bin/sleep", "600")
	run.Env = l.Env()
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("systemd-run: %v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(l.RuntimeDir(), "systemd/transient/lab-transient.service")); err != nil {
		t.Fatalf("no transient unit file: %v", err)
	}

	obj := managerConn(t, l)
	paths := FromManager(unitPath(t, obj))
	cpu0 := managerCPU(t, l.ManagerPID())
	start := time.Now()
	rows := listUnitFiles(t, obj)
	wall := time.Since(start)
	cpu := managerCPU(t, l.ManagerPID()) - cpu0
	want := map[string]string{}
	for _, r := range rows {
		want[r.Path] = r.State
	}

	start = time.Now()
	files, problems := List("/", paths)
	ours := time.Since(start)
	got := map[string]string{}
	for _, f := range files {
		got[f.Path] = f.State
	}
	if diff := cmp.Diff(want, got); diff != "" {
		for _, err := range problems {
			t.Logf("problem: %v", err)
		}
		t.Errorf("List differs from the manager's ListUnitFiles (-manager +List):\n%s", diff)
	}
	byState := map[string]int{}
	for _, s := range want {
		byState[s]++
	}
	for _, s := range []string{Alias, Bad, Disabled, Enabled, EnabledRuntime, Generated, Indirect,
		Linked, LinkedRuntime, Masked, MaskedRuntime, Static, Transient} {
		if byState[s] == 0 {
			t.Errorf("the lab has no unit file in state %s: the comparison covers less than it should", s)
		}
	}
	t.Logf("%d rows agree; ListUnitFiles took %v (manager CPU %v), List %v; states %v",
		len(rows), wall, cpu, ours, byState)
}
