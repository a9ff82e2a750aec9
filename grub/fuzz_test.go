package grub

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/grub/script"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// seedFiles adds every file matching the patterns below the shared corpus
// (when present) and this package's testdata to f.
func seedFiles(f *testing.F, shared []string, own []string) int {
	n := 0
	add := func(p string) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
			n++
		}
	}
	if _, err := os.Stat(filepath.Join(testutil.RepoRoot(f), "..", "shared", "testdata")); err == nil || os.Getenv(testutil.EnvSharedTestdata) != "" {
		base := testutil.Shared(f, "grub")
		for _, g := range shared {
			m, _ := filepath.Glob(filepath.Join(base, g))
			for _, p := range m {
				add(p)
			}
		}
	}
	for _, g := range own {
		m, _ := filepath.Glob(g)
		for _, p := range m {
			add(p)
		}
	}
	return n
}

// FuzzParseConfig checks that any grub.cfg parses without panicking, within
// the package's bounds, deterministically, and that every entry it yields
// can be resolved and checked.
func FuzzParseConfig(f *testing.F) {
	seedFiles(f, []string{
		"grubby/grub2.*",
		"u-root/grub/testdata_new/*/*/grub.cfg", "u-root/grub/testdata_new/*/*/*/grub.cfg",
		"u-root/grub/testdata_new/*/*/*/*/grub.cfg", "u-root/iso/testdata/*/*/*/*.cfg",
	}, []string{"testdata/mkconfig/*.cfg"})
	f.Add([]byte("set default=\"1>0\"\nsubmenu s { menuentry a { linux /a $x \"${y}\" } }\nif [ -s $prefix/grubenv ]; then load_env; fi\nblscfg\n"))
	env := &Env{Vars: []EnvVar{{"saved_entry", "1>0"}, {"next_entry", "s>a"}, {"kernelopts", "root=/dev/sda ro"}}}
	bls := []BLSEntry{{ID: "m-6.1", Title: "T", Version: "6.1", Linux: "/vmlinuz-6.1", Options: []string{"$kernelopts quiet"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []ConfigOptions{{}, {Env: env, BLS: bls}} {
			cfg, err := ParseConfig(data, opts)
			if cfg == nil {
				t.Fatalf("nil config (err %v)", err)
			}
			if len(cfg.Entries)+len(cfg.Submenus) > script.MaxEntries+len(bls) || len(cfg.Warnings) > maxWarnings {
				t.Fatalf("%d entries, %d warnings", len(cfg.Entries), len(cfg.Warnings))
			}
			for _, e := range cfg.Entries {
				if len(e.Title) > script.MaxValueLen || len(e.Kernel) > script.MaxValueLen {
					t.Fatalf("unbounded title or kernel: %d, %d bytes", len(e.Title), len(e.Kernel))
				}
				CheckKernel(&e, []string{"/boot/vmlinuz-1"})
			}
			r := Resolve(cfg, LoaderVars{})
			if r.Entry != nil && (r.Index < 0 || r.Index >= len(cfg.Entries) || &cfg.Entries[r.Index] != r.Entry) {
				t.Fatalf("resolution index %d of %d", r.Index, len(cfg.Entries))
			}
			again, _ := ParseConfig(data, opts)
			if !reflect.DeepEqual(cfg, again) {
				t.Fatal("two parses of the same input differ")
			}
		}
	})
}

// FuzzParseEnv checks that any block parses without panicking, that what
// parsed re-encodes (when it fits) to a block that parses to the same
// variables without error, and that List never loses a variable.
func FuzzParseEnv(f *testing.F) {
	seedFiles(f, []string{"grubby/grubenv.*", "u-root/grub/testdata_new/*/EFI/*/grubenv"},
		[]string{"testdata/grubenv/*", "testdata/mkconfig/*.grubenv"})
	f.Fuzz(func(t *testing.T, data []byte) {
		env, _ := ParseEnv(data)
		if env == nil {
			t.Fatal("nil env")
		}
		if strings.Count(env.List(), "=") < len(env.Vars) {
			t.Fatal("List lost a variable")
		}
		enc, err := env.Encode()
		if err != nil {
			return
		}
		if len(enc) != EnvBlockSize {
			t.Fatalf("encoded %d bytes", len(enc))
		}
		back, err := ParseEnv(enc)
		multiline := false
		for _, v := range env.Vars {
			multiline = multiline || strings.ContainsRune(v.Name, '\n')
		}
		if err != nil && !multiline {
			// Only a name GRUB read across a line without '=' may still
			// be reported after re-encoding.
			t.Fatalf("re-parse of an encoded block: %v", err)
		}
		if !reflect.DeepEqual(env.Vars, back.Vars) {
			t.Fatalf("round trip: %q became %q", env.Vars, back.Vars)
		}
	})
}

// FuzzBLS checks BLS entry and loader.conf parsing, systemd-boot ordering and
// resolution with arbitrary EFI variable values.
func FuzzBLS(f *testing.F) {
	seedFiles(f, []string{
		"u-root/bls/testdata/*/loader/entries/*.conf", "u-root/bls/testdata/*/loader/loader.conf",
		"u-root/bls/testdata/typeone/*.conf", "u-root/grub/testdata_new/*/boot/loader/entries/*.conf",
	}, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, _ := ParseBLSEntry("fuzz-1.0", data)
		lc, _ := ParseLoaderConf(data)
		if lc == nil {
			t.Fatal("nil loader.conf")
		}
		other := BLSEntry{ID: "other-2.0", Version: "2.0", Linux: "/k"}
		cfg := SystemdBootConfig(lc, []BLSEntry{e, other, e})
		if len(cfg.Entries) != 3 {
			t.Fatalf("%d entries", len(cfg.Entries))
		}
		s := string(data)
		for _, lv := range []LoaderVars{{}, {OneShot: s}, {Default: s, LastBooted: s}} {
			r := Resolve(cfg, lv)
			if r.Entry == nil || r.Index < 0 || r.Index >= len(cfg.Entries) {
				t.Fatalf("systemd-boot resolution %+v", r)
			}
		}
		if CompareVersions(s, e.Version) != -CompareVersions(e.Version, s) {
			t.Fatalf("CompareVersions not antisymmetric for %q, %q", s, e.Version)
		}
		// GRUB's blscfg path: the entry's values become script text.
		gcfg, _ := ParseConfig([]byte("blscfg\n"), ConfigOptions{BLS: []BLSEntry{e}})
		if gcfg == nil || len(gcfg.Entries) != 1 {
			t.Fatal("blscfg lost the entry")
		}
	})
}

// FuzzParseDefaults checks /etc/default/grub parsing.
func FuzzParseDefaults(f *testing.F) {
	seedFiles(f, nil, []string{"testdata/defaults/*", "testdata/mkconfig/*.default"})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, _ := ParseDefaults(data)
		if d == nil || d.DefaultKind == "" {
			t.Fatal("no defaults")
		}
	})
}
