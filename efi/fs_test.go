package efi

import (
	"encoding/json"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeSysfs builds a sysfs root in a temporary directory whose
// firmware/efi/efivars holds symbolic links to the given efivarfs files, so
// the shared corpus is used in place and never copied.
func fakeSysfs(t testing.TB, platformSize string, varFiles ...string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "firmware", "efi", "efivars")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if platformSize != "" {
		if err := os.WriteFile(filepath.Join(root, "firmware", "efi", "fw_platform_size"), []byte(platformSize), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Copies, not links: an absolute link in a sysfs root resolves inside
	// that root, as it would on the host.
	for _, f := range varFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func glob(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v (%d matches)", pattern, err, len(m))
	}
	return m
}

func lenovoSysfs(t testing.TB) string {
	base := testutil.Shared(t, "efivars", "foxboron-go-uefi")
	var files []string
	for _, d := range []string{"boot", "bootorder", "misc", "sigsupport"} {
		files = append(files, glob(t, filepath.Join(base, d, "*"))...)
	}
	return fakeSysfs(t, "", files...)
}

func newFS(t testing.TB, root string) FS {
	t.Helper()
	fs, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func ptr[T any](v T) *T { return &v }

const (
	lenovoESP    = "HD(1,GPT,d78d8c94-d277-4635-a73c-a68cd6ddb6ab,0x800,0xFF801)"
	lenovoVenMsg = "VenMsg(bc7838d2-0f82-4d60-8316-c068ee79d25b,"
)

// TestBootStateLenovo decodes a real laptop's variables. The expected texts
// agree with Debian's libefiboot (TestEfivarOracleLoadOptions) and were read
// off the hex dumps by hand for Boot0000, Boot0010 and Boot0013; the broken
// SetupMode file (xxd text, 57 bytes) must fail alone.
func TestBootStateLenovo(t *testing.T) {
	fs := newFS(t, lenovoSysfs(t))
	got, err := fs.BootState()
	if err != nil {
		t.Fatal(err)
	}
	entry := func(id BootID, attrs uint32, desc, path string) BootEntry {
		o := &LoadOption{Attributes: attrs}
		return BootEntry{ID: id, Description: desc, Active: o.Active(), Hidden: o.Hidden(), Category: o.Category(), DevicePath: path, Attributes: attrs}
	}
	want := &BootState{
		Mode:       ModeUEFI,
		SecureBoot: SecureBootDisabled,
		BootOrder:  []BootID{0x0000, 0x0001, 0x0017, 0x0018, 0x0019, 0x001A, 0x001C, 0x001D, 0x001E, 0x001B, 0x0023},
		BootEntries: []BootEntry{
			entry(0x0000, 0x1, "Linux-Firmware-Updater", lenovoESP+`/\EFI\arch\fwupdx64.efi`),
			entry(0x0001, 0x1, "Linux Boot Manager", lenovoESP+`/\EFI\systemd\systemd-bootx64.efi`),
			entry(0x0010, 0x100, "Setup", "FvFile(721c8b66-426c-4e86-8e99-3457c46ab0b9)"),
			entry(0x0011, 0x100, "Boot Menu", "FvFile(126a762d-5758-4fca-8531-201a7f57f850)"),
			entry(0x0012, 0x100, "Diagnostic Splash Screen", "FvFile(a7d8d9a6-6ab0-4aeb-ad9d-163e59a7a380)"),
			entry(0x0013, 0x100, "Lenovo Diagnostics", "FvFile(3f7e615b-0d45-4f80-88dc-26b234958560)"),
			entry(0x0014, 0x108, "Startup Interrupt Menu", "FvFile(f46ee6f4-4785-43a3-923d-7f786c3c8479)"),
			entry(0x0015, 0x108, "Rescue and Recovery", "FvFile(665d3f60-ad3e-4cad-8e26-db46eee9f1b5)"),
			entry(0x0016, 0x108, "MEBx Hot Key", "FvFile(ac6fd56a-3d41-4efd-a1b9-870293811a28)"),
			entry(0x0017, 0x0, "USB CD", lenovoVenMsg+"86701296AA5A7848B66CD49DD3BA6A55)"),
			entry(0x0018, 0x0, "USB FDD", lenovoVenMsg+"6FF015A28830B543A8B8641009461E49)"),
			entry(0x0019, 0x0, "NVMe0", lenovoVenMsg+"001C199932D94C4EAE9AA0B6E98EB8A400)"),
			entry(0x001A, 0x0, "ATA HDD0", lenovoVenMsg+"91AF625956449F41A7B91F4F892AB0F600)"),
			entry(0x001B, 0x1, "USB HDD", lenovoVenMsg+"33E821AAAF33BC4789BD419F88C50803)"),
			entry(0x001C, 0x0, "PCI LAN", lenovoVenMsg+"78A84AAF2B2AFC4EA79CF5CC8F3D3803)"),
			entry(0x001D, 0x0, "Other CD", lenovoVenMsg+"AEA2090ADFDE214E8B3A5E471856A35406)"),
			entry(0x001E, 0x0, "Other HDD", lenovoVenMsg+"91AF625956449F41A7B91F4F892AB0F606)"),
			entry(0x001F, 0x9, "USBR BOOT CDROM", "PciRoot(0x0)/Pci(0x14,0x0)/USB(0xB,0x1)"),
			entry(0x0020, 0x9, "USBR BOOT Floppy", "PciRoot(0x0)/Pci(0x14,0x0)/USB(0xB,0x0)"),
			entry(0x0021, 0x9, "ATA HDD", lenovoVenMsg+"91AF625956449F41A7B91F4F892AB0F6)"),
			entry(0x0022, 0x9, "ATAPI CD", lenovoVenMsg+"AEA2090ADFDE214E8B3A5E471856A354)"),
			entry(0x0023, 0x9, "PCI LAN", lenovoVenMsg+"78A84AAF2B2AFC4EA79CF5CC8F3D3803)"),
		},
		Errors: FieldErrors{"SetupMode": ErrMalformed},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("BootState mismatch (-want +got):\n%s", diff)
	}
	// The corpus was chosen for these attribute combinations; say them out
	// loud rather than only through the table above.
	for _, c := range []struct {
		id             BootID
		active, hidden bool
		category       string
	}{
		{0x0014, false, true, "app"},   // hidden application
		{0x0017, false, false, "boot"}, // inactive but in BootOrder
		{0x001F, true, true, "boot"},   // active and hidden
		{0x0010, false, false, "app"},  // inactive application
		{0x0001, true, false, "boot"},  // the OS loader
	} {
		var e *BootEntry
		for j := range got.BootEntries {
			if got.BootEntries[j].ID == c.id {
				e = &got.BootEntries[j]
			}
		}
		if e == nil {
			t.Errorf("Boot%s missing", c.id)
			continue
		}
		if e.Active != c.active || e.Hidden != c.hidden || e.Category != c.category {
			t.Errorf("Boot%s: active=%v hidden=%v category=%s, want %v %v %s", c.id, e.Active, e.Hidden, e.Category, c.active, c.hidden, c.category)
		}
	}

	// The individual readers agree and classify the broken and the missing.
	if sb, err := fs.SecureBoot(); err != nil || sb {
		t.Errorf("SecureBoot() = %v, %v; want false, nil", sb, err)
	}
	if _, err := fs.SetupMode(); !errors.Is(err, ErrMalformed) {
		t.Errorf("SetupMode() error = %v, want ErrMalformed", err)
	}
	if _, err := fs.BootCurrent(); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("BootCurrent() error = %v, want fs.ErrNotExist", err)
	}
	if _, err := fs.LoaderEntryDefault(); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("LoaderEntryDefault() error = %v, want fs.ErrNotExist", err)
	}
	o, err := fs.BootOption(0x0001)
	if err != nil || o.Description != "Linux Boot Manager" {
		t.Errorf("BootOption(1) = %+v, %v", o, err)
	}
	order, err := fs.BootOrder()
	if err != nil || !cmp.Equal(order, want.BootOrder) {
		t.Errorf("BootOrder() = %v, %v", order, err)
	}
}

// TestBootStateOVMF decodes complete variable sets that OVMF wrote under QEMU.
func TestBootStateOVMF(t *testing.T) {
	const fv = "Fv(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/"
	uiApp := BootEntry{ID: 0, Description: "UiApp", Active: true, Hidden: true, Category: "app", DevicePath: fv + "FvFile(462caa21-7614-4503-836e-8ab6f4662331)", Attributes: 0x109}
	shell := func(id BootID) BootEntry {
		return BootEntry{ID: id, Description: "EFI Internal Shell", Active: true, Category: "boot", DevicePath: fv + "FvFile(7c04a583-9e3e-4f1c-ad65-e05268d0b4d1)", Attributes: 0x1}
	}
	boot := func(id BootID, desc, path string) BootEntry {
		return BootEntry{ID: id, Description: desc, Active: true, Category: "boot", DevicePath: path, OptionalDataLen: 16, Attributes: 0x1}
	}
	const nic = "PciRoot(0x0)/Pci(0x2,0x0)/MAC(525400123456,0x1)"
	const dvd = "PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0)"
	base := func(order []BootID, entries ...BootEntry) BootState {
		return BootState{Mode: ModeUEFI, PlatformBits: 64, SecureBoot: SecureBootDisabled, SetupMode: ptr(true), BootOrder: order, BootEntries: entries}
	}
	withCurrent := func(s BootState, id BootID) BootState { s.BootCurrent = &id; return s }
	tests := []struct {
		dir  string
		want BootState
	}{
		{"ovmf-pc", base([]BootID{0}, uiApp)},
		{"ovmf-q35", base([]BootID{0}, uiApp)},
		{"ovmf-q35-ep64", base([]BootID{0}, uiApp)},
		{"ovmf-q35-shellboot", withCurrent(base([]BootID{0, 1, 2, 3}, uiApp,
			boot(1, "UEFI QEMU DVD-ROM QM00005 ", dvd),
			boot(2, "UEFI Misc Device", "PciRoot(0x0)/Pci(0x2,0x0)"),
			shell(3)), 3)},
		{"ovmf-q35-shellboot-nic", withCurrent(base([]BootID{0, 1, 2, 3, 4, 5, 6, 7, 8}, uiApp,
			boot(1, "UEFI QEMU DVD-ROM QM00005 ", dvd),
			boot(2, "UEFI Misc Device", "PciRoot(0x0)/Pci(0x3,0x0)"),
			boot(3, "UEFI PXEv4 (MAC:525400123456)", nic),
			boot(4, "UEFI PXEv4 (MAC:525400123456) 2", nic+"/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)"),
			boot(5, "UEFI PXEv6 (MAC:525400123456)", nic+"/IPv6(::,0x0,Static,::,::,64)"),
			boot(6, "UEFI HTTPv4 (MAC:525400123456)", nic+"/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)/Uri()"),
			boot(7, "UEFI HTTPv6 (MAC:525400123456)", nic+"/IPv6(::,0x0,Static,::,::,64)/Uri()"),
			shell(8)), 8)},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := testutil.Shared(t, "boots", tt.dir)
			size, err := os.ReadFile(filepath.Join(dir, "sys-firmware-efi-fw_platform_size"))
			if err != nil {
				t.Fatal(err)
			}
			fs := newFS(t, fakeSysfs(t, string(size), glob(t, filepath.Join(dir, "efivars", "*"))...))
			got, err := fs.BootState()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("BootState mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBootStateBIOS: the legacy BIOS boots in the corpus have no firmware/efi
// at all.
// TestBootStateBIOS: without firmware/efi this package alone cannot tell a
// legacy BIOS from no firmware at all (the SMBIOS tables tell, see the
// firmware collector), so the mode is unknown, not bios.
func TestBootStateBIOS(t *testing.T) {
	testutil.Shared(t, "boots", "seabios-pc") // the capture has no efivars/: that is the fact under test
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "firmware", "dmi"), 0o755); err != nil {
		t.Fatal(err)
	}
	fs := newFS(t, root)
	got, err := fs.BootState()
	if err != nil {
		t.Fatal(err)
	}
	want := &BootState{Mode: ModeUnknown, SecureBoot: SecureBootUnsupported}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := fs.PlatformBits(); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("PlatformBits() error = %v, want fs.ErrNotExist", err)
	}
}

// TestBootStateEdgeCases covers states the corpus lacks, with hand-made
// variables: Secure Boot on (bytes as the firmware lab documents them), a
// systemd-boot host, a BootNext, malformed variables, efivarfs not mounted.
func TestBootStateEdgeCases(t *testing.T) {
	g := GlobalVariable.String()
	l := LoaderVendor.String()
	utf16z := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return append(b, 0, 0)
	}
	attr := []byte{0x06, 0, 0, 0}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name  string
		vars  map[string][]byte
		want  BootState
		noVar bool // no efivars directory
	}{
		{
			name: "secure boot on, systemd-boot",
			vars: map[string][]byte{
				"SecureBoot-" + g:          cat(attr, []byte{1}),
				"SetupMode-" + g:           cat(attr, []byte{0}),
				"AuditMode-" + g:           cat(attr, []byte{0}),
				"DeployedMode-" + g:        cat(attr, []byte{1}),
				"BootNext-" + g:            cat(attr, []byte{0x1A, 0x00}),
				"LoaderEntryDefault-" + l:  cat(attr, utf16z("arch.conf")),
				"LoaderEntrySelected-" + l: cat(attr, utf16z("arch-fallback.conf")),
				"Bootxyzw-" + g:            cat(attr, []byte{1}), // not a Boot#### name: ignored
				"Boot000a-" + g:            cat(attr, []byte{1}), // lower-case hex is not how firmware names them: ignored
				"SecureBoot-" + MustParseGUID("00000000-0000-0000-0000-000000000001").String(): cat(attr, []byte{7}),
			},
			want: BootState{Mode: ModeUEFI, SecureBoot: SecureBootEnabled, SetupMode: ptr(false), AuditMode: ptr(false), DeployedMode: ptr(true),
				BootNext: ptr(BootID(0x1A)), LoaderEntryDefault: "arch.conf", LoaderEntrySelected: "arch-fallback.conf"},
		},
		{
			name: "every variable broken",
			vars: map[string][]byte{
				"SecureBoot-" + g:         cat(attr, []byte{2}),
				"SetupMode-" + g:          cat(attr, []byte{0, 0}),
				"AuditMode-" + g:          {0x06, 0},
				"BootCurrent-" + g:        cat(attr, []byte{1}),
				"BootOrder-" + g:          cat(attr, []byte{1, 0, 2}),
				"Boot0001-" + g:           cat(attr, []byte{1, 0, 0, 0, 0x10, 0, 'A', 0}), // description without terminator
				"LoaderEntryDefault-" + l: cat(attr, []byte{'a'}),
			},
			want: BootState{Mode: ModeUEFI, SecureBoot: SecureBootUnknown, BootOrder: []BootID{},
				BootEntries: []BootEntry{{ID: 1, Description: "A", Active: true, Category: "boot", Attributes: 1}},
				Errors: FieldErrors{"SecureBoot": ErrMalformed, "SetupMode": ErrMalformed, "AuditMode": ErrMalformed, "BootCurrent": ErrMalformed,
					"BootOrder": ErrMalformed, "Boot0001": ErrMalformed, "LoaderEntryDefault": ErrMalformed}},
		},
		{
			name:  "efivarfs not mounted",
			noVar: true,
			want:  BootState{Mode: ModeUEFI, SecureBoot: SecureBootUnknown, Errors: FieldErrors{"efivars": iofs.ErrNotExist}},
		},
		{
			name: "efivarfs mount point empty",
			vars: map[string][]byte{},
			want: BootState{Mode: ModeUEFI, SecureBoot: SecureBootUnknown, Errors: FieldErrors{"efivars": ErrEfivarfsNotMounted}},
		},
		{
			name: "uefi without the SecureBoot variable is unknown",
			vars: map[string][]byte{"BootOrder-" + g: attr},
			want: BootState{Mode: ModeUEFI, SecureBoot: SecureBootUnknown, BootOrder: []BootID{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "firmware", "efi", "efivars")
			if tt.noVar {
				dir = filepath.Dir(dir)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, b := range tt.vars {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := newFS(t, root).BootState()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got, cmpopts.EquateErrors(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestBootStateUnreadable: a variable that exists but cannot be read is an
// error for that variable only (root bypasses file modes, so a directory in
// place of the file stands in for an unreadable one).
func TestBootStateUnreadable(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "firmware", "efi", "efivars")
	g := GlobalVariable.String()
	if err := os.MkdirAll(filepath.Join(dir, "SetupMode-"+g), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SecureBoot-"+g), []byte{6, 0, 0, 0, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := newFS(t, root).BootState()
	if err != nil {
		t.Fatal(err)
	}
	if got.SecureBoot != SecureBootDisabled || got.SetupMode != nil || got.Errors["SetupMode"] == nil {
		t.Errorf("got %+v, want secure boot disabled and a SetupMode error", got)
	}
	if errors.Is(got.Errors["SetupMode"], iofs.ErrNotExist) || errors.Is(got.Errors["SetupMode"], ErrMalformed) {
		t.Errorf("SetupMode error %v should be a read error", got.Errors["SetupMode"])
	}
}

func TestBootStateJSON(t *testing.T) {
	st := &BootState{Mode: ModeUEFI, PlatformBits: 64, SecureBoot: SecureBootDisabled, SetupMode: ptr(false), BootCurrent: ptr(BootID(3)),
		BootOrder:   []BootID{3, 0x1A},
		BootEntries: []BootEntry{{ID: 3, Description: "Linux", Active: true, Category: "boot", DevicePath: "\\a.efi", OptionalDataLen: 2, Attributes: 1}},
		Errors:      FieldErrors{"AuditMode": ErrMalformed}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mode":"uefi","platform_bits":64,"secure_boot":"disabled","setup_mode":false,"boot_current":"0003","boot_order":["0003","001A"],` +
		`"boot_entries":[{"id":"0003","description":"Linux","active":true,"hidden":false,"category":"boot","device_path":"\\a.efi","optional_data_len":2}],` +
		`"errors":{"AuditMode":"malformed data"}}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

func TestPlatformBits(t *testing.T) {
	for _, tt := range []struct {
		content string
		want    int
		wantErr error
	}{{"64\n", 64, nil}, {"32\n", 32, nil}, {"16\n", 0, ErrMalformed}, {"", 0, ErrMalformed}} {
		fs := newFS(t, fakeSysfs(t, tt.content))
		if tt.content == "" {
			os.WriteFile(fs.sys.Path(efiDir+"/fw_platform_size"), nil, 0o644)
		}
		got, err := fs.PlatformBits()
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("PlatformBits(%q) = %d, %v; want %d, %v", tt.content, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNewFS(t *testing.T) {
	if _, err := NewFS(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("NewFS(absent) error = %v, want fs.ErrNotExist", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := NewFS(f); err == nil {
		t.Error("NewFS(file) succeeded")
	}
}

func TestVariableNames(t *testing.T) {
	fs := newFS(t, lenovoSysfs(t))
	names, err := fs.VariableNames(GlobalVariable)
	if err != nil {
		t.Fatal(err)
	}
	// 22 Boot####, BootOrder, SecureBoot, SetupMode, SignatureSupport, SignatureSupport2.
	if len(names) != 27 {
		t.Errorf("VariableNames = %d names %v, want 27", len(names), names)
	}
}
