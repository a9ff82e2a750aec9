package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"reflect"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/dmidecode"
	"github.com/bootinfo/bootinfo/internal/hostfile"
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
// printed as dmidecode 3.4 prints them, or as the JSON summary. With
// --no-collector.dmi.serials no serial number, UUID or asset tag is printed,
// in any format or message: they show as <WITHHELD> (blank in JSON, with
// serials_withheld), and the outputs that exist to print them (-s of such a
// keyword, the hex dump, --dump-bin) are refused.
func dmiCommand(stdout, stderr io.Writer, o options, f dmiFlags) int {
	withhold := !o.collectorConfig.DMI.Serials
	// redact is replaced by the table's once it is read: an error about
	// the table must not quote what is withheld either.
	redact := func(s string) string { return s }
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "bootinfo dmi: %s\n", redact(fmt.Sprintf(format, args...)))
		return 1
	}
	if withhold {
		switch {
		case f.dumpBin != "":
			return fail("--dump-bin copies the tables, serial numbers included; it does not go with --no-collector.dmi.serials")
		case f.dump && f.keyword == "":
			return fail("--dump prints the tables' bytes, serial numbers included; it does not go with --no-collector.dmi.serials")
		case dmidecode.WithheldKeyword(f.keyword):
			return fail("-s %s prints a serial number, UUID or asset tag, which --no-collector.dmi.serials withholds", f.keyword)
		}
	}
	var (
		t   *dmi.Table
		err error
	)
	if f.fromDump != "" {
		// A file the operator names, read like any host file: bounded,
		// and a FIFO or device refused rather than waited on.
		b, rerr := hostfile.ReadFile(f.fromDump, hostfile.LimitFirmware)
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
	if withhold {
		redact = dmidecode.NewRedacter(dmidecode.Serials(t))
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
		fmt.Fprintln(stdout, redact(s))
		return 0
	}

	if f.format == "json" {
		sum, err := t.Summary()
		if sum == nil {
			return fail("%v", err)
		}
		out := struct {
			*dmi.Summary
			SerialsWithheld bool `json:"serials_withheld,omitempty"`
		}{sum, withhold}
		if withhold {
			withholdSummary(sum, redact)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
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
	opts := dmidecode.Options{Types: types, Dump: f.dump, Stderr: stderr, WithholdSerials: withhold}
	if err := dmidecode.Write(stdout, src, opts); err != nil {
		return fail("%v", err)
	}
	return 0
}

// withholdSummary blanks the serial numbers, UUID and asset tags of s, as
// the dmi collector does, and runs every other string through redact, for
// a serial copied into an OEM string or another field.
func withholdSummary(s *dmi.Summary, redact func(string) string) {
	s.System.SerialNumber, s.System.UUID = "", ""
	s.Baseboard.SerialNumber, s.Baseboard.AssetTag = "", ""
	s.Chassis.SerialNumber, s.Chassis.AssetTag = "", ""
	for i := range s.Memory.Devices {
		s.Memory.Devices[i].SerialNumber = ""
	}
	redactStrings(reflect.ValueOf(s).Elem(), redact)
}

// redactStrings runs every string reachable in v (structs, slices,
// pointers) through redact.
func redactStrings(v reflect.Value, redact func(string) string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(redact(v.String()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			redactStrings(v.Elem(), redact)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			redactStrings(v.Field(i), redact)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			redactStrings(v.Index(i), redact)
		}
	}
}
