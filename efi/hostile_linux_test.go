package efi

import (
	"path"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/hostile"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// maxHostileAlloc bounds what reading a tree with one hostile file may
// allocate: a few times the largest limit the package reads with
// (maxVariableSize), and a thousandth of the 1 GiB file.
const maxHostileAlloc = 8 << 20

// hostileSysfs is a sysfs root with a 64-bit UEFI, Secure Boot on, setup
// mode off, BootOrder 0001, and two TPMs.
func hostileSysfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	v := func(data ...byte) string { return string(append([]byte{6, 0, 0, 0}, data...)) }
	g := "-" + GlobalVariable.String()
	testutil.WriteTree(t, root, map[string]string{
		"firmware/efi/fw_platform_size":       "64\n",
		"firmware/efi/efivars/SecureBoot" + g: v(1),
		"firmware/efi/efivars/SetupMode" + g:  v(0),
		"firmware/efi/efivars/BootOrder" + g:  v(1, 0),
		"class/tpm/tpm0/tpm_version_major":    "2\n",
		"class/tpm/tpm0/device/description":   "TPM 2.0 Device\n",
		"class/tpm/tpm1/tpm_version_major":    "2\n",
		"class/tpm/tpm1/device/description":   "TPM 2.0 Device\n",
	})
	return root
}

// TestBootStateHostileFiles makes each file BootState reads hostile in turn
// and checks that the fact's error names the file, that the other facts
// are read, and that nothing blocks or is read into memory.
func TestBootStateHostileFiles(t *testing.T) {
	g := "-" + GlobalVariable.String()
	for _, tt := range []struct {
		file, field string // below the sysfs root; the Errors key
		kinds       []string
	}{
		{"firmware/efi/fw_platform_size", "fw_platform_size", hostile.Kinds[:3]},
		{"firmware/efi/efivars/SecureBoot" + g, "SecureBoot", hostile.Kinds[:3]},
		{"firmware/efi/efivars/BootOrder" + g, "BootOrder", hostile.Kinds[:3]},
		{"firmware/efi/efivars/SecureBoot" + g, "efivars", []string{hostile.DirOut}},
	} {
		for _, kind := range tt.kinds {
			t.Run(tt.field+"/"+kind, func(t *testing.T) {
				root := hostileSysfs(t)
				hostile.Make(t, root, tt.file, kind)
				f, err := NewFS(root)
				if err != nil {
					t.Fatal(err)
				}
				var st *BootState
				n := hostile.Allocated(func() { st, err = f.BootState() })
				if err != nil {
					t.Fatal(err)
				}
				if n > maxHostileAlloc {
					t.Errorf("BootState allocated %d bytes", n)
				}
				want := filepath.Join(root, tt.file)
				if tt.field == "efivars" {
					want = filepath.Join(root, path.Dir(tt.file))
				}
				hostile.CheckErr(t, st.Errors[tt.field], kind, want)
				if len(st.Errors) != 1 {
					t.Errorf("errors %v, want only %s's", st.Errors, tt.field)
				}
				if (st.PlatformBits == 64) != (tt.field != "fw_platform_size") {
					t.Errorf("platform bits %d", st.PlatformBits)
				}
				if (st.SecureBoot == SecureBootEnabled) != (tt.field != "SecureBoot" && tt.field != "efivars") {
					t.Errorf("secure boot %q", st.SecureBoot)
				}
				if (len(st.BootOrder) == 1) != (tt.field != "BootOrder" && tt.field != "efivars") {
					t.Errorf("boot order %v", st.BootOrder)
				}
				if tt.field != "efivars" && (st.SetupMode == nil || *st.SetupMode) {
					t.Errorf("setup mode %v, want false", st.SetupMode)
				}
			})
		}
	}
}

// TestTPMsHostileFiles: one TPM's hostile attribute is an error naming it;
// both TPMs are listed and the other's attributes read.
func TestTPMsHostileFiles(t *testing.T) {
	for _, kind := range hostile.Kinds {
		t.Run(kind, func(t *testing.T) {
			root := hostileSysfs(t)
			file := "class/tpm/tpm0/tpm_version_major"
			if kind == hostile.DirOut {
				file = "class/tpm/tpm0/device/description"
			}
			hostile.Make(t, root, file, kind)
			f, err := NewFS(root)
			if err != nil {
				t.Fatal(err)
			}
			var tpms []TPM
			n := hostile.Allocated(func() { tpms, err = f.TPMs() })
			if n > maxHostileAlloc {
				t.Errorf("TPMs allocated %d bytes", n)
			}
			if len(tpms) != 2 || tpms[1] != (TPM{Name: "tpm1", VersionMajor: 2, Description: "TPM 2.0 Device"}) {
				t.Errorf("TPMs %+v", tpms)
			}
			if kind == hostile.DirOut {
				// A missing description is no error (ACPI-enumerated TPMs
				// have one, others none); the outside one is not read.
				if err != nil || tpms[0].Description != "" || tpms[0].VersionMajor != 2 {
					t.Errorf("tpm0 %+v, %v", tpms[0], err)
				}
				return
			}
			hostile.CheckErr(t, err, kind, filepath.Join(root, file))
			if tpms[0].VersionMajor != 0 || tpms[0].Description != "TPM 2.0 Device" {
				t.Errorf("tpm0 %+v", tpms[0])
			}
		})
	}
}

// TestTrustHostileFiles makes each kind of variable Trust reads hostile in
// turn: its store's (or variable's) error names the file, every other
// store is decoded, and nothing blocks or is read into memory.
func TestTrustHostileFiles(t *testing.T) {
	for _, tt := range []struct{ file, field string }{
		{gv("PK"), StorePK},
		{isd("db"), StoreDB},
		{sl("MokListRT1"), StoreMokList},
		{sl("SbatLevelRT"), "SbatLevelRT"},
		{sl("MokSBStateRT"), "MokSBStateRT"},
	} {
		for _, kind := range hostile.Kinds[:3] {
			t.Run(tt.field+"/"+kind, func(t *testing.T) {
				vars, _ := trustVars(t)
				root := trustTree(t, vars)
				rel := "firmware/efi/efivars/" + tt.file
				hostile.Make(t, root, rel, kind)
				f := newFS(t, root)
				var tr *Trust
				var err error
				n := hostile.Allocated(func() { tr, err = f.Trust() })
				if err != nil {
					t.Fatal(err)
				}
				if n > maxHostileAlloc {
					t.Errorf("Trust allocated %d bytes", n)
				}
				hostile.CheckErr(t, tr.Errors[tt.field], kind, filepath.Join(root, rel))
				if len(tr.Errors) != 1 {
					t.Errorf("errors %v, want only %s's", tr.Errors, tt.field)
				}
				want := 6
				if tt.field == StorePK || tt.field == StoreDB || tt.field == StoreMokList {
					want = 5
				}
				if len(tr.Certificates) != want {
					t.Errorf("certificates %s, want %d", subjects(tr), want)
				}
				if (tr.SbatLevel == nil) != (tt.field == "SbatLevelRT") {
					t.Errorf("sbat level %+v", tr.SbatLevel)
				}
			})
		}
	}
}
