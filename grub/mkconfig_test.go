package grub

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The testdata/mkconfig/*.cfg files were written by Debian 12's own
// grub-mkconfig (GRUB 2.06-13) from the CASE.default files beside them, and
// the *.grubenv files by grub-editenv; gen.sh regenerates them. They are the
// oracle for the GRUB semantics: what grub-mkconfig writes for GRUB_DEFAULT
// set to an index, a "1>2" path, a title path, an id, "saved" (with
// grub-set-default and grub-reboot state), an out-of-range index, and with
// submenus disabled.
func TestMkconfigResolve(t *testing.T) {
	const (
		k13 = "/vmlinuz-6.1.0-13-amd64"
		k12 = "/vmlinuz-6.1.0-12-amd64"
	)
	tests := []struct {
		cfg, env string
		entries  int
		defFrom  string
		next     string // Index
		kernel   string
		source   string
		fallback bool
		timeout  int
	}{
		{"debian", "", 5, "config", "0", k13, "default", false, 5},
		{"saved", "", 5, "saved_entry", "0", k13, "saved_entry", true, 3},
		{"saved", "saved-path", 5, "saved_entry", "1>2", k12, "saved_entry", false, 3},
		{"saved", "saved-title", 5, "saved_entry", "1>3", k12, "saved_entry", false, 3},
		{"saved", "next-entry", 5, "next_entry", "1>1", k13, "next_entry", false, 3},
		{"debian", "next-entry", 5, "next_entry", "1>1", k13, "next_entry", false, 5},
		{"path", "", 5, "config", "1>2", k12, "default", false, 0},
		{"title", "", 5, "config", "1>3", k12, "default", false, 10},
		{"flat", "", 2, "config", "0", k13, "default", true, -1},
		{"outofrange", "", 5, "config", "0", k13, "default", true, 5},
		{"id", "", 4, "config", "2", k12, "default", false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.cfg+"+"+tt.env, func(t *testing.T) {
			cfg := parseMkconfig(t, tt.cfg, tt.env)
			r := Resolve(cfg, LoaderVars{})
			if len(cfg.Entries) != tt.entries || cfg.DefaultFrom != tt.defFrom {
				t.Errorf("%d entries, default from %q; want %d, %q", len(cfg.Entries), cfg.DefaultFrom, tt.entries, tt.defFrom)
			}
			if cfg.Timeout == nil || *cfg.Timeout != tt.timeout {
				t.Errorf("timeout %v, want %d", cfg.Timeout, tt.timeout)
			}
			if r.Entry == nil {
				t.Fatalf("nothing resolved: %s", r.Reason)
			}
			if r.Entry.Index != tt.next || r.Entry.Kernel != tt.kernel || r.Source != tt.source || r.Fallback != tt.fallback {
				t.Errorf("got %s %s source %s fallback %v; want %s %s %s %v (%s)",
					r.Entry.Index, r.Entry.Kernel, r.Source, r.Fallback, tt.next, tt.kernel, tt.source, tt.fallback, r.Reason)
			}
			if len(cfg.Warnings) != 0 {
				t.Errorf("warnings on grub-mkconfig output: %q", cfg.Warnings)
			}
		})
	}
}

// mkconfigFixture reads a file of testdata/mkconfig.
func mkconfigFixture(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "mkconfig", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseMkconfig(t *testing.T, name, env string) *Config {
	t.Helper()
	var opts ConfigOptions
	if env != "" {
		var err error
		if opts.Env, err = ParseEnv(mkconfigFixture(t, env+".grubenv")); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := ParseConfig(mkconfigFixture(t, name+".cfg"), opts)
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	return cfg
}

// TestMkconfigGolden compares the whole parse of each generated grub.cfg
// with a reviewed golden JSON file (go test -update rewrites them).
func TestMkconfigGolden(t *testing.T) {
	cfgs, _ := filepath.Glob(filepath.Join("testdata", "mkconfig", "*.cfg"))
	if len(cfgs) == 0 {
		t.Fatal("no generated configurations")
	}
	for _, f := range cfgs {
		name := strings.TrimSuffix(filepath.Base(f), ".cfg")
		t.Run(name, func(t *testing.T) {
			cfg := parseMkconfig(t, name, "")
			r := Resolve(cfg, LoaderVars{})
			testutil.GoldenJSON(t, filepath.Join("testdata", "mkconfig", name+".golden.json"), struct {
				Config     *Config    `json:"config"`
				Resolution Resolution `json:"resolution"`
			}{cfg, r}, *update)
		})
	}
}

// TestMkconfigArgs checks the kernel command lines GRUB builds from what
// grub-mkconfig wrote: GRUB_CMDLINE_LINUX's single-quoted word reaches the
// kernel double-quoted (grub_create_loader_cmdline), and "\$literal" in
// /etc/default/grub becomes an unset GRUB variable that expands to nothing.
func TestMkconfigArgs(t *testing.T) {
	tests := []struct {
		cfg, index, args string
	}{
		{"debian", "0", `root=/dev/sda1 ro console=ttyS0,115200n8 "dyndbg=file x.c +p" quiet`},
		{"debian", "1>1", `root=/dev/sda1 ro single console=ttyS0,115200n8 "dyndbg=file x.c +p"`},
		{"path", "1>2", `root=/dev/sda1 ro "root_opts=x y" quiet`},
		{"title", "1>3", `root=/dev/sda1 ro single audit=1 apparmor=0`},
		{"flat", "1", `root=/dev/sda1 ro quiet`},
	}
	for _, tt := range tests {
		cfg := parseMkconfig(t, tt.cfg, "")
		found := false
		for _, e := range cfg.Entries {
			if e.Index == tt.index {
				found = true
				if e.Args != tt.args {
					t.Errorf("%s %s: args %q, want %q", tt.cfg, tt.index, e.Args, tt.args)
				}
				if len(e.Initrd) != 1 || !strings.HasPrefix(e.Initrd[0], "/initrd.img-6.1.0-1") {
					t.Errorf("%s %s: initrd %q", tt.cfg, tt.index, e.Initrd)
				}
			}
		}
		if !found {
			t.Errorf("%s: no entry %s", tt.cfg, tt.index)
		}
	}
}

// TestParseDefaultsShellOracle compares ParseDefaults with what sh itself
// assigns when it sources each /etc/default/grub used for the fixtures.
func TestParseDefaultsShellOracle(t *testing.T) {
	sh := testutil.Tool(t, "sh", "dash")
	files, _ := filepath.Glob(filepath.Join("testdata", "mkconfig", "*.default"))
	own, _ := filepath.Glob(filepath.Join("testdata", "defaults", "*"))
	files = append(files, own...)
	keys := []string{"GRUB_DEFAULT", "GRUB_TIMEOUT", "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_DISABLE_SUBMENU", "GRUB_SAVEDEFAULT"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseDefaults(data)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v", f, err)
		}
		script := ". \"$1\" >/dev/null 2>&1; for k in " + strings.Join(keys, " ") + "; do eval \"printf '%s=%s\\n' \\\"\\$k\\\" \\\"\\${$k-<unset>}\\\"\"; done"
		out := testutil.Run(t, "", sh, "-c", script, "sh", f)
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			k, want, _ := strings.Cut(line, "=")
			got, ok := d.Vars[k]
			if !ok {
				got = "<unset>"
			}
			if got != want {
				t.Errorf("%s: %s = %q, sh says %q", filepath.Base(f), k, got, want)
			}
		}
	}
}
