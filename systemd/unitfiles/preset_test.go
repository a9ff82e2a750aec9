package unitfiles

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// systemctlPresets runs `systemctl --root=root list-unit-files` and returns
// its name → vendor preset column ("-" where it shows none).
func systemctlPresets(t testing.TB, root string) map[string]string {
	t.Helper()
	bin := testutil.Tool(t, "systemctl", "systemd")
	cmd := exec.Command(bin, "--root="+root, "list-unit-files", "--no-pager", "--no-legend")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER="}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("systemctl: %v: %s", err, stderr.String())
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("list-unit-files row %q has no preset column", line)
		}
		out[f[0]] = f[2]
	}
	return out
}

func listPresets(t testing.TB, root string) map[string]string {
	t.Helper()
	p, problems := ReadPresets(root, SystemPresetDirs)
	for _, err := range problems {
		t.Logf("problem: %v", err)
	}
	files, _ := List(root, SystemPaths())
	out := map[string]string{}
	for _, f := range files {
		out[f.Name()] = "-"
		if ShowPreset(f.State) {
			out[f.Name()] = p.State(f.Name())
		}
	}
	return out
}

// TestPresetsMatchSystemctl: presets from files overriding each other by
// name across directories, a masked preset file, globs, first match
// winning, templates, and units no rule names, against systemctl --root.
func TestPresetsMatchSystemctl(t *testing.T) {
	root := t.TempDir()
	files := maps.Clone(everyState)
	const (
		usrPreset = "usr/lib/systemd/system-preset/"
		etcPreset = "etc/systemd/system-preset/"
	)
	maps.Copy(files, map[string]string{
		usrPreset + "90-vendor.preset": "# vendor\nenable enabled-*\ndisable disabled.service\nenable masked*.service\n; comment\ndisable *\n",
		usrPreset + "50-early.preset":  "enable disabled.service\n",
		usrPreset + "80-masked.preset": "disable enabled-*\n",
		etcPreset + "80-masked.preset": "->/dev/null",
		etcPreset + "95-local.preset":  "enable linked*\n",
		usr + "tmpl@.service":          "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
		usr + "plain.service":          "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	})
	tree(t, root, files)
	want := systemctlPresets(t, root)
	got := listPresets(t, root)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("presets differ from systemctl --root (-systemctl +ours):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, v := range want {
		seen[v] = true
	}
	if !seen["enabled"] || !seen["disabled"] || !seen["-"] {
		t.Errorf("the tree does not exercise every preset: %v", seen)
	}
}

func TestPresetsMachineRoot(t *testing.T) {
	want := systemctlPresets(t, "/")
	if diff := cmp.Diff(want, listPresets(t, "/")); diff != "" {
		t.Errorf("presets differ from systemctl --root=/ (-systemctl +ours):\n%s", diff)
	}
	t.Logf("%d unit files' presets agree with systemctl --root=/", len(want))
}

func FuzzReadPresets(f *testing.F) {
	f.Add([]byte("enable a.service\ndisable *\n"))
	f.Add([]byte("# c\n; c\n\nenable  x@.service  a b\nbogus\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		root := t.TempDir()
		if err := os.MkdirAll(root+"/usr/lib/systemd/system-preset", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(root+"/usr/lib/systemd/system-preset/50-x.preset", b, 0o644); err != nil {
			t.Fatal(err)
		}
		p, _ := ReadPresets(root, SystemPresetDirs)
		if len(p.rules) > len(b) {
			t.Fatalf("%d rules from %d bytes", len(p.rules), len(b))
		}
		_ = p.State("a.service")
	})
}
