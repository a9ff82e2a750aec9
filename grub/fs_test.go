package grub

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFSSeparateBootStub walks the hand-made tree testdata/fs/sep-boot-efi-stub:
// the firmware's grub.cfg on the EFI system partition loads the real one on
// a separate /boot with configfile; grubenv is an absolute symbolic link
// into the ESP (as on Fedora) whose next_entry names a kernel that is not
// installed; a sourced file adds an entry.
func TestFSSeparateBootStub(t *testing.T) {
	fsys := NewFS(filepath.Join("testdata", "fs", "sep-boot-efi-stub"))
	for _, load := range []func() (*Config, error){
		func() (*Config, error) { return fsys.GRUBFrom("boot/efi/EFI/debian/grub.cfg", "efi") },
		func() (*Config, error) { return fsys.Load("efi") },
	} {
		cfg, err := load()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ConfigPath != "boot/grub/grub.cfg" {
			t.Errorf("ConfigPath %q", cfg.ConfigPath)
		}
		var got []string
		for _, e := range cfg.Entries {
			got = append(got, e.Index+" "+e.ID)
		}
		want := []string{"0 gnulinux-simple", "1>0 gnulinux-6.1.0-13-amd64-advanced", "1>1 gnulinux-6.1.0-12-amd64-advanced", "2 rescue"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("-want +got:\n%s", diff)
		}
		if cfg.NextEntry != "gnulinux-advanced>gnulinux-6.1.0-12-amd64-advanced" || cfg.SavedEntry != "gnulinux-advanced>gnulinux-6.1.0-13-amd64-advanced" {
			t.Errorf("next %q saved %q", cfg.NextEntry, cfg.SavedEntry)
		}
		r := Resolve(cfg, LoaderVars{})
		if r.Entry == nil || r.Entry.Index != "1>1" || r.Source != "next_entry" {
			t.Fatalf("resolved %+v", r)
		}
		installed, _ := fsys.InstalledKernels()
		kc := CheckKernel(r.Entry, installed)
		if kc == nil || !kc.Missing {
			t.Errorf("the one-shot kernel 6.1.0-12 is not installed: %+v", kc)
		}
		if kc := CheckKernel(&cfg.Entries[0], installed); kc.Missing || kc.Path != "/boot/vmlinuz-6.1.0-13-amd64" {
			t.Errorf("installed kernel: %+v", kc)
		}
	}
	env, path, err := fsys.Env()
	if err != nil || path != "boot/grub/grubenv" || env.Get("next_entry") == "" {
		t.Errorf("Env: %q %v %+v", path, err, env)
	}
	d, err := fsys.Defaults()
	if err != nil || d.DefaultKind != "saved" || d.CmdlineLinux != "root=UUID=5c0c2cd1" {
		t.Errorf("Defaults: %+v %v", d, err)
	}
}

func TestFSNothing(t *testing.T) {
	fsys := NewFS(t.TempDir())
	if _, err := fsys.Load(""); !errors.Is(err, ErrNoConfig) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load: %v", err)
	}
	if _, _, err := fsys.Env(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Env: %v", err)
	}
	if _, err := fsys.Defaults(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Defaults: %v", err)
	}
}
