package dmi

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// FS reads DMI data below a sysfs mount point. Every file is read through
// hostfile, inside the sysfs root: the entry point and the attributes up to
// hostfile.LimitAttr, the table up to hostfile.LimitFirmware (SMBIOS 3
// allows 4 GiB in theory; real tables stay below 64 KiB), anything but a
// regular file refused without blocking.
type FS struct {
	sysfs hostfile.Root
}

// NewFS returns an FS for the sysfs mounted at sysfsRoot (normally "/sys").
func NewFS(sysfsRoot string) FS { return FS{sysfs: hostfile.NewRoot(sysfsRoot)} }

// TablesDir is the kernel's export of the raw SMBIOS data, relative to the
// sysfs root.
const TablesDir = "firmware/dmi/tables"

// IDDir holds the world-readable DMI attributes, relative to the sysfs root.
const IDDir = "class/dmi/id"

// RawTables returns the bytes of firmware/dmi/tables/smbios_entry_point and
// firmware/dmi/tables/DMI. Errors wrap fs.ErrNotExist when the kernel exports
// no SMBIOS data and fs.ErrPermission when not root.
func (f FS) RawTables() (entryPoint, table []byte, err error) {
	if entryPoint, err = f.RawEntryPoint(); err != nil {
		return nil, nil, err
	}
	if table, err = f.RawTable(); err != nil {
		return nil, nil, err
	}
	return entryPoint, table, nil
}

// RawEntryPoint returns the bytes of firmware/dmi/tables/smbios_entry_point:
// the entry point the kernel found (it exports none when it found none).
func (f FS) RawEntryPoint() ([]byte, error) {
	b, err := f.sysfs.ReadFile(TablesDir+"/smbios_entry_point", hostfile.LimitAttr)
	if err != nil {
		return nil, fmt.Errorf("dmi: read entry point: %w", err)
	}
	return b, nil
}

// RawTable returns the bytes of firmware/dmi/tables/DMI, the structure table.
func (f FS) RawTable() ([]byte, error) {
	b, err := f.sysfs.ReadFile(TablesDir+"/DMI", hostfile.LimitFirmware)
	if err != nil {
		return nil, fmt.Errorf("dmi: read table: %w", err)
	}
	return b, nil
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
// directory itself is absent. An attribute that fails otherwise (too
// large, not a regular file) is left out and its error returned along with
// the summary of the others.
func (f FS) IDSummary() (*Summary, error) {
	if _, err := f.sysfs.Stat(IDDir); err != nil {
		return nil, fmt.Errorf("dmi: %w", err)
	}
	vals := map[string]string{}
	var errs []error
	for _, name := range idFiles {
		b, err := f.sysfs.ReadFile(IDDir+"/"+name, hostfile.LimitAttr)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				continue
			}
			errs = append(errs, fmt.Errorf("dmi: read %s: %w", name, err))
			continue
		}
		vals[name] = cleanString(strings.TrimRight(string(b), "\n"))
	}
	return summaryFromID(vals), errors.Join(errs...)
}

// Summary returns the summary of the raw tables when they can be read, and
// otherwise (not root, no SMBIOS export, or a table file that is too large
// or not a regular file) the summary IDSummary builds from
// /sys/class/dmi/id. fromTables tells which source was used. A table whose
// tail is broken still gives its summary, with the fault in err; a table
// file that cannot be read gives its error along with the fallback.
func (f FS) Summary() (s *Summary, fromTables bool, err error) {
	tb, terr := f.Table()
	if tb != nil {
		s, err = tb.Summary()
		return s, true, errors.Join(terr, err)
	}
	switch {
	case errors.Is(terr, fs.ErrPermission) || errors.Is(terr, fs.ErrNotExist):
		s, err = f.IDSummary()
		return s, false, err
	case errors.Is(terr, hostfile.ErrTooLarge) || errors.Is(terr, hostfile.ErrNotRegular):
		s, err = f.IDSummary()
		if s == nil {
			return nil, false, errors.Join(terr, err)
		}
		return s, false, errors.Join(terr, err)
	}
	return nil, false, terr
}
