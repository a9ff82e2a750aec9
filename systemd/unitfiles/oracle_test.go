package unitfiles

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// systemctlStates runs the real `systemctl --root=root list-unit-files`
// and returns its name → state rows.
func systemctlStates(t testing.TB, root string, extra ...string) map[string]string {
	t.Helper()
	bin := testutil.Tool(t, "systemctl", "systemd")
	args := append([]string{"--root=" + root, "list-unit-files", "--no-pager", "--no-legend"}, extra...)
	cmd := exec.Command(bin, args...)
	// Only what systemctl needs: SYSTEMD_UNIT_PATH and friends would move
	// its search path away from the one List is given.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER="}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("systemctl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return parseListOutput(t, stdout.String())
}

// parseListOutput reads list-unit-files rows: name, state and, for
// systemctl, the vendor preset.
func parseListOutput(t testing.TB, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			t.Fatalf("unexpected list-unit-files row %q", line)
		}
		if _, dup := got[f[0]]; dup {
			t.Fatalf("list-unit-files lists %s twice", f[0])
		}
		got[f[0]] = f[1]
	}
	return got
}

func listStates(t testing.TB, root string, p Paths) map[string]string {
	t.Helper()
	files, problems := List(root, p)
	for _, err := range problems {
		t.Logf("problem: %v", err)
	}
	got := map[string]string{}
	for _, f := range files {
		if _, dup := got[f.Name()]; dup {
			t.Errorf("List returns %s twice", f.Name())
		}
		got[f.Name()] = f.State
	}
	return got
}

// states returns the distinct states in m, sorted.
func states(m map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range m {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// tree makes files and links below root: a value starting with "->" is a
// symlink to the rest, "|fifo" a named pipe, "/" a directory, anything
// else a file's contents.
func tree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, v := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(v, "->"):
			err = os.Symlink(strings.TrimPrefix(v, "->"), p)
		case v == "|fifo":
			err = syscall.Mkfifo(p, 0o644)
		case v == "/":
			err = os.MkdirAll(p, 0o755)
		default:
			err = os.WriteFile(p, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

const (
	usr = "usr/lib/systemd/system/"
	etc = "etc/systemd/system/"
	run = "run/systemd/system/"
	wnt = "multi-user.target.wants/"
)

// everyState is a root with a unit file in every enablement state, and
// the corner cases between them.
var everyState = map[string]string{
	"lib":                         "->usr/lib",
	"opt/units/linked.service":    "[Service]\nExecStart=/bin/true\n",
	"opt/units/rlinked.service":   "[Service]\nExecStart=/bin/true\n",
	"opt/units/linked-en.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	"opt/units/othername.service": "[Service]\nExecStart=/bin/true\n",
	usr + "multi-user.target":     "[Unit]\nDescription=Multi-User\n",
	usr + "sockets.target":        "[Unit]\nDescription=Sockets\n",

	// enabled through WantedBy= and RequiredBy=
	usr + "wanted.service":                              "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	etc + wnt + "wanted.service":                        "->/usr/lib/systemd/system/wanted.service",
	usr + "required.service":                            "[Service]\nExecStart=/bin/true\n[Install]\nRequiredBy=multi-user.target\n",
	etc + "multi-user.target.requires/required.service": "->../../../../usr/lib/systemd/system/required.service",
	usr + "static-wanted.service":                       "[Service]\nExecStart=/bin/true\n",
	etc + wnt + "static-wanted.service":                 "->/usr/lib/systemd/system/static-wanted.service",
	// enabled by the vendor's own .wants link
	usr + "vendor-en.service":       "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	usr + wnt + "vendor-en.service": "->../vendor-en.service",
	// enabled-runtime
	usr + "runtime-en.service":       "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	run + wnt + "runtime-en.service": "->/usr/lib/systemd/system/runtime-en.service",
	// Alias=
	usr + "aliased.service":      "[Service]\nExecStart=/bin/true\n[Install]\nAlias=alias-name.service\n",
	etc + "alias-name.service":   "->/usr/lib/systemd/system/aliased.service",
	usr + "unaliased.service":    "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	etc + "other-name.service":   "->/usr/lib/systemd/system/unaliased.service",
	etc + "rel-alias.service":    "->../../../usr/lib/systemd/system/wanted.service",
	etc + "lib-alias.service":    "->/lib/systemd/system/static.service",
	usr + "vendor-alias.service": "->static.service",
	etc + "bad-alias.mount":      "->/usr/lib/systemd/system/x.mount",
	usr + "x.mount":              "[Mount]\nWhat=/dev/sda1\nWhere=/x\n",
	etc + "type-alias.socket":    "->/usr/lib/systemd/system/static.service",
	etc + "self.service":         "->/usr/lib/systemd/system/self.service",
	usr + "self.service":         "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	// Also=
	usr + "also-only.service":  "[Service]\nExecStart=/bin/true\n[Install]\nAlso=wanted.service\n",
	usr + "also-rules.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlso=wanted.service\n",
	// disabled and static
	usr + "disabled.service":   "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	usr + "static.service":     "[Service]\nExecStart=/bin/true\n",
	usr + "upheld.service":     "[Service]\nExecStart=/bin/true\n[Install]\nUpheldBy=multi-user.target\n",
	usr + "reset.service":      "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nWantedBy=\n",
	usr + "outside.service":    "WantedBy=multi-user.target\n[Service]\nExecStart=/bin/true\n",
	usr + "other-sect.service": "[Service]\nWantedBy=multi-user.target\n[X-Install]\nWantedBy=a.target\n",
	usr + "cont.service":       "[Service]\nExecStart=/bin/true\n[Install]\nAlias=cont-a.service \\\n# a comment inside\n  cont-b.service\n",
	etc + "cont-b.service":     "->/usr/lib/systemd/system/cont.service",
	usr + "crlf.service":       "[Service]\r\nExecStart=/bin/true\r\n[Install]\r\nWantedBy=multi-user.target\r\n",
	usr + "bom.service":        "\xef\xbb\xbf[Install]\nWantedBy=multi-user.target\n",
	usr + "quoted.service":     "[Install]\nAlias=\"quoted-a.service\" 'quoted b.service'\n",
	etc + "quoted-a.service":   "->/usr/lib/systemd/system/quoted.service",
	// templates and instances
	usr + "tmpl@.service":               "[Service]\nExecStart=/bin/echo %i\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=def\n",
	etc + wnt + "tmpl@def.service":      "->/usr/lib/systemd/system/tmpl@.service",
	usr + "tmpl2@.service":              "[Service]\nExecStart=/bin/echo %i\n[Install]\nWantedBy=multi-user.target\n",
	etc + wnt + "tmpl2@x.service":       "->/usr/lib/systemd/system/tmpl2@.service",
	usr + "tmpl3@.service":              "[Service]\nExecStart=/bin/echo %i\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=one\n",
	etc + "tmpl3@inst.service":          "->/usr/lib/systemd/system/tmpl3@.service",
	usr + "tmpl4@.service":              "[Service]\nExecStart=/bin/echo %i\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=%p-x\n",
	etc + wnt + "tmpl4@tmpl4-x.service": "->/usr/lib/systemd/system/tmpl4@.service",
	usr + "tmpl5@.service":              "[Service]\nExecStart=/bin/echo %i\n",
	usr + "tmpl5@fixed.service":         "->tmpl5@.service",
	usr + "tmpl6@.socket":               "[Socket]\nListenStream=/run/x\n[Install]\nWantedBy=sockets.target\n",
	etc + "tmpl6-alias@.socket":         "->/usr/lib/systemd/system/tmpl6@.socket",
	etc + "tmpl7@a.service":             "->/usr/lib/systemd/system/tmpl2@b.service",
	usr + "bad@.mount":                  "[Mount]\nWhat=x\n",
	// masked, persistently and for this boot only
	usr + "masked.service":  "[Service]\nExecStart=/bin/true\n",
	etc + "masked.service":  "->/dev/null",
	etc + "masked2.service": "->/dev/null",
	run + "rmasked.service": "->/dev/null",
	usr + "empty.service":   "",
	run + "rempty.service":  "",
	// linked to a file outside the search path
	etc + "linked.service":          "->/opt/units/linked.service",
	run + "rlinked.service":         "->/opt/units/rlinked.service",
	etc + "linked-en.service":       "->/opt/units/linked-en.service",
	etc + wnt + "linked-en.service": "->/opt/units/linked-en.service",
	etc + "linkedname.service":      "->/opt/units/othername.service",
	etc + "dangling.service":        "->/usr/lib/systemd/system/nonexistent.service",
	etc + "dangling-out.service":    "->/opt/units/nonexistent.service",
	etc + "loop1.service":           "->loop2.service",
	etc + "loop2.service":           "->loop1.service",
	// generated and transient
	"run/systemd/generator/gen.service":             "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	"run/systemd/generator.early/gen-early.service": "[Service]\nExecStart=/bin/true\n",
	"run/systemd/generator.late/gen-late.service":   "[Service]\nExecStart=/bin/true\n",
	"run/systemd/generator/" + wnt + "gen.service":  "->../gen.service",
	"run/systemd/transient/trans.service":           "[Service]\nExecStart=/bin/true\n",
	"run/systemd/transient/trans.scope":             "[Scope]\n",
	// control directories
	"etc/systemd/system.control/ctl.service":  "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	"run/systemd/system.control/rctl.service": "[Service]\nExecStart=/bin/true\n",
	// drop-ins
	usr + "dropin.service":                   "[Service]\nExecStart=/bin/true\n",
	usr + "dropin.service.d/install.conf":    "[Install]\nWantedBy=multi-user.target\n",
	usr + "dropin-en.service":                "[Service]\nExecStart=/bin/true\n",
	etc + "dropin-en.service.d/install.conf": "[Install]\nAlias=dropin-alias.service\n",
	etc + "dropin-alias.service":             "->/usr/lib/systemd/system/dropin-en.service",
	usr + "dropin-masked.service":            "[Service]\nExecStart=/bin/true\n",
	usr + "dropin-masked.service.d/i.conf":   "[Install]\nWantedBy=multi-user.target\n",
	etc + "dropin-masked.service.d/i.conf":   "->/dev/null",
	usr + "dropin-tmpl@.service":             "[Service]\nExecStart=/bin/true\n",
	usr + "dropin-tmpl@.service.d/i.conf":    "[Install]\nWantedBy=multi-user.target\n",
	usr + "dropin-tmpl@one.service":          "->dropin-tmpl@.service",
	usr + "dropin-bad.service":               "[Service]\nExecStart=/bin/true\n",
	usr + "dropin-bad.service.d/broken.conf": "[Install\n",
	// a unit in /etc over the vendor's
	usr + "override.service":                     "[Service]\nExecStart=/bin/true\n",
	etc + "override.service":                     "[Service]\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n",
	usr + "override2.service":                    "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	etc + "override2.service":                    "[Service]\nExecStart=/bin/false\n",
	"usr/local/lib/systemd/system/local.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	// bad files
	usr + "bad-header.service":  "[Install\nWantedBy=multi-user.target\n",
	usr + "bad-quote.service":   "[Ins\"tall]\n",
	usr + "bad-default.service": "[Service]\nExecStart=/bin/true\n[Install]\nDefaultInstance=foo\n",
	usr + "bad-also.service":    "[Service]\nExecStart=/bin/true\n[Install]\nAlso=notaunit\n",
	usr + "bad-spec.service":    "[Service]\nExecStart=/bin/true\n[Install]\nAlso=%z.service\n",
	usr + "long.service":        "[Install]\nWantedBy=" + strings.Repeat("a", 3000) + ".target\n",
	usr + "nokey.service":       "[Install]\nWantedBy\n=x\n",
	// not unit files
	usr + "fifo.service": "|fifo",
	usr + "dir.service":  "/",
	usr + "no-suffix":    "[Service]\n",
	usr + "x.unknown":    "[Service]\n",
	usr + "@at.service":  "[Service]\n",
}

func TestListMatchesSystemctl(t *testing.T) {
	root := t.TempDir()
	tree(t, root, everyState)
	want := systemctlStates(t, root)
	if full := systemctlStates(t, root, "--full"); !cmp.Equal(want, full) {
		t.Errorf("systemctl --full differs:\n%s", cmp.Diff(want, full))
	}
	got := listStates(t, root, SystemPaths())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List differs from systemctl --root (-systemctl +List):\n%s", diff)
	}
	// The tree must exercise every state, or the comparison proves less
	// than it claims.
	all := []string{Alias, Bad, Disabled, Enabled, EnabledRuntime, Generated, Indirect,
		Linked, LinkedRuntime, Masked, MaskedRuntime, Static, Transient}
	sort.Strings(all)
	if diff := cmp.Diff(all, states(want)); diff != "" {
		t.Errorf("the tree does not cover every state (-all +covered):\n%s", diff)
	}
	t.Logf("%d unit files agree with systemctl", len(want))
}

func TestListMachineRoot(t *testing.T) {
	want := systemctlStates(t, "/")
	got := listStates(t, "/", SystemPaths())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List(/) differs from systemctl --root=/ (-systemctl +List):\n%s", diff)
	}
	t.Logf("%d unit files agree with systemctl --root=/", len(want))
}

// TestListMatchesSystemctlHostLike compares a thousand unit files laid
// out like a host's, on a root where /lib is a directory of its own (split
// /usr) holding some of them.
func TestListMatchesSystemctlHostLike(t *testing.T) {
	root := t.TempDir()
	files := hostLike(1000)
	moved := map[string]string{}
	for name, v := range files {
		if strings.HasPrefix(name, usr) && strings.HasSuffix(name, "5.service") {
			delete(files, name)
			moved["lib/systemd/system/"+strings.TrimPrefix(name, usr)] = v
		}
	}
	maps.Copy(files, moved)
	tree(t, root, files)
	start := time.Now()
	want := systemctlStates(t, root)
	took := time.Since(start)
	got := listStates(t, root, SystemPaths())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List differs from systemctl --root (-systemctl +List):\n%s", diff)
	}
	t.Logf("%d unit files agree with systemctl (it took %v); states %v", len(want), took, states(want))
}
