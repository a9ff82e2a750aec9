package unitfiles

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// TestStateMatchesIsEnabled compares State with the real `systemctl
// --root=DIR is-enabled` for every unit of the every-state tree.
func TestStateMatchesIsEnabled(t *testing.T) {
	bin := testutil.Tool(t, "systemctl", "systemd")
	root := t.TempDir()
	tree(t, root, everyState)
	// The names are systemctl's own listing of the tree, not List's, so
	// a unit List leaves out is still asked about.
	var names []string
	for n := range systemctlStates(t, root) {
		names = append(names, n)
	}
	if len(names) < 20 {
		t.Fatalf("systemctl lists only %d units of the every-state tree", len(names))
	}
	// is-enabled stops at the first unit it cannot resolve, so each is
	// asked on its own; one it fails on is one ListUnitFiles calls bad.
	want, got := map[string]string{}, map[string]string{}
	for _, n := range names {
		cmd := exec.Command(bin, "--root="+root, "is-enabled", "--no-pager", n)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C", "SYSTEMD_COLORS=0"}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, _ := cmd.Output()
		switch st := strings.TrimSpace(string(out)); {
		case st != "":
			want[n] = st
		case strings.Contains(stderr.String(), "Failed to get unit file state"),
			strings.Contains(stderr.String(), "Failed to look up unit file state"):
			want[n] = Bad
		default:
			t.Fatalf("systemctl is-enabled %s: no state: %s", n, stderr.String())
		}
		got[n], _ = State(root, SystemPaths(), n)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("State differs from systemctl is-enabled (-systemctl +State):\n%s", diff)
	}
	if _, err := State(root, SystemPaths(), "nonexistent.service"); !errors.Is(err, errNotFound) {
		t.Errorf("State of a unit without a file: err = %v", err)
	}
	if _, err := State(root, SystemPaths(), "not a unit"); err == nil {
		t.Error("State of an invalid name: no error")
	}
}

// TestFromManagerSystem: the system manager's UnitPath, classified, gives
// back the roles SystemPaths knows.
func TestFromManagerSystem(t *testing.T) {
	want := SystemPaths()
	var dirs []string
	for _, d := range want.Dirs {
		dirs = append(dirs, d.Path)
	}
	if diff := cmp.Diff(want, FromManager(dirs)); diff != "" {
		t.Errorf("FromManager(SystemPaths) (-want +got):\n%s", diff)
	}
	user := UserPaths("/home/u", "/run/user/1000")
	dirs = dirs[:0]
	for _, d := range user.Dirs {
		dirs = append(dirs, d.Path)
	}
	if diff := cmp.Diff(user, FromManager(dirs)); diff != "" {
		t.Errorf("FromManager(UserPaths) (-want +got):\n%s", diff)
	}
}

// TestListHostile: links to a FIFO, a directory or a huge file, links that
// loop through directories, a unit directory that is a FIFO: List returns,
// without opening the FIFO, with those units bad and the rest listed. A
// link climbing out of the root stays inside it: escape.service is an
// alias of the root's /opt/ok.service, which makes that one indirect.
func TestListHostile(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"opt/fifo":                        "|fifo",
		"opt/dir.service":                 "/",
		"opt/loop":                        "->loop2",
		"opt/loop2":                       "->loop",
		"run/systemd/generator":           "|fifo",
		etc + "fifo.service":              "->/opt/fifo",
		etc + "fifo2.service":             "|fifo",
		etc + "dir.service":               "->/opt/dir.service",
		etc + "loopdir.service":           "->/opt/loop/x.service",
		etc + "escape.service":            "->../../../../../../../../opt/ok.service",
		etc + "huge.service":              "->/opt/huge.service",
		etc + "ok.service":                "[Service]\nExecStart=/bin/true\n",
		"opt/ok.service":                  "[Service]\nExecStart=/bin/true\n",
		etc + "dropfifo.service":          "[Service]\nExecStart=/bin/true\n",
		etc + "dropfifo.service.d/x.conf": "->/opt/fifo",
	})
	f, err := os.Create(filepath.Join(root, "opt/huge.service"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	files, problems := List(root, SystemPaths())
	got := map[string]string{}
	for _, f := range files {
		got[f.Name()] = f.State
	}
	want := map[string]string{
		"fifo.service": Bad, "dir.service": Bad, "loopdir.service": Bad, "huge.service": Bad,
		"dropfifo.service": Bad, "escape.service": Alias, "ok.service": Indirect,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	var sawFIFO, sawLarge bool
	for _, err := range problems {
		sawFIFO = sawFIFO || errors.Is(err, syscall.ENOTTY) || strings.Contains(err.Error(), "named pipe")
		sawLarge = sawLarge || strings.Contains(err.Error(), "limit")
	}
	if !sawFIFO || !sawLarge {
		t.Errorf("problems do not say why (FIFO %v, too large %v): %v", sawFIFO, sawLarge, problems)
	}
	if slices.ContainsFunc(files, func(f File) bool { return f.Name() == "fifo2.service" }) {
		t.Error("a FIFO named like a unit is listed")
	}
}
