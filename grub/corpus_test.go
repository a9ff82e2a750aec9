package grub

import (
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// TestURootLayouts loads each of u-root's on-disk layouts through FS and
// checks the menu, the default and the kernel that boots next.
func TestURootLayouts(t *testing.T) {
	base := testutil.Shared(t, "grub", "u-root", "grub", "testdata_new")
	tests := []struct {
		dir        string
		configPath string
		entries    int
		submenus   int
		bls        bool
		defFrom    string
		def        string
		nextIndex  string // Entry.Index of the entry that boots next
		nextKernel string
		fallback   bool
	}{
		{"CentOS_7_x86_64_DVD_1810", "EFI/BOOT/grub.cfg", 4, 1, false, "config", "1", "1", "/images/pxeboot/vmlinuz", false},
		{"CentOS_7_x86_64_DVD_1810_efi_install_sda1", "EFI/centos/grub.cfg", 2, 0, false, "saved_entry", "", "0", "/vmlinuz-3.10.0-957.el7.x86_64", true},
		{"CentOS_7_x86_64_DVD_1810_legacy_install_sda1", "grub2/grub.cfg", 2, 0, false, "saved_entry", "", "0", "/vmlinuz-3.10.0-957.el7.x86_64", true},
		{"CentOS_8_Stream_x86_64_blscfg_sda1", "EFI/centos/grub.cfg", 3, 1, true, "saved_entry", "9af7b02ac08149d985841c07c8ff366e-5.18.0", "0", "/boot/vmlinuz-5.18.0", false},
		{"debian_10_4_installed", "boot/grub/grub.cfg", 3, 1, false, "config", "0", "0", "/boot/vmlinuz-4.19.0-9-amd64", false},
		{"debian_9_install", "boot/grub/grub.cfg", 80, 1, false, "unset", "", "0", "/live/vmlinuz-4.9.0-3-amd64", false},
		{"fedora_27_install", "EFI/BOOT/grub.cfg", 3, 1, false, "config", "1", "1", "/images/pxeboot/vmlinuz", false},
		{"qubes_3_2_boot", "grub2/grub.cfg", 13, 3, false, "config", "0", "0", "/vmlinuz-4.4.67-13.pvops.qubes.x86_64", false},
		{"rhel_7_8_another", "boot/grub2/grub.cfg", 2, 0, false, "saved_entry", "", "0", "/boot/vmlinuz-3.10.0-1127.el7.x86_64", true},
		{"rhel_7_8_installed", "grub2/grub.cfg", 3, 0, false, "saved_entry", "", "0", "/vmlinuz-3.10.0-1127.el7.x86_64", true},
		{"ubuntu_16_04_boot", "grub/grub.cfg", 8, 1, false, "config", "0", "0", "/vmlinuz-4.10.0-42-generic.efi.signed", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			cfg, err := NewFS(filepath.Join(base, tt.dir)).Load("")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			r := Resolve(cfg, LoaderVars{})
			t.Logf("%d entries %d sub bls=%v, default %q from %s: %s", len(cfg.Entries), len(cfg.Submenus), cfg.BLS, cfg.DefaultEntry, cfg.DefaultFrom, r.Reason)
			if r.Entry != nil {
				t.Logf("next %s %s fallback=%v", r.Entry.Index, r.Entry.LinuxKernel(), r.Fallback)
			}
			if cfg.ConfigPath != tt.configPath {
				t.Errorf("ConfigPath = %q, want %q", cfg.ConfigPath, tt.configPath)
			}
			if len(cfg.Entries) != tt.entries || len(cfg.Submenus) != tt.submenus {
				t.Errorf("%d entries and %d submenus, want %d and %d", len(cfg.Entries), len(cfg.Submenus), tt.entries, tt.submenus)
			}
			if cfg.BLS != tt.bls || cfg.DefaultFrom != tt.defFrom || cfg.DefaultEntry != tt.def {
				t.Errorf("bls=%v default %q from %q, want bls=%v %q from %q", cfg.BLS, cfg.DefaultEntry, cfg.DefaultFrom, tt.bls, tt.def, tt.defFrom)
			}
			if r.Entry == nil {
				t.Fatalf("no entry resolved: %s", r.Reason)
			}
			if r.Entry.Index != tt.nextIndex || r.Entry.LinuxKernel() != tt.nextKernel || r.Fallback != tt.fallback {
				t.Errorf("next = %s %s fallback=%v, want %s %s fallback=%v", r.Entry.Index, r.Entry.LinuxKernel(), r.Fallback, tt.nextIndex, tt.nextKernel, tt.fallback)
			}
		})
	}
}

// urootBoot is one element of u-root's NAME.json.
type urootBoot struct {
	Name    string `json:"name"`
	Cmdline string `json:"cmdline"`
	Type    string `json:"image_type"`
	Kernel  struct {
		URL  string `json:"url"`
		Name string `json:"name"`
	} `json:"kernel"`
	Initrd struct {
		URL  string `json:"url"`
		Name string `json:"name"`
	} `json:"initrd"`
}

func (u urootBoot) kernel() string { return firstNonEmpty(u.Kernel.URL, u.Kernel.Name) }
func (u urootBoot) initrd() string { return firstNonEmpty(u.Initrd.URL, u.Initrd.Name) }

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestURootLayoutsAgainstJSON compares every Linux entry with u-root's own
// parse (a weak oracle): for each u-root boot image there must be an entry
// with the same kernel file name, initrd file name and command line.
// Deliberate differences, normalised here: u-root resolves paths to files
// (we keep GRUB's path and compare base names), u-root keeps a trailing
// blank where an empty variable expanded (GRUB drops the empty word), u-root
// appends the BLS version to the title, and u-root lists multiboot entries
// separately (compared through their first module).
func TestURootLayoutsAgainstJSON(t *testing.T) {
	base := testutil.Shared(t, "grub", "u-root", "grub", "testdata_new")
	jsons, _ := filepath.Glob(filepath.Join(base, "*.json"))
	if len(jsons) == 0 {
		t.Fatal("no u-root JSON files")
	}
	matched, total := 0, 0
	for _, j := range jsons {
		name := strings.TrimSuffix(filepath.Base(j), ".json")
		dir := filepath.Join(base, name)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		data, err := os.ReadFile(j)
		if err != nil {
			t.Fatal(err)
		}
		var want []urootBoot
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", j, err)
		}
		cfg, err := NewFS(dir).Load("")
		if err != nil {
			t.Errorf("%s: Load: %v", name, err)
			continue
		}
		type key struct{ kernel, initrd, args string }
		var have []key
		for _, e := range cfg.Entries {
			initrd := ""
			if len(e.Initrd) > 0 {
				initrd = path.Base(e.Initrd[0])
			}
			if e.Kind == KindLinux {
				have = append(have, key{path.Base(e.Kernel), initrd, e.Args})
			}
		}
		for _, u := range want {
			if u.Type != "linux" {
				continue
			}
			total++
			initrd := ""
			if u.initrd() != "" {
				initrd = path.Base(u.initrd())
			}
			args, prefixOnly := normaliseURoot(u.Cmdline)
			k := key{path.Base(u.kernel()), initrd, args}
			found := false
			for _, h := range have {
				if h.kernel == k.kernel && h.initrd == k.initrd &&
					(h.args == k.args || (prefixOnly && strings.HasPrefix(h.args, k.args))) {
					found = true
					break
				}
			}
			if found {
				matched++
				continue
			}
			t.Errorf("%s: u-root entry %q (%+v) not among ours", name, u.Name, k)
		}
	}
	t.Logf("%d of %d u-root Linux boot images matched", matched, total)
}

// TestGrubbyConfigs checks grubby's grub2-mkconfig outputs, alone and
// with the grubenv files grubby's tests pair them with.
func TestGrubbyConfigs(t *testing.T) {
	dir := testutil.Shared(t, "grub", "grubby")
	type want struct {
		entries, submenus int
		defFrom, def      string
		next              string // Index of the entry that boots next
		kernel            string
		fallback          bool
	}
	saved := func(n, sub int, next, kernel string, fb bool) want {
		return want{n, sub, "saved_entry", "", next, kernel, fb}
	}
	zero := func(n, sub int, kernel string) want {
		return want{n, sub, "config", "0", "0", kernel, false}
	}
	const (
		k3838  = "/vmlinuz-2.6.38.8-32.fc15.x86_64"
		k3829  = "/vmlinuz-2.6.38.2-9.fc15.x86_64"
		kNew   = "/new-kernel.img"
		kF21b6 = "/boot6/vmlinuz-3.15.0-0.rc7.git2.1.fc21.x86_64"
		kF21r4 = "/root4/boot/vmlinuz-3.15.0-0.rc7.git2.1.fc21.x86_64"
	)
	tests := map[string]want{
		"grub2.1":  zero(2, 0, k3838),
		"grub2.2":  zero(3, 0, kNew),
		"grub2.3":  zero(4, 0, kNew),
		"grub2.4":  zero(2, 0, kNew), // "submenu {" has no title: GRUB adds neither it nor its entries
		"grub2.5":  saved(4, 1, "0", "/vmlinuz-3.3.0-0.rc4.git1.4.fc17.x86_64", true),
		"grub2.6":  zero(2, 0, k3838),
		"grub2.7":  saved(2, 0, "0", k3838, true),
		"grub2.8":  saved(3, 0, "0", kNew, true),
		"grub2.9":  saved(3, 0, "0", kNew, true),
		"grub2.10": zero(2, 0, k3838),
		"grub2.11": zero(3, 0, kNew),
		"grub2.12": zero(1, 0, k3829),
		"grub2.13": zero(1, 0, k3829),
		"grub2.14": saved(1, 0, "0", "/vmlinuz-3.15.0-0.rc5.git2.10.fc21.x86_64", true),
		"grub2.15": saved(1, 0, "0", "/vmlinuz-3.15.0-0.rc5.git2.10.fc21.x86_64", true),
		"grub2.16": saved(3, 0, "0", "/vmlinuz-3.10.0-297.el7.x86_64", true),
		"grub2.18": saved(3, 0, "0", "/vmlinuz-3.10.0-327.22.2.el7.x86_64.debug", true),
		"grub2.19": saved(3, 0, "0", k3829, true),
		"grub2.20": saved(2, 0, "0", kF21b6, true),
		"grub2.21": saved(3, 0, "0", "/boot6/new-kernel.img", true),
		"grub2.22": saved(2, 0, "0", kF21r4, true),
		"grub2.23": saved(3, 0, "0", "/root4/boot/new-kernel.img", true),
		"grub2.24": saved(2, 0, "0", kF21b6, true),
		"grub2.25": saved(2, 0, "0", kF21r4, true),
	}
	files, _ := filepath.Glob(filepath.Join(dir, "grub2.*"))
	if len(files) != len(tests) {
		t.Errorf("%d grub2.* files, %d expectations", len(files), len(tests))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			w, ok := tests[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := ParseConfig(data, ConfigOptions{})
			if err != nil {
				t.Errorf("ParseConfig: %v (warnings %q)", err, cfg.Warnings)
			}
			r := Resolve(cfg, LoaderVars{})
			got := want{len(cfg.Entries), len(cfg.Submenus), cfg.DefaultFrom, cfg.DefaultEntry, "", "", r.Fallback}
			if r.Entry != nil {
				got.next, got.kernel = r.Entry.Index, r.Entry.Kernel
			}
			if diff := cmp.Diff(w, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("-want +got:\n%s\nreason: %s", diff, r.Reason)
			}
			for _, e := range cfg.Entries {
				if e.Kind == KindLinux && (e.Kernel == "" || e.Args == "") {
					t.Errorf("entry %s %q: kernel %q args %q", e.Index, e.Title, e.Kernel, e.Args)
				}
			}
		})
	}
}

// TestGrubbyWithGrubenv pairs saved-default configurations with grubby's
// grubenv files: saved_entry selects by title, or falls back to entry 0
// when no title matches.
func TestGrubbyWithGrubenv(t *testing.T) {
	dir := testutil.Shared(t, "grub", "grubby")
	tests := []struct {
		cfg, env string
		next     string
		source   string
		fallback bool
	}{
		// grubenv.1 saves entry 0's title.
		{"grub2.7", "grubenv.1", "0", "saved_entry", false},
		// grubenv.1's title is entry 1 in grub2.8.
		{"grub2.8", "grubenv.1", "1", "saved_entry", false},
		// grubenv.3 names a title that grub2.18 does not have ("with
		// debugging" appended): GRUB boots the first entry.
		{"grub2.18", "grubenv.3", "0", "saved_entry", true},
		// grubenv.2 saves "title", entry 0 of grub2.8.
		{"grub2.8", "grubenv.2", "0", "saved_entry", false},
		// grubenv.4 is malformed (1025 bytes) but readable, as in GRUB.
		{"grub2.19", "grubenv.4", "2", "saved_entry", false},
	}
	for _, tt := range tests {
		t.Run(tt.cfg+"+"+tt.env, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.cfg))
			if err != nil {
				t.Fatal(err)
			}
			envData, err := os.ReadFile(filepath.Join(dir, tt.env))
			if err != nil {
				t.Fatal(err)
			}
			env, _ := ParseEnv(envData)
			cfg, err := ParseConfig(data, ConfigOptions{Env: env})
			if err != nil {
				t.Fatal(err)
			}
			r := Resolve(cfg, LoaderVars{})
			if r.Entry == nil {
				t.Fatalf("nothing resolved: %s", r.Reason)
			}
			if r.Entry.Index != tt.next || r.Source != tt.source || r.Fallback != tt.fallback {
				t.Errorf("got %s from %s fallback=%v (%s), want %s from %s fallback=%v",
					r.Entry.Index, r.Source, r.Fallback, r.Reason, tt.next, tt.source, tt.fallback)
			}
			if cfg.SavedEntry != env.Get("saved_entry") {
				t.Errorf("SavedEntry %q, grubenv %q", cfg.SavedEntry, env.Get("saved_entry"))
			}
		})
	}
}

// normaliseURoot cuts a u-root command line at the first variable u-root
// left unexpanded ("${loopback}", "$vt_handoff"): GRUB expands it (to "findiso=" in Debian's
// live image, whose $iso_path is unset; vt_handoff is set by the gfxmode
// function, so we report it as unknown), so only the part before it can be
// compared. It also drops the trailing blank u-root keeps where an empty
// variable expanded.
func normaliseURoot(cmdline string) (string, bool) {
	var out []string
	for _, w := range strings.Fields(cmdline) {
		if strings.Contains(w, "$") {
			return strings.Join(out, " "), true
		}
		out = append(out, w)
	}
	return strings.Join(out, " "), false
}

// TestISOLayouts loads the live ISO layouts, starting where firmware would
// (the EFI directory's grub.cfg, which only loads the real one with
// configfile) when there is one, and compares with u-root's parse.
func TestISOLayouts(t *testing.T) {
	base := testutil.Shared(t, "grub", "u-root", "iso", "testdata")
	tests := []struct {
		dir, start, configPath string
		entries                int
		nextKernel             string
	}{
		{"Fedora-Workstation-Live-43-1.6.x86_64", "EFI/fedora/grub.cfg", "boot/grub2/grub.cfg", 3, "(${root})/boot/x86_64/loader/linux"},
		{"openSUSE-Tumbleweed-GNOME-Live-x86_64-Current", "EFI/BOOT/grub.cfg", "boot/grub2/grub.cfg", 4, "(${root})/boot/x86_64/loader/linux"},
		{"debian-live-13.4.0-amd64-gnome", "", "boot/grub/grub.cfg", 4, "/live/vmlinuz-6.12.73+deb13-amd64"},
		{"ubuntu-25.10-desktop-amd64", "", "boot/grub/grub.cfg", 4, "/casper/vmlinuz"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			fsys := NewFS(filepath.Join(base, tt.dir))
			var cfg *Config
			var err error
			if tt.start != "" {
				cfg, err = fsys.GRUBFrom(tt.start, "efi")
			} else {
				cfg, err = fsys.GRUB("efi")
			}
			if tt.dir == "Fedora-Workstation-Live-43-1.6.x86_64" {
				// Fedora defines functions inside an if, which upstream
				// GRUB's grammar (and Debian's grub-script-check: "Syntax
				// error at line 6") rejects; the rest still parses.
				if !errors.Is(err, ErrMalformed) || !strings.Contains(strings.Join(cfg.Warnings, "\n"), "line 6: function definition inside") {
					t.Errorf("err %v, warnings %q", err, cfg.Warnings)
				}
			} else if err != nil {
				t.Fatalf("%v (warnings %q)", err, cfg.Warnings)
			}
			if len(cfg.Entries) != tt.entries {
				t.Errorf("%d entries, want %d", len(cfg.Entries), tt.entries)
			}
			if r := Resolve(cfg, LoaderVars{}); r.Entry == nil || r.Entry.LinuxKernel() != tt.nextKernel {
				t.Errorf("next %+v, want kernel %s", r.Entry, tt.nextKernel)
			}
			if cfg.ConfigPath != tt.configPath {
				t.Errorf("ConfigPath %q, want %q (warnings %q)", cfg.ConfigPath, tt.configPath, cfg.Warnings)
			}
			r := Resolve(cfg, LoaderVars{})
			t.Logf("%d entries, default %q: %s", len(cfg.Entries), cfg.DefaultEntry, r.Reason)
			if r.Entry != nil {
				t.Logf("next %s %s %q", r.Entry.Index, r.Entry.Kernel, r.Entry.Args)
			}
			for _, w := range cfg.Warnings {
				t.Logf("warning: %s", w)
			}
		})
	}
}
