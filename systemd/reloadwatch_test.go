package systemd

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

func TestDropInStemMatches(t *testing.T) {
	for _, c := range []struct {
		stem, name string
		want       bool
	}{
		{"foo.service", "foo.service", true},
		{"foo.service", "foo.socket", false},
		{"service", "foo.service", true},
		{"socket", "foo.service", false},
		{"getty@.service", "getty@tty1.service", true},
		{"getty@.service", "getty.service", false},
		{"foo-.service", "foo-bar-baz.service", true},
		{"foo-bar-.service", "foo-bar-baz.service", true},
		{"foo-.service", "foobar.service", false},
		{"foo-.service", "foo-bar.socket", false},
		{"user-.slice", "user-1000.slice", true},
	} {
		if got := dropInStemMatches(c.stem, c.name); got != c.want {
			t.Errorf("dropInStemMatches(%q, %q) = %v, want %v", c.stem, c.name, got, c.want)
		}
	}
}

// TestReloadWatchChanges: the first look only remembers; a file renamed
// into a unit directory changes it; a drop-in added changes its stem; a
// file rewritten in place shows only in a full look.
func TestReloadWatchChanges(t *testing.T) {
	root := t.TempDir()
	dir := "/etc/systemd/system"
	abs := filepath.Join(root, dir)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(abs, "a.service.d"), 0o755))
	must(os.WriteFile(filepath.Join(abs, "a.service"), []byte("[Service]\n"), 0o644))
	must(os.WriteFile(filepath.Join(abs, "a.service.d", "x.conf"), []byte("[Service]\n"), 0o644))
	r := hostfile.NewRoot(root)
	files := []string{dir + "/a.service"}
	var rw reloadWatch
	if d, s, f := rw.changes(r, []string{dir}, files, false); len(d)+len(s)+len(f) != 0 {
		t.Fatalf("first look reported %v %v %v", d, s, f)
	}
	if d, s, f := rw.changes(r, []string{dir}, files, true); len(d)+len(s)+len(f) != 0 {
		t.Fatalf("nothing changed, yet %v %v %v", d, s, f)
	}
	bump := func(p string, n int) {
		at := time.Now().Add(time.Duration(n) * time.Hour)
		must(os.Chtimes(p, at, at))
	}
	must(os.WriteFile(filepath.Join(abs, "a.service.d", "y.conf"), []byte("[Service]\n"), 0o644))
	bump(filepath.Join(abs, "a.service.d"), 1)
	if _, s, _ := rw.changes(r, []string{dir}, files, false); !s["a.service"] {
		t.Errorf("a drop-in added: stems %v", s)
	}
	must(os.WriteFile(filepath.Join(abs, "a.service"), []byte("[Service]\nX=1\n"), 0o644))
	bump(filepath.Join(abs, "a.service"), 2)
	if d, s, f := rw.changes(r, []string{dir}, files, false); len(d)+len(s)+len(f) != 0 {
		t.Errorf("an in-place edit seen without a full look: %v %v %v", d, s, f)
	}
	if _, _, f := rw.changes(r, []string{dir}, files, true); !f[dir+"/a.service"] {
		t.Errorf("an in-place edit missed by a full look: %v", f)
	}
	must(os.Rename(filepath.Join(abs, "a.service.d", "y.conf"), filepath.Join(abs, "b.service")))
	bump(abs, 3)
	if d, _, _ := rw.changes(r, []string{dir}, files, false); !d[dir] {
		t.Errorf("a file renamed into the unit directory: dirs %v", d)
	}
}

func TestScopeFromUnitPath(t *testing.T) {
	for _, c := range []struct {
		dirs  []string
		scope Scope
		ok    bool
	}{
		{[]string{"/etc/systemd/system.control", "/run/systemd/system.control", "/etc/systemd/system", "/lib/systemd/system"}, ScopeSystem, true},
		{[]string{"/home/u/.config/systemd/user.control", "/run/user/1000/systemd/user.control", "/etc/systemd/user", "/usr/lib/systemd/user"}, ScopeUser, true},
		{[]string{"/tmp/lab/config/systemd/user/"}, ScopeUser, true},
		{[]string{"/srv/units"}, 0, false},
		{nil, 0, false},
	} {
		if sc, ok := scopeFromUnitPath(c.dirs); sc != c.scope || ok != c.ok {
			t.Errorf("scopeFromUnitPath(%q) = %v, %v; want %v, %v", c.dirs, sc, ok, c.scope, c.ok)
		}
	}
}
