package sysv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// debianPackages ship init scripts between them covering what headers hold
// in practice: rcS scripts named *.sh, X-Start-Before, X-Interactive,
// Description continuation lines, scripts for runlevels 0, 1 and 6 only;
// sysv-rc brings rc, rcS and README, which are not services, and insserv is
// the oracle.
var debianPackages = []string{"cron", "openssh-server", "initscripts", "sysv-rc", "insserv"}

// debianTree returns a directory holding the Debian packages above
// extracted (downloaded once with apt-get into the user's cache), with this
// machine's own /etc/init.d scripts added to its etc/init.d.
func debianTree(t *testing.T) string {
	t.Helper()
	testutil.Tool(t, "apt-get", "apt")
	testutil.Tool(t, "dpkg-deb", "dpkg")
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	cache = filepath.Join(cache, "bootinfo-test", "sysv-debs")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	var debs []string
	for _, p := range debianPackages {
		m, _ := filepath.Glob(filepath.Join(cache, p+"_*.deb"))
		if len(m) == 0 {
			cmd := exec.Command("apt-get", "download", "-q", p)
			cmd.Dir = cache
			if out, err := cmd.CombinedOutput(); err != nil {
				testutil.SkipOrFail(t, "apt-get download %s: %v\n%s", p, err, out)
			}
			m, _ = filepath.Glob(filepath.Join(cache, p+"_*.deb"))
		}
		if len(m) == 0 {
			t.Fatalf("apt-get download %s left no %s_*.deb in %s", p, p, cache)
		}
		debs = append(debs, m[len(m)-1])
	}
	tree := t.TempDir()
	for _, d := range debs {
		testutil.Run(t, "", "dpkg-deb", "-x", d, tree)
	}
	own, _ := filepath.Glob("/etc/init.d/*")
	for _, p := range own {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && !skipName(filepath.Base(p)) {
			testutil.CopyFile(t, p, filepath.Join(tree, "etc/init.d", filepath.Base(p)), 0o755)
		}
	}
	return tree
}

// scriptNames lists the services in dir/etc/init.d, by the package's rule.
func scriptNames(t *testing.T, root string) []string {
	ents, err := os.ReadDir(filepath.Join(root, "etc/init.d"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if !skipName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
}

// awkOracle extracts Provides, Default-Start, Default-Stop and
// Short-Description from a script's header the plain way: the first block,
// "# Keyword:" lines, fields split on blanks.
const awkOracle = `
/^### BEGIN INIT INFO[ \t]*$/ { if (!done) inb = 1; next }
/^### END INIT INFO[ \t]*$/   { if (inb) { inb = 0; done = 1 }; next }
inb && /^# [A-Za-z-]+:/ {
	k = $2; sub(/:$/, "", k); k = tolower(k)
	v = $0; sub(/^# [A-Za-z-]+:[ \t]*/, "", v); sub(/[ \t]+$/, "", v); gsub(/[ \t]+/, " ", v)
	if (k == "provides" || k == "default-start" || k == "default-stop" || k == "short-description") f[k] = v
}
END { printf "%s|%s|%s|%s\n", f["provides"], f["default-start"], f["default-stop"], f["short-description"] }
`

// TestDebianHeaders decodes Debian's own init scripts and compares what
// List reports with an awk reading of the same headers.
func TestDebianHeaders(t *testing.T) {
	tree := debianTree(t)
	services, problems := List(tree)
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	names := scriptNames(t, tree)
	if len(services) != len(names) || len(names) < 30 {
		t.Fatalf("%d services, want %d (at least 30)", len(services), len(names))
	}
	for _, s := range services {
		out := strings.TrimSpace(string(testutil.Run(t, "", "awk", awkOracle, filepath.Join(tree, "etc/init.d", s.Name))))
		desc := s.Description
		got := strings.Join([]string{strings.Join(s.Provides, " "), strings.Join(s.StartRunlevels, " "),
			strings.Join(s.StopRunlevels, " "), desc}, "|")
		if got != out {
			t.Errorf("%s: got %q, awk %q", s.Name, got, out)
		}
		if s.Error != "" {
			t.Errorf("%s: %s", s.Name, s.Error)
		}
	}
}

// insservRoot returns a root holding the Debian scripts, linked into
// rc{0..6,S}.d by Debian's insserv itself, and insserv's command line
// prefix for that root.
func insservRoot(t *testing.T) (root string, insserv []string) {
	tree := debianTree(t)
	root = filepath.Join(t.TempDir(), "root")
	for _, d := range append([]string{"etc/init.d", "dep"}, rcDirs()...) {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range scriptNames(t, tree) {
		testutil.CopyFile(t, filepath.Join(tree, "etc/init.d", n), filepath.Join(root, "etc/init.d", n), 0o755)
	}
	// Debian's rc and rcS are absolute links out of the package; keep them
	// so that List must skip them.
	for _, n := range []string{"rc", "rcS", "README"} {
		if err := os.Symlink("/lib/init/"+n, filepath.Join(root, "etc/init.d", n)); err != nil {
			t.Fatal(err)
		}
	}
	insserv = []string{filepath.Join(tree, "sbin/insserv"), "-p", filepath.Join(root, "etc/init.d"),
		"-c", filepath.Join(tree, "etc/insserv.conf"), "-i", filepath.Join(root, "dep")}
	testutil.Run(t, "", insserv[0], append(insserv[1:], scriptNames(t, root)...)...)
	return root, insserv
}

func rcDirs() []string {
	var d []string
	for _, rl := range Runlevels {
		d = append(d, "etc/rc"+rl+".d")
	}
	return d
}

// TestListInsserv: the links List finds, with their sequence numbers, are
// the ones insserv says it made (insserv --show-all), for every script.
func TestListInsserv(t *testing.T) {
	root, insserv := insservRoot(t)
	out := testutil.Run(t, "", insserv[0], append(insserv[1:], "-s")...)
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ":") // S:NN:2 3 4 5:name
		if len(f) != 4 {
			t.Fatalf("insserv -s line %q", line)
		}
		prio, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("insserv -s line %q", line)
		}
		for _, rl := range strings.Fields(f[2]) {
			want = append(want, fmt.Sprintf("%s %s %s%02d%s", f[3], rl, f[0], prio, f[3]))
		}
	}
	services, problems := List(root)
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	var got, headers []string
	for _, s := range services {
		for _, l := range s.Links {
			k := "K"
			if l.Kind == KindStart {
				k = "S"
			}
			if got := fmt.Sprintf("%s%02d%s", k, l.Priority, s.Name); got != l.Name {
				t.Errorf("%s: link %+v named %s", s.Name, l, got)
			}
			got = append(got, fmt.Sprintf("%s %s %s", s.Name, l.Runlevel, l.Name))
		}
		// insserv links by the header: every start runlevel has an S link,
		// every stop one a K link.
		for _, rl := range s.StartRunlevels {
			if !s.Enabled(rl) {
				t.Errorf("%s: Default-Start %s, but not enabled there", s.Name, rl)
			}
			headers = append(headers, s.Name+" S"+rl)
		}
		for _, rl := range s.StopRunlevels {
			headers = append(headers, s.Name+" K"+rl)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links (-insserv +List):\n%s", diff)
	}
	var linked []string
	for _, w := range want {
		f := strings.Fields(w)
		linked = append(linked, f[0]+" "+f[2][:1]+f[1])
	}
	sort.Strings(linked)
	sort.Strings(headers)
	if diff := cmp.Diff(linked, headers); diff != "" {
		t.Errorf("runlevels (-insserv +headers):\n%s", diff)
	}
	if len(got) < 60 {
		t.Errorf("only %d links", len(got))
	}
}

// TestListUpdateRCD: update-rc.d, run on a root of its own (DPKG_ROOT), makes
// and toggles links the way a package's maintainer scripts do; List follows.
func TestListUpdateRCD(t *testing.T) {
	urc := testutil.Tool(t, "update-rc.d", "init-system-helpers")
	for _, p := range []string{"/usr/lib/insserv/insserv", "/sbin/insserv"} {
		if _, err := os.Stat(p); err == nil {
			// update-rc.d would run this host's insserv, which ignores
			// DPKG_ROOT and relinks the host's own /etc.
			t.Skipf("%s is installed: update-rc.d would change this host's links", p)
		}
	}
	tree := debianTree(t)
	root := t.TempDir()
	names := scriptNames(t, tree)
	for _, n := range names {
		testutil.CopyFile(t, filepath.Join(tree, "etc/init.d", n), filepath.Join(root, "etc/init.d", n), 0o755)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(urc, args...)
		// _SKIP_SYSTEMD_NATIVE: no systemctl --root call for the units.
		cmd.Env = append(os.Environ(), "DPKG_ROOT="+root, "_SKIP_SYSTEMD_NATIVE=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("update-rc.d %v: %v\n%s", args, err, out)
		}
	}
	for _, n := range names {
		if n == "cron" {
			run(n, "defaults-disabled")
			continue
		}
		run(n, "defaults")
	}
	// update-rc.d's enable and disable look for the script in the host's
	// /etc/init.d even under DPKG_ROOT: toggle one that is there too.
	toggled := ""
	for _, n := range names {
		h, err := os.ReadFile(filepath.Join("/etc/init.d", n))
		if hd, _ := ParseHeader(h); err == nil && slices.Contains(hd.DefaultStart, "3") && n != "cron" {
			toggled = n
			break
		}
	}
	if toggled != "" {
		run(toggled, "disable", "2", "3", "4", "5")
		run(toggled, "enable", "3")
	}
	services, problems := List(root)
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	for _, s := range services {
		var want []Link
		for _, rl := range Runlevels {
			start := slices.Contains(s.StartRunlevels, rl)
			kind := KindStart
			switch {
			case s.Name == "cron" && start, s.Name == toggled && start && rl >= "2" && rl <= "5" && rl != "3":
				kind = KindKill
			case !start && slices.Contains(s.StopRunlevels, rl):
				kind = KindKill
			case !start:
				continue
			}
			prefix := map[string]string{KindStart: "S", KindKill: "K"}[kind]
			want = append(want, Link{Runlevel: rl, Kind: kind, Priority: 1, Name: prefix + "01" + s.Name})
		}
		if diff := cmp.Diff(want, s.Links, cmp.Comparer(func(a, b []Link) bool { return slices.Equal(a, b) })); diff != "" {
			t.Errorf("%s links (-want +got):\n%s", s.Name, diff)
		}
	}
	if toggled == "" {
		t.Log("no script of this host's /etc/init.d starts in runlevel 3: enable and disable not tried")
		return
	}
	s := services[slices.IndexFunc(services, func(s Service) bool { return s.Name == toggled })]
	if s.Enabled("2") || !s.Enabled("3") {
		t.Errorf("%s enabled in 2: %v, in 3: %v; want false, true", toggled, s.Enabled("2"), s.Enabled("3"))
	}
}
