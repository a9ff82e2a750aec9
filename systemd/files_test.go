package systemd

import (
	"cmp"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/systemd/unitfiles"
)

// writeRoot lays out files below root: a value "->target" is a link.
func writeRoot(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, v := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(v, "->"); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadFilesRoot reads a root laid out as packages and an
// administrator leave it, and checks it against systemctl --root: every
// unit file's state and preset, the default target; generated units are
// left out and counted, drop-ins hide their namesakes.
func TestReadFilesRoot(t *testing.T) {
	systemctl := testutil.Tool(t, "systemctl", "systemd")
	root := t.TempDir()
	const usr, etc = "usr/lib/systemd/system/", "etc/systemd/system/"
	writeRoot(t, root, map[string]string{
		usr + "multi-user.target":                    "[Unit]\nDescription=Multi-User\n",
		usr + "graphical.target":                     "[Unit]\nDescription=Graphical\n",
		usr + "foo.service":                          "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
		usr + "bar.service":                          "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
		usr + "foo.service.d/a.conf":                 "[Service]\nEnvironment=A=vendor\n",
		usr + "foo.service.d/b.conf":                 "[Service]\nEnvironment=B=vendor\n",
		etc + "foo.service.d/a.conf":                 "[Service]\nEnvironment=A=admin\n",
		etc + "foo.service.d/.hidden.conf":           "[Service]\nEnvironment=H=1\n",
		etc + ".hidden.service.d/x.conf":             "[Service]\n",
		etc + "service.d/10-all.conf":                "[Service]\nEnvironment=ALL=1\n",
		etc + "default.target":                       "->/usr/lib/systemd/system/graphical.target",
		etc + "multi-user.target.wants/foo.service":  "->/usr/lib/systemd/system/foo.service",
		"run/systemd/generator/gen.service":          "[Service]\nExecStart=/bin/true\n",
		"usr/lib/systemd/system-preset/90-os.preset": "enable foo.service\ndisable *\n",
	})
	v := ReadFiles(root, unitfiles.SystemPaths(), unitfiles.SystemPresetDirs)
	for _, p := range v.Problems {
		t.Errorf("problem: %s", p)
	}

	out, err := exec.Command(systemctl, "--root="+root, "list-unit-files", "--no-pager", "--no-legend").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[1] != "generated" && f[1] != "transient" {
			want[f[0]] = f[1] + " " + f[2]
		}
	}
	got := map[string]string{}
	for _, f := range v.UnitFiles {
		got[f.Name] = f.State + " " + cmp.Or(f.Preset, "-")
	}
	if !maps.Equal(got, want) {
		t.Errorf("unit files %v, systemctl --root %v", got, want)
	}
	if v.LeftOut["generated"] != 1 {
		t.Errorf("left out %v, want the generated unit counted", v.LeftOut)
	}
	def, err := exec.Command(systemctl, "--root="+root, "get-default").Output()
	if err != nil {
		t.Fatal(err)
	}
	if v.DefaultTarget != strings.TrimSpace(string(def)) {
		t.Errorf("default target %q, systemctl get-default %q", v.DefaultTarget, def)
	}
	if got, want := v.DropIns["foo.service"], []string{"/" + etc + "foo.service.d/a.conf", "/" + usr + "foo.service.d/b.conf"}; !slices.Equal(got, want) {
		t.Errorf("foo.service drop-ins %q, want %q", got, want)
	}
	if _, ok := v.DropIns[".hidden.service"]; ok {
		t.Errorf("a hidden drop-in directory is listed: %v", v.DropIns)
	}
	if got := v.DropIns["service"]; len(got) != 1 {
		t.Errorf("service-wide drop-ins %q", got)
	}
}

// TestLabReadFilesDropIns: the drop-ins the files view finds for each
// unit are those a real manager loaded (DropInPaths), over the manager's
// own search path.
func TestLabReadFilesDropIns(t *testing.T) {
	l := systemdlab.Start(t, systemdlab.Options{
		Files: map[string]string{
			"one.service":  "[Service]\nExecStart=/bin/sleep infinity\n",
			"two@.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		},
		Wants: []string{"one.service", "two@x.service"},
	})
	writeRoot(t, l.UnitDir(), map[string]string{
		"one.service.d/10-a.conf":  "[Service]\nEnvironment=A=1\n",
		"one.service.d/20-b.conf":  "[Service]\nEnvironment=B=1\n",
		"two@.service.d/10-t.conf": "[Service]\nEnvironment=T=1\n",
		"two@x.service.d/5-x.conf": "[Service]\nEnvironment=X=1\n",
	})
	if _, err := l.Systemctl("daemon-reload"); err != nil {
		t.Fatal(err)
	}
	out, err := l.Systemctl("show", "-p", "UnitPath", "--value")
	if err != nil {
		t.Fatal(err)
	}
	v := ReadFiles("/", unitfiles.FromManager(strings.Fields(out)), nil)
	for _, unit := range []string{"one.service", "two@x.service"} {
		shown, err := l.Systemctl("show", "-p", "DropInPaths", "--value", unit)
		if err != nil {
			t.Fatal(err)
		}
		var mine []string
		for stem, list := range v.DropIns {
			if dropInStemMatches(stem, unit) {
				mine = append(mine, list...)
			}
		}
		slices.SortFunc(mine, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
		if got, want := strings.Join(mine, " "), strings.TrimSpace(shown); got != want {
			t.Errorf("%s: drop-ins %q, the manager loaded %q", unit, got, want)
		}
	}
}
