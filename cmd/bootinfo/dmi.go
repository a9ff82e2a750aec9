package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/dmidecode"
)

type dmiFlags struct {
	fromDump string
	types    []string
	keyword  string
	dumpBin  string
	dump     bool
	format   string
}

// dmiCommand behaves like dmidecode: the host's tables (or --from-dump's),
// printed as dmidecode 3.4 prints them, or as the JSON summary.
func dmiCommand(stdout, stderr io.Writer, o options, f dmiFlags) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "bootinfo dmi: "+format+"\n", args...)
		return 1
	}
	var (
		t   *dmi.Table
		err error
	)
	if f.fromDump != "" {
		b, rerr := os.ReadFile(f.fromDump)
		if rerr != nil {
			return fail("%v", rerr)
		}
		t, err = dmi.ParseDumpBin(b)
	} else {
		var ep, raw []byte
		ep, raw, err = dmi.NewFS(o.paths.SysFS).RawTables()
		switch {
		case errors.Is(err, iofs.ErrPermission):
			return fail("%v (reading the SMBIOS tables needs root or read access to them; /sys/class/dmi/id has a world-readable subset)", err)
		case errors.Is(err, iofs.ErrNotExist):
			return fail("%v (this host exports no SMBIOS tables)", err)
		case err != nil:
			return fail("%v", err)
		}
		t, err = dmi.ParseSysfs(ep, raw)
	}
	if t == nil {
		return fail("%v", err)
	}
	// A fault part-way is reported by the writer in dmidecode's words; what
	// decoded before it is printed, as dmidecode does.

	if f.dumpBin != "" {
		if t.EntryPoint == nil {
			return fail("no entry point to write")
		}
		var buf bytes.Buffer
		if err := dmi.WriteDumpBin(&buf, t.EntryPoint, t.Raw); err != nil {
			return fail("%v", err)
		}
		if err := os.WriteFile(f.dumpBin, buf.Bytes(), 0o644); err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stdout, "# Writing %d bytes to %s.\n", buf.Len(), f.dumpBin)
		return 0
	}

	if f.keyword != "" {
		s, err := dmidecode.String(t, f.keyword)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintln(stdout, s)
		return 0
	}

	if f.format == "json" {
		sum, err := t.Summary()
		if sum == nil {
			return fail("%v", err)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return fail("%v", err)
		}
		return 0
	}

	var types []int
	if len(f.types) > 0 {
		if types, err = dmidecode.ParseTypes(f.types); err != nil {
			return fail("%v", err)
		}
	}
	src := dmidecode.Source{Table: t, DumpFile: f.fromDump}
	if err := dmidecode.Write(stdout, src, dmidecode.Options{Types: types, Dump: f.dump, Stderr: stderr}); err != nil {
		return fail("%v", err)
	}
	return 0
}
