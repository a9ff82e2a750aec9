package dmi

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/hostile"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// maxHostileAlloc bounds what reading a tree with one hostile file may
// allocate: a few times the largest limit the package reads with,
// hostfile.LimitFirmware for the table (reading up to the limit grows the
// buffer by doubling: about 21 MiB in all for 4 MiB), and a fortieth of the
// 1 GiB file.
const maxHostileAlloc = 6 * hostfile.LimitFirmware

// hostileDMISysfs is a sysfs root with QEMU's SMBIOS tables and the
// /sys/class/dmi/id attributes of another maker, so that a summary says
// which it came from.
func hostileDMISysfs(t *testing.T) string {
	t.Helper()
	root := dmitest.SysfsRoot(t, "qemu-ovmf-q35", TablesDir)
	testutil.WriteTree(t, root, map[string]string{
		IDDir + "/sys_vendor":   "Acme\n",
		IDDir + "/product_name": "Anvil\n",
		IDDir + "/bios_vendor":  "AcmeBIOS\n",
	})
	return root
}

// TestSummaryHostileTables: with the entry point or the table hostile (or
// the tables' directory a link out of the root), Summary returns the error
// naming the file, without blocking or reading it, and falls back to
// /sys/class/dmi/id.
func TestSummaryHostileTables(t *testing.T) {
	for _, file := range []string{"smbios_entry_point", "DMI"} {
		for _, kind := range hostile.Kinds {
			t.Run(file+"/"+kind, func(t *testing.T) {
				root := hostileDMISysfs(t)
				hostile.Make(t, root, TablesDir+"/"+file, kind)
				var s *Summary
				var fromTables bool
				var err error
				n := hostile.Allocated(func() { s, fromTables, err = NewFS(root).Summary() })
				if n > maxHostileAlloc {
					t.Errorf("Summary allocated %d bytes", n)
				}
				name := filepath.Join(root, TablesDir, file)
				if kind == hostile.DirOut {
					// The missing tables are no error: /sys/class/dmi/id
					// answers, as for a user who may not read them.
					if err != nil {
						t.Errorf("error %v", err)
					}
				} else {
					hostile.CheckErr(t, err, kind, name)
				}
				if s == nil || fromTables || s.System.Manufacturer != "Acme" || s.System.ProductName != "Anvil" {
					t.Fatalf("summary %+v from tables %v; want /sys/class/dmi/id's", s, fromTables)
				}
			})
		}
	}
}

// TestIDSummaryHostileAttribute: one hostile attribute is an error naming
// it; the summary holds the others.
func TestIDSummaryHostileAttribute(t *testing.T) {
	for _, kind := range hostile.Kinds {
		t.Run(kind, func(t *testing.T) {
			root := hostileDMISysfs(t)
			file := IDDir + "/product_name"
			hostile.Make(t, root, file, kind)
			if kind == hostile.DirOut {
				// class/dmi/id itself is gone from the root: the outside
				// copy must not be read.
				s, err := NewFS(root).IDSummary()
				if !errors.Is(err, fs.ErrNotExist) || s != nil {
					t.Errorf("IDSummary = %+v, %v; want not-exist", s, err)
				}
				return
			}
			var s *Summary
			var err error
			n := hostile.Allocated(func() { s, err = NewFS(root).IDSummary() })
			if n > maxHostileAlloc {
				t.Errorf("IDSummary allocated %d bytes", n)
			}
			hostile.CheckErr(t, err, kind, filepath.Join(root, file))
			if s == nil || s.System.Manufacturer != "Acme" || s.BIOS.Vendor != "AcmeBIOS" || s.System.ProductName != "" {
				t.Errorf("summary %+v", s)
			}
		})
	}
}
