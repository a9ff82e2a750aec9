package sysv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/hostile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

const goodScript = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: good\n# Default-Start: 2 3 4 5\n" +
	"# Default-Stop: 0 1 6\n# Short-Description: inside\n### END INIT INFO\n"

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestListHostile: every kind of broken script or link costs that script or
// link only, names its path, blocks on nothing, and nothing outside the root
// is read.
func TestListHostile(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	evil := strings.ReplaceAll(goodScript, "inside", "OUTSIDE")
	testutil.WriteTree(t, outside, map[string]string{"etc/init.d/evil": evil, "etc/rc2.d/keep": ""})
	unclosed := "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: huge\n" + strings.Repeat("# padding\n", 8<<10)
	testutil.WriteTree(t, root, map[string]string{
		"etc/init.d/good":           goodScript,
		"etc/init.d/noheader":       "#!/bin/sh\nexit 0\n",
		"etc/init.d/unclosed":       unclosed,
		"etc/init.d/fifo":           "",
		"etc/init.d/zero":           "",
		"etc/init.d/sparse":         "",
		"etc/init.d/README":         "not a service",
		"etc/init.d/skeleton":       evil,
		"etc/init.d/good.dpkg-old":  evil,
		"etc/init.d/good~":          evil,
		"etc/init.d/.depend.boot":   "TARGETS = good\n",
		"etc/rc2.d/README":          "",
		"etc/rc2.d/S40file":         goodScript,
		"etc/rc2.d/Sxxnotalink":     "",
		"etc/rc0.d/placeholder.txt": "",
	})
	for _, k := range []string{hostile.FIFO, hostile.Zero, hostile.Sparse} {
		hostile.Make(t, root, "etc/init.d/"+k, k)
	}
	init := filepath.Join(root, "etc/init.d")
	mustSymlink(t, "loop", filepath.Join(init, "loop"))
	mustSymlink(t, filepath.Join(outside, "etc/init.d/evil"), filepath.Join(init, "escape")) // host path of the outside
	mustSymlink(t, "../../../outside/etc/init.d/evil", filepath.Join(init, "climb"))
	rc2 := filepath.Join(root, "etc/rc2.d")
	mustSymlink(t, "../init.d/good", filepath.Join(rc2, "S01good"))
	mustSymlink(t, "/etc/init.d/good", filepath.Join(root, "etc/rc3.d/S02good")) // absolute, inside the root
	mustSymlink(t, "rc2.d", filepath.Join(root, "etc/rc5.d"))                    // a directory link inside the root
	mustSymlink(t, filepath.Join(outside, "etc/init.d/evil"), filepath.Join(rc2, "S20out"))
	mustSymlink(t, "../init.d/gone", filepath.Join(rc2, "S30dangling"))
	mustSymlink(t, "S50loop", filepath.Join(rc2, "S50loop"))
	mustSymlink(t, "../init.d/README", filepath.Join(rc2, "S60readme"))
	mustSymlink(t, "../init.d/loop", filepath.Join(rc2, "K01loop"))
	mustSymlink(t, filepath.Join(outside, "etc/rc2.d"), filepath.Join(root, "etc/rcS.d")) // out of the root

	var services []Service
	var problems []error
	alloc := hostile.Allocated(func() { services, problems = List(root) })
	if alloc > 4<<20 {
		t.Errorf("List allocated %d bytes", alloc)
	}

	byName := map[string]Service{}
	var names []string
	for _, s := range services {
		byName[s.Name] = s
		names = append(names, s.Name)
		if s.Description == "OUTSIDE" {
			t.Errorf("%s: read outside the root", s.Name)
		}
	}
	if diff := cmp.Diff([]string{"climb", "escape", "fifo", "good", "loop", "noheader", "sparse", "unclosed", "zero"}, names); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	good := byName["good"]
	wantLinks := []Link{
		{Runlevel: "2", Kind: KindStart, Priority: 1, Name: "S01good"},
		{Runlevel: "3", Kind: KindStart, Priority: 2, Name: "S02good"},
		{Runlevel: "5", Kind: KindStart, Priority: 1, Name: "S01good"},
	}
	if diff := cmp.Diff(wantLinks, good.Links); diff != "" || good.Error != "" || good.Description != "inside" {
		t.Errorf("good: error %q, description %q, links (-want +got):\n%s", good.Error, good.Description, diff)
	}
	if !good.Enabled("5") || good.Enabled("S") || good.Enabled("0") {
		t.Errorf("good enabled in 5, S, 0: %v %v %v", good.Enabled("5"), good.Enabled("S"), good.Enabled("0"))
	}
	if l := byName["loop"].Links; len(l) != 2 || l[0].Name != "K01loop" {
		t.Errorf("loop's links %+v: a link to a broken script is still its link", l)
	}

	// Each broken script: its own error, in Error and among problems.
	wantErr := map[string]error{
		"climb":    fs.ErrNotExist,
		"escape":   fs.ErrNotExist,
		"fifo":     hostfile.ErrNotRegular,
		"zero":     hostfile.ErrNotRegular,
		"loop":     syscall.ELOOP,
		"noheader": ErrNoHeader,
		"sparse":   ErrNoHeader,
		"unclosed": ErrMalformed,
	}
	found := map[string]bool{}
	for _, p := range problems {
		for name, want := range wantErr {
			if strings.Contains(p.Error(), filepath.Join(init, name)+":") {
				found[name] = true
				if !errors.Is(p, want) {
					t.Errorf("%s: %v, want one wrapping %v", name, p, want)
				}
			}
		}
	}
	for name := range wantErr {
		if !found[name] {
			t.Errorf("%s: no problem reported", name)
		}
		if byName[name].Error == "" {
			t.Errorf("%s: no Error", name)
		}
	}
	if e := byName["unclosed"].Error; !strings.Contains(e, "first 64 KiB") {
		t.Errorf("unclosed: %q does not say how much was read", e)
	}

	// Each bad link: a problem naming it, wrapping ErrBadLink.
	badLinks := []string{"rc2.d/S20out", "rc2.d/S30dangling", "rc2.d/S40file", "rc2.d/S50loop", "rc2.d/S60readme"}
	for _, l := range badLinks {
		for _, dir := range []string{"rc2.d", "rc5.d"} {
			p := filepath.Join(root, "etc", strings.Replace(l, "rc2.d", dir, 1))
			n := 0
			for _, e := range problems {
				if strings.HasPrefix(e.Error(), p+":") {
					n++
					if !errors.Is(e, ErrBadLink) {
						t.Errorf("%v does not wrap ErrBadLink", e)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s: %d problems, want 1", p, n)
			}
		}
	}
	if n := len(problems); n != len(wantErr)+2*len(badLinks) {
		t.Errorf("%d problems, want %d:\n%v", n, len(wantErr)+2*len(badLinks), errors.Join(problems...))
	}
}

// TestListInitDirOutOfRoot: /etc/init.d itself a link out of the root reads
// as a root without scripts.
func TestListInitDirOutOfRoot(t *testing.T) {
	root := t.TempDir()
	testutil.WriteTree(t, root, map[string]string{"etc/init.d/good": goodScript})
	mustSymlink(t, "../init.d/good", filepath.Join(root, "etc/rc2.d/S01good"))
	hostile.Make(t, root, "etc/init.d/good", hostile.DirOut)
	services, problems := List(root)
	if len(services) != 0 {
		t.Errorf("services %+v, want none", services)
	}
	for _, p := range problems {
		if !errors.Is(p, ErrBadLink) {
			t.Errorf("problem %v", p)
		}
	}
	if len(problems) != 1 {
		t.Errorf("problems %v, want the link to the missing script", problems)
	}
}

func TestListNoInitDir(t *testing.T) {
	services, problems := List(t.TempDir())
	if services != nil || problems != nil {
		t.Errorf("List of an empty root: %v, %v", services, problems)
	}
}
