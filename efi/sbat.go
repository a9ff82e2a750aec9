package efi

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ParseSbatLevel decodes shim's SbatLevelRT: CSV records "component,
// generation", the first "sbat,VERSION,DATE". What parses is returned with
// an error for the rest.
func ParseSbatLevel(value []byte) (*SbatLevel, error) {
	value = bytes.TrimRight(value, "\x00")
	lines := strings.Split(strings.TrimSpace(string(value)), "\n")
	first := strings.Split(strings.TrimSpace(lines[0]), ",")
	if len(first) < 3 || first[0] != "sbat" {
		return nil, fmt.Errorf("efi: SbatLevel starts %q, want sbat,VERSION,DATE: %w", lines[0], ErrMalformed)
	}
	lvl := &SbatLevel{Version: first[1], Date: first[2], Components: []SbatComponent{}}
	for _, l := range lines[1:] {
		f := strings.Split(strings.TrimSpace(l), ",")
		if len(f) < 2 {
			return lvl, fmt.Errorf("efi: SbatLevel record %q: %w", l, ErrMalformed)
		}
		g, err := strconv.Atoi(f[1])
		if err != nil || g < 0 {
			return lvl, fmt.Errorf("efi: SbatLevel record %q: generation: %w", l, ErrMalformed)
		}
		lvl.Components = append(lvl.Components, SbatComponent{Name: f[0], Generation: g})
	}
	return lvl, nil
}
