package dmi

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FS reads DMI data below a sysfs mount point.
type FS struct {
	sysfs string
}

// NewFS returns an FS for the sysfs mounted at sysfsRoot (normally "/sys").
func NewFS(sysfsRoot string) FS { return FS{sysfs: sysfsRoot} }

// TablesDir is the kernel's export of the raw SMBIOS data, relative to the
// sysfs root.
const TablesDir = "firmware/dmi/tables"

// IDDir holds the world-readable DMI attributes, relative to the sysfs root.
const IDDir = "class/dmi/id"

// RawTables returns the bytes of firmware/dmi/tables/smbios_entry_point and
// firmware/dmi/tables/DMI. Errors wrap fs.ErrNotExist when the kernel exports
// no SMBIOS data and fs.ErrPermission when not root.
func (f FS) RawTables() (entryPoint, table []byte, err error) {
	dir := filepath.Join(f.sysfs, TablesDir)
	entryPoint, err = os.ReadFile(filepath.Join(dir, "smbios_entry_point"))
	if err != nil {
		return nil, nil, fmt.Errorf("dmi: read entry point: %w", err)
	}
	table, err = os.ReadFile(filepath.Join(dir, "DMI"))
	if err != nil {
		return nil, nil, fmt.Errorf("dmi: read table: %w", err)
	}
	return entryPoint, table, nil
}

// Table reads and parses the SMBIOS tables the kernel exports. Like
// ParseTable, it returns the structures decoded before a fault together with
// the error describing the fault.
func (f FS) Table() (*Table, error) {
	ep, tb, err := f.RawTables()
	if err != nil {
		return nil, err
	}
	return ParseSysfs(ep, tb)
}

// idFiles maps /sys/class/dmi/id attribute names to the summary fields they
// fill (see FS.IDSummary).
var idFiles = []string{
	"bios_vendor", "bios_version", "bios_date", "bios_release",
	"sys_vendor", "product_name", "product_version", "product_serial", "product_uuid", "product_sku", "product_family",
	"board_vendor", "board_name", "board_version", "board_serial", "board_asset_tag",
	"chassis_vendor", "chassis_type", "chassis_version", "chassis_serial", "chassis_asset_tag",
}

// IDSummary fills a Summary from the attributes in /sys/class/dmi/id, for
// callers that cannot read the raw tables (non-root). Attributes that are
// missing or unreadable (the serial numbers and UUID are root-only) are
// skipped. It fails with an error wrapping fs.ErrNotExist only when the
// directory itself is absent.
func (f FS) IDSummary() (*Summary, error) {
	dir := filepath.Join(f.sysfs, IDDir)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("dmi: %w", err)
	}
	vals := map[string]string{}
	for _, name := range idFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				continue
			}
			return nil, fmt.Errorf("dmi: read %s: %w", name, err)
		}
		vals[name] = cleanString(strings.TrimRight(string(b), "\n"))
	}
	return summaryFromID(vals), nil
}

// Summary returns the summary of the raw tables when they can be read, and
// otherwise (not root, or no SMBIOS export) the summary IDSummary builds from
// /sys/class/dmi/id. fromTables tells which source was used. A table whose
// tail is broken still gives its summary, with the fault in err.
func (f FS) Summary() (s *Summary, fromTables bool, err error) {
	tb, terr := f.Table()
	if tb != nil {
		s, err = tb.Summary()
		return s, true, errors.Join(terr, err)
	}
	if !errors.Is(terr, fs.ErrPermission) && !errors.Is(terr, fs.ErrNotExist) {
		return nil, false, terr
	}
	s, err = f.IDSummary()
	return s, false, err
}
