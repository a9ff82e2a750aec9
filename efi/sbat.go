package efi

import (
	"bytes"
	"fmt"
	"strconv"
)

// ParseSbatLevel decodes shim's SbatLevelRT, the SBAT revocation level
// (shim's SBAT.md and SbatLevel_Variable.txt): CSV records, one a line, the
// first "sbat,VERSION,DATE" (DATE is YYYYMMDDCC, the revocation's name),
// then one "component,generation" per revoked component:
//
//	sbat,1,2023012900
//	shim,2
//	grub,3
//	grub.debian,4
//
// shim writes it without a terminator; a NUL and what follows it, CRLF
// line ends, blank lines and blanks around fields are tolerated. A record
// that does not parse is skipped; the error (wrapping ErrMalformed) is the
// first problem, the others counted. Without a valid first record the level
// is nil. Fields after the generation are ignored, as shim ignores them.
func ParseSbatLevel(value []byte) (*SbatLevel, error) {
	var errs problems
	if text, after, ok := bytes.Cut(value, []byte{0}); ok {
		value = text
		if len(bytes.Trim(after, "\x00")) > 0 {
			errs.add(fmt.Errorf("efi: SbatLevel: %d bytes after the NUL that ends it: %w", len(after), ErrMalformed))
		}
	}
	var lvl *SbatLevel
	for n, rest := 1, value; len(rest) > 0; n++ {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		line = bytes.TrimSpace(line) // and a CR before the LF
		if len(line) == 0 {
			continue
		}
		name, gen, _ := cutField(line)
		if lvl == nil {
			version, date, _ := cutField(gen)
			date, _, _ = cutField(date)
			if string(name) != "sbat" || len(version) == 0 {
				errs.add(fmt.Errorf("efi: SbatLevel line %d: %q, want sbat,VERSION,DATE first: %w", n, clip(line), ErrMalformed))
				return nil, errs.err()
			}
			lvl = &SbatLevel{Version: string(version), Date: string(date), Components: []SbatComponent{}}
			continue
		}
		gen, _, _ = cutField(gen)
		g, err := strconv.ParseUint(string(gen), 10, 31)
		if len(name) == 0 || err != nil {
			errs.add(fmt.Errorf("efi: SbatLevel line %d: %q, want component,generation: %w", n, clip(line), ErrMalformed))
			continue
		}
		lvl.Components = append(lvl.Components, SbatComponent{Name: string(name), Generation: int(g)})
	}
	if lvl == nil {
		errs.add(fmt.Errorf("efi: SbatLevel holds no sbat,VERSION,DATE record: %w", ErrMalformed))
	}
	return lvl, errs.err()
}

// cutField splits a CSV record at its first comma, trimming blanks.
func cutField(b []byte) (field, rest []byte, found bool) {
	field, rest, found = bytes.Cut(b, []byte{','})
	return bytes.TrimSpace(field), rest, found
}

// clip bounds a line quoted in an error: its first 64 bytes.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
