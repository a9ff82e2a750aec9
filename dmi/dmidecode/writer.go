package dmidecode

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/bootinfo/bootinfo/dmi"
)

// Version is the dmidecode version whose output this package reproduces.
const Version = "3.4"

// supportedVersion is the newest SMBIOS version dmidecode 3.4 fully knows.
const supportedVersion = 0x030500

// Source describes where a table came from, which changes dmidecode's
// header lines.
type Source struct {
	Table *dmi.Table
	// DumpFile is the file name given to --from-dump; empty means the
	// table was read from sysfs (or, for a table without entry point, from
	// wherever the caller found it: the header then names only the version).
	DumpFile string
}

// Options mirror dmidecode's command-line options.
type Options struct {
	// Types limits the output to these structure types (-t); nil means all.
	Types []int
	// String prints only the value of one keyword (-s), see Keywords.
	String string
	// Dump prints every structure in hex instead of decoding it (-u).
	Dump bool
	// Stderr, when set, receives the warnings dmidecode prints on its
	// standard error (version fix-ups, type 34 fix-ups, broken tables,
	// count and length mismatches).
	Stderr io.Writer
	// WithholdSerials leaves serial numbers, UUIDs and asset tags out of
	// the output (--no-collector.dmi.serials): their fields show Withheld,
	// and so does any of their values (Serials) found in other text, such
	// as an OEM string. A String keyword that names one, and Dump, fail
	// with ErrWithheld.
	WithholdSerials bool
}

// ErrUsage is returned for an invalid option value (unknown -t or -s
// keyword).
var ErrUsage = errors.New("dmidecode: invalid option")

// Write prints src's table to w as "dmidecode" would with opts.
func Write(w io.Writer, src Source, opts Options) error {
	t := src.Table
	if t == nil {
		return fmt.Errorf("%w: no table", ErrUsage)
	}
	var rw *redactWriter
	if opts.WithholdSerials {
		switch {
		case opts.String != "" && WithheldKeyword(opts.String):
			return fmt.Errorf("%w: -s %s prints one", ErrWithheld, opts.String)
		case opts.String == "" && opts.Dump:
			return fmt.Errorf("%w: the hex dump holds them", ErrWithheld)
		}
		rw = &redactWriter{w: w, redact: NewRedacter(Serials(t))}
		w = rw
	}
	err := write(w, src, opts)
	if rw != nil {
		if ferr := rw.flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func write(w io.Writer, src Source, opts Options) error {
	t := src.Table
	bw := bufio.NewWriter(w)
	if opts.String != "" {
		if err := writeString(bw, t, opts.String); err != nil {
			return err
		}
		return bw.Flush()
	}
	p := &printer{w: bw, t: t, ver: t.Version.Uint(), withhold: opts.WithholdSerials}
	warn := func(format string, a ...any) {
		if opts.Stderr != nil {
			fmt.Fprintf(opts.Stderr, format, a...)
		}
	}
	var sel [256]bool
	for _, ty := range opts.Types {
		if ty >= 0 && ty < 256 {
			sel[ty] = true
		}
	}
	p.f("# dmidecode %s\n", Version)
	if src.DumpFile != "" {
		p.f("Reading SMBIOS/DMI data from file %s.\n", src.DumpFile)
	} else {
		p.f("Getting SMBIOS data from sysfs.\n")
	}
	ep := t.EntryPoint
	if ep != nil && t.VersionFixed {
		warn("SMBIOS version fixup (2.%d -> %d.%d).\n", ep.DeclaredVersion.Minor, t.Version.Major, t.Version.Minor)
	}
	if ep != nil {
		if ep.Kind == dmi.EntryPointLegacy {
			p.f("Legacy DMI %d.%d present.\n", ep.DeclaredVersion.Major, ep.DeclaredVersion.Minor)
		} else {
			p.f("SMBIOS %s present.\n", ep.VersionString())
		}
	} else {
		// A raw table without entry point: only its version is known.
		p.f("SMBIOS %s present.\n", t.Version)
	}
	if t.Version.Uint() > supportedVersion {
		p.f("# SMBIOS implementations newer than version %d.%d.%d are not\n# fully supported by this version of dmidecode.\n",
			supportedVersion>>16, supportedVersion>>8&0xFF, supportedVersion&0xFF)
	}
	if opts.Types == nil && ep != nil {
		if ep.StructureCount != 0 {
			p.f("%d structures occupying %d bytes.\n", ep.StructureCount, ep.TableLength)
		}
		if src.DumpFile == "" {
			p.f("Table at 0x%08X.\n", ep.TableAddress)
		}
	}
	p.f("\n")
	if ep != nil && ep.StructureCount != 0 && len(t.Raw) < int(ep.TableLength) {
		warn("Wrong DMI structures length: %d bytes announced, only %d bytes available.\n", ep.TableLength, len(t.Raw))
	}
	for i := range t.Structures {
		s := &t.Structures[i]
		if s.Type == 1 {
			p.setVendor(s)
		}
		if opts.Types != nil && !sel[s.Type] {
			continue
		}
		if s.Length != s.DeclaredLength {
			warn("Invalid entry length (%d). Fixed up to %d.\n", s.DeclaredLength, s.Length)
		}
		p.f("Handle 0x%04X, DMI type %d, %d bytes\n", s.Handle, s.Type, s.DeclaredLength)
		if opts.Dump {
			p.dump(s)
			p.f("\n")
		} else {
			p.decode(s)
		}
	}
	// A structure running past the table end is announced, not decoded.
	n, end := len(t.Structures), 0
	if n > 0 {
		last := &t.Structures[n-1]
		end = last.Offset + len(last.Raw)
	}
	tr := truncatedAfter(t)
	if tr != nil {
		n++
		end = tr.next
		if opts.Types == nil || sel[tr.typ] {
			p.f("Handle 0x%04X, DMI type %d, %d bytes\n\t<TRUNCATED>\n\n", tr.handle, tr.typ, tr.length)
		}
	}
	if broken := brokenAfter(t); broken >= 0 {
		warn("Invalid entry length (%d). DMI table is broken! Stop.\n\n", broken)
	} else if ep != nil {
		count := int(ep.StructureCount)
		if count != 0 && n != count {
			warn("Wrong DMI structures count: %d announced, only %d decoded.\n", count, n)
		}
		if end > len(t.Raw) || count != 0 && end < len(t.Raw) {
			warn("Wrong DMI structures length: %d bytes announced, structures occupy %d bytes.\n", len(t.Raw), end)
		}
	}
	return bw.Flush()
}

type truncation struct {
	typ    int
	length int
	handle uint16
	next   int // where dmidecode's scan for the structure's end stopped
}

// brokenAfter returns the length byte of a structure header declaring less
// than 4 bytes right after the last decoded structure, or -1.
func brokenAfter(t *dmi.Table) int {
	off := 0
	if n := len(t.Structures); n > 0 {
		last := t.Structures[n-1]
		if last.Type == 127 && t.EntryPoint != nil && t.EntryPoint.Kind == dmi.EntryPoint64 {
			return -1
		}
		if ep := t.EntryPoint; ep != nil && ep.StructureCount != 0 && n >= int(ep.StructureCount) {
			return -1
		}
		off = last.Offset + len(last.Raw)
	}
	if off+4 > len(t.Raw) || t.Raw[off+1] >= 4 {
		return -1
	}
	return int(t.Raw[off+1])
}

// truncatedAfter reports the header of a structure that follows the last
// decoded one but runs past the table end, which dmidecode announces with
// "<TRUNCATED>".
func truncatedAfter(t *dmi.Table) *truncation {
	off := 0
	if n := len(t.Structures); n > 0 {
		last := t.Structures[n-1]
		if last.Type == 127 && t.EntryPoint != nil && t.EntryPoint.Kind == dmi.EntryPoint64 {
			return nil
		}
		if ep := t.EntryPoint; ep != nil && ep.StructureCount != 0 && n >= int(ep.StructureCount) {
			return nil
		}
		off = last.Offset + len(last.Raw)
	}
	b := t.Raw
	if off+4 > len(b) || b[off+1] < 4 {
		return nil
	}
	next := off + int(b[off+1])
	for next+1 < len(b) && (b[next] != 0 || b[next+1] != 0) {
		next++
	}
	next += 2
	if next <= len(b) {
		return nil
	}
	return &truncation{typ: int(b[off]), length: int(b[off+1]), handle: uint16(b[off+2]) | uint16(b[off+3])<<8, next: next}
}
