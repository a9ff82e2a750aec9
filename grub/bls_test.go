package grub

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

func TestBLSCorpus(t *testing.T) {
	dir := testutil.Shared(t, "grub", "u-root", "bls", "testdata")
	// fedora_32 is an EFI system partition with systemd-boot's
	// loader.conf ("default de8380606ce44a2dabad127eb049acbe-*"): both
	// entries have the same version, so the file name decides, newest
	// first, and the default glob picks the first match.
	cfg, err := NewFS(filepath.Join(dir, "fedora_32")).Load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Loader != LoaderSystemdBoot || cfg.ConfigPath != "loader/loader.conf" || cfg.DefaultEntry != "de8380606ce44a2dabad127eb049acbe-*" {
		t.Errorf("loader %q path %q default %q", cfg.Loader, cfg.ConfigPath, cfg.DefaultEntry)
	}
	wantIDs := []string{"de8380606ce44a2dabad127eb049acbe-5.6.6-300.fc32.x86_64", "de8380606ce44a2dabad127eb049acbe-0-rescue"}
	var ids []string
	for _, e := range cfg.Entries {
		ids = append(ids, e.ID)
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("order -want +got:\n%s", diff)
	}
	r := Resolve(cfg, LoaderVars{})
	if r.Entry == nil || r.Entry.ID != wantIDs[0] || r.Source != "loader_conf" {
		t.Fatalf("resolved %+v", r)
	}
	if r.Entry.Kernel != "/de8380606ce44a2dabad127eb049acbe/5_6_6_300_fc32_x86_64/linux" ||
		r.Entry.Args != "root=UUID=b0b50629-c323-40de-9b01-05632be6dbd4 ro resume=UUID=abf0a2b5-f8db-411b-b534-1a431c63fbc0 console=ttyS0" {
		t.Errorf("entry %+v", r.Entry)
	}
	// The EFI variables beat loader.conf: one-shot first, then default.
	r = Resolve(cfg, LoaderVars{OneShot: wantIDs[1] + ".conf", Default: wantIDs[0] + ".conf"})
	if r.Entry.ID != wantIDs[1] || r.Source != "loader_entry_oneshot" {
		t.Errorf("oneshot: %+v", r)
	}
	r = Resolve(cfg, LoaderVars{Default: wantIDs[1] + ".conf"})
	if r.Entry.ID != wantIDs[1] || r.Source != "loader_entry_default" {
		t.Errorf("default: %+v", r)
	}
	r = Resolve(cfg, LoaderVars{Default: "gone.conf"})
	if r.Entry.ID != wantIDs[0] || r.Source != "loader_conf" || !strings.Contains(r.Reason, "gone.conf") {
		t.Errorf("stale LoaderEntryDefault: %+v", r)
	}

	// madeup: two options lines are one command line (u-root keeps only
	// the last, a deliberate difference); an entry without linux has no
	// kernel.
	data, err := os.ReadFile(filepath.Join(dir, "madeup", "loader", "entries", "entry-1.conf"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseBLSEntry("entry-1", data)
	if err != nil {
		t.Fatal(err)
	}
	want := BLSEntry{
		ID: "entry-1", Title: "Fedora 19 (Rawhide)", Version: "3.8.0-2.fc19.x86_64",
		MachineID: "6a9857a393724b7a981ebb5b8495b9ea", Linux: "fakefile", Initrd: []string{"fakefile"},
		Options: []string{"root=UUID=6d3376e4-fc93-4509-95ec-a21d68011da2", "earlyprintk=ttyS0"},
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
	if e.CommandLine() != "root=UUID=6d3376e4-fc93-4509-95ec-a21d68011da2 earlyprintk=ttyS0" {
		t.Errorf("CommandLine %q", e.CommandLine())
	}
	data, err = os.ReadFile(filepath.Join(dir, "typeone", "fedora.conf"))
	if err != nil {
		t.Fatal(err)
	}
	e, err = ParseBLSEntry("fedora", data)
	if err != nil || e.SortKey != "fedora" || e.Linux != "/6a9857a393724b7a981ebb5b8495b9ea/3.8.0-2.fc19.x86_64/linux" {
		t.Errorf("typeone: %+v %v", e, err)
	}
}

func TestSortBLSSystemd(t *testing.T) {
	// systemd's own test-bootspec case: sort-key entries first (by key,
	// then machine-id, then version descending), then the rest by file
	// name, newest first.
	in := []BLSEntry{
		{ID: "a-10", Version: "10", MachineID: "dd235d00696545768f6f693bfd23b15f"},
		{ID: "a-5", Version: "5", MachineID: "dd235d00696545768f6f693bfd23b15f"},
		{ID: "b", Version: "3", MachineID: "b75451ad92f94feeab50b0b442768dbd"},
		{ID: "c", SortKey: "xxxx", Version: "5", MachineID: "309de666fd5044268a9a26541ac93176"},
		{ID: "cx", SortKey: "xxxx", Version: "10", MachineID: "309de666fd5044268a9a26541ac93176"},
		{ID: "d", SortKey: "kkkk", Version: "100", MachineID: "81c6e3147cf544c19006af023e22b292"},
	}
	SortBLSSystemd(in)
	var got []string
	for _, e := range in {
		got = append(got, e.ID)
	}
	want := []string{"d", "cx", "c", "b", "a-10", "a-5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
}

func TestSortBLSGrub(t *testing.T) {
	in := []BLSEntry{
		{ID: "m-0-rescue-m", Version: "0-rescue-m"},
		{ID: "m-5.14.0-70.el9", Version: "5.14.0-70.el9"},
		{ID: "m-5.14.0-162.el9", Version: "5.14.0-162.el9"},
		{ID: "noversion"},
	}
	SortBLSGrub(in)
	var got []string
	for _, e := range in {
		got = append(got, e.ID)
	}
	want := []string{"m-5.14.0-162.el9", "m-5.14.0-70.el9", "m-0-rescue-m", "noversion"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
}

func TestParseLoaderConf(t *testing.T) {
	lc, err := ParseLoaderConf([]byte("# comment\ntimeout 3\ndefault  @saved\neditor no\nconsole-mode keep\n"))
	if err != nil {
		t.Fatal(err)
	}
	three := 3
	want := &LoaderConf{Default: "@saved", Timeout: &three, Other: map[string]string{"editor": "no", "console-mode": "keep"}}
	if diff := cmp.Diff(want, lc); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
	lc, err = ParseLoaderConf([]byte("timeout menu-force\n"))
	if err != nil || *lc.Timeout != -1 {
		t.Errorf("menu-force: %v %v", lc.Timeout, err)
	}
	if _, err := ParseLoaderConf([]byte("timeout soon\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad timeout: %v", err)
	}
	// @saved resolves through LoaderEntryLastBooted.
	cfg := SystemdBootConfig(&LoaderConf{Default: "@saved"}, []BLSEntry{{ID: "a", Version: "1"}, {ID: "b", Version: "2"}})
	if r := Resolve(cfg, LoaderVars{LastBooted: "a.conf"}); r.Entry == nil || r.Entry.ID != "a" {
		t.Errorf("@saved: %+v", r)
	}
	if r := Resolve(cfg, LoaderVars{}); r.Entry == nil || r.Entry.ID != "b" || r.Source != "first_entry" {
		t.Errorf("@saved without LastBooted: %+v", r)
	}
}

// TestBrokenDefault pairs CentOS 7's EFI system partition (sda1, grub.cfg)
// with its /boot partition (sda2, the kernels): the default kernel is
// installed; with it removed from the list, CheckKernel reports the broken
// default.
func TestBrokenDefault(t *testing.T) {
	base := testutil.Shared(t, "grub", "u-root", "grub", "testdata_new")
	cfg, err := NewFS(filepath.Join(base, "CentOS_7_x86_64_DVD_1810_efi_install_sda1")).GRUB("efi")
	if err != nil {
		t.Fatal(err)
	}
	installed, err := NewFS(filepath.Join(base, "CentOS_7_x86_64_DVD_1810_efi_install_sda2")).InstalledKernels()
	if err != nil {
		t.Fatal(err)
	}
	wantInstalled := []string{"/vmlinuz-0-rescue-95c8409b55ce443baf15cad9e750348d", "/vmlinuz-3.10.0-957.el7.x86_64"}
	if diff := cmp.Diff(wantInstalled, installed); diff != "" {
		t.Fatalf("InstalledKernels -want +got:\n%s", diff)
	}
	r := Resolve(cfg, LoaderVars{})
	kc := CheckKernel(r.Entry, installed)
	if kc == nil || kc.Missing || kc.Path != "/vmlinuz-3.10.0-957.el7.x86_64" {
		t.Errorf("installed default: %+v", kc)
	}
	kc = CheckKernel(r.Entry, installed[:1])
	if kc == nil || !kc.Missing {
		t.Errorf("removed default: %+v", kc)
	}

	// Path forms GRUB configurations use.
	installedRoot := []string{"/boot/vmlinuz-6.1.0-13-amd64"}
	for _, k := range []string{"/boot/vmlinuz-6.1.0-13-amd64", "/vmlinuz-6.1.0-13-amd64", "($root)/vmlinuz-6.1.0-13-amd64", "(hd0,gpt2)/boot/vmlinuz-6.1.0-13-amd64", "(${root})/boot/vmlinuz-6.1.0-13-amd64"} {
		kc := CheckKernel(&Entry{Kind: KindLinux, Kernel: k}, installedRoot)
		if kc.Missing {
			t.Errorf("%s: missing (candidates %q)", k, kc.Candidates)
		}
	}
	if kc := CheckKernel(&Entry{Kind: KindLinux, Kernel: "/boot/vmlinuz-6.1.0-12-amd64"}, installedRoot); !kc.Missing {
		t.Errorf("absent kernel found: %+v", kc)
	}
	if CheckKernel(&Entry{Kind: KindChainload, Kernel: "+1"}, installedRoot) != nil {
		t.Error("chainload entry checked")
	}
}
