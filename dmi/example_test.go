package dmi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/dmidecode"
)

// Reading the host's summary: FS.Summary does this, tables first, then the
// world-readable attributes.
func ExampleFS_Summary() {
	sum, fromTables, err := dmi.NewFS("/sys").Summary()
	if sum == nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println("from raw tables:", fromTables)
	json.NewEncoder(os.Stdout).Encode(sum)
}

// Reading the host's tables, falling back to the world-readable attributes
// when they cannot be read (non-root, or no SMBIOS export).
func ExampleFS_Table() {
	fsys := dmi.NewFS("/sys")
	var sum *dmi.Summary
	tb, err := fsys.Table()
	switch {
	case tb != nil:
		// err may still report a broken tail; the structures before it
		// are in tb.
		sum, _ = tb.Summary()
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist):
		sum, err = fsys.IDSummary()
	}
	if err != nil && sum == nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	json.NewEncoder(os.Stdout).Encode(sum)
}

// Printing a dump as "dmidecode --from-dump FILE -t memory" does.
func ExampleWrite() {
	raw, err := os.ReadFile("board.bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	tb, err := dmi.ParseDumpBin(raw)
	if tb == nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	types, _ := dmidecode.ParseTypes([]string{"memory"})
	dmidecode.Write(os.Stdout, dmidecode.Source{Table: tb, DumpFile: "board.bin"},
		dmidecode.Options{Types: types, Stderr: os.Stderr})
}
