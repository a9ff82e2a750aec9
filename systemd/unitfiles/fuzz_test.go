package unitfiles

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"
	"github.com/google/go-cmp/cmp"
)

var fuzzNames = []string{"foo.service", "foo@.service", "foo@bar.service", "x.mount", "t.target", "d.device"}

// FuzzParseInstall: any bytes parse without panic into word lists with no
// white space; wherever go-systemd's parser also takes the file line by
// line (a section header first, plain printable ASCII, no continuation
// lines, which the two join differently), both see the same [Install]
// assignments.
func FuzzParseInstall(f *testing.F) {
	for _, v := range everyState {
		if !strings.HasPrefix(v, "->") && v != "/" && v != "|fifo" {
			f.Add([]byte(v), uint8(0))
		}
	}
	f.Add([]byte("[Install]\nWantedBy=a.target b.target\nWantedBy=\nAlias=x.service\nDefaultInstance=%i\nAlso=%n\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		name := fuzzNames[int(n)%len(fuzzNames)]
		var in Install
		err := ParseInstall(name, data, &in)
		for _, l := range [][]string{in.WantedBy, in.RequiredBy, in.Alias, in.Also} {
			for _, w := range l {
				if w == "" && !bytes.ContainsAny(data, `"'`) {
					t.Errorf("empty word from unquoted input")
				}
			}
		}
		for _, a := range in.Also {
			if !validName(a) {
				t.Errorf("Also=%q kept, not a unit name", a)
			}
		}
		if err != nil || !lineByLine(data) {
			return
		}
		opts, gerr := unit.DeserializeOptions(bytes.NewReader(data))
		if gerr != nil {
			return
		}
		var want Install
		for _, o := range opts {
			if o.Section != "Install" {
				continue
			}
			switch o.Name {
			case "WantedBy":
				want.WantedBy = appendWords(want.WantedBy, o.Value)
			case "RequiredBy":
				want.RequiredBy = appendWords(want.RequiredBy, o.Value)
			case "Alias":
				if mayAlias(unitType(name)) {
					want.Alias = appendWords(want.Alias, o.Value)
				}
			}
		}
		in.Also, in.DefaultInstance = nil, ""
		if diff := cmp.Diff(want, in); diff != "" {
			t.Errorf("go-systemd and ParseInstall differ on %q (-go-systemd +ours):\n%s", data, diff)
		}
	})
}

// lineByLine reports whether go-systemd reads data the way systemd does:
// the first thing in it is a section header, it is printable ASCII, and no
// line is continued.
func lineByLine(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\n")
	if len(t) == 0 || t[0] != '[' || bytes.ContainsAny(data, "\\\r") {
		return false
	}
	for _, c := range data {
		if (c < ' ' && c != '\n' && c != '\t') || c > '~' {
			return false
		}
	}
	return true
}

// FuzzList builds a small tree of unit files and links from the input and
// lists it: no panic, only known states, and List agrees with State for
// every unit.
func FuzzList(f *testing.F) {
	f.Add("etc/a.service=->/usr/lib/systemd/system/b.service\nusr/b.service=[Install]\\nAlias=a.service\n")
	f.Add("etc/a@x.service=->../../../usr/lib/systemd/system/a@.service\nusr/a@.service=[Install]\\nDefaultInstance=x\\nWantedBy=t.target\netc/t.target.wants/a@x.service=->/x\n")
	f.Add("etc/l.service=->/opt/../opt/./l.service\nopt/l.service=\nrun/m.service=->/dev/null\netc/loop.service=->loop.service\n")
	f.Add("etc/a.service=->b.service\netc/b.service=->c.service\netc/c.service=->a.service\nlib=->usr/lib\n")
	valid := []string{Alias, Bad, Disabled, Enabled, EnabledRuntime, Generated, Indirect,
		Linked, LinkedRuntime, Masked, MaskedRuntime, Static, Transient}
	prefixes := map[string]string{"etc/": etc, "usr/": usr, "run/": run, "gen/": "run/systemd/generator/", "opt/": "opt/", "lib": "lib"}
	f.Fuzz(func(t *testing.T, spec string) {
		if len(spec) > 4096 {
			return
		}
		files := map[string]string{}
		for _, line := range strings.Split(spec, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			for p, dir := range prefixes {
				if rest, ok := strings.CutPrefix(k, p); ok && !strings.Contains(rest, "..") && filepath.IsLocal(dir+rest) {
					files[dir+rest] = strings.ReplaceAll(v, `\n`, "\n")
					break
				}
			}
		}
		root := t.TempDir()
		for name, v := range files {
			p := filepath.Join(root, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return
			}
			if target, ok := strings.CutPrefix(v, "->"); ok {
				_ = os.Symlink(target, p)
			} else {
				_ = os.WriteFile(p, []byte(v), 0o644)
			}
		}
		got, _ := List(root, SystemPaths())
		for _, fl := range got {
			if !slices.Contains(valid, fl.State) {
				t.Errorf("%s: state %q", fl.Path, fl.State)
			}
			if st, _ := State(root, SystemPaths(), fl.Name()); st != fl.State {
				t.Errorf("%s: List says %s, State %s", fl.Name(), fl.State, st)
			}
		}
	})
}
