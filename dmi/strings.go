package dmi

import (
	"strings"
	"unicode"
)

// cleanString makes a firmware string safe for the Go API: invalid UTF-8 and
// control characters are dropped and surrounding spaces trimmed. (The
// dmidecode subpackage uses Structure.String instead, which reproduces
// dmidecode's byte-for-byte filtering.)
func cleanString(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// placeholders are values firmware vendors leave in fields they did not fill.
var placeholders = map[string]bool{
	"to be filled by o.e.m.":   true,
	"to be filled by oem":      true,
	"default string":           true,
	"system product name":      true,
	"system manufacturer":      true,
	"system version":           true,
	"system serial number":     true,
	"base board serial number": true,
	"chassis serial number":    true,
	"not specified":            true,
	"not applicable":           true,
	"none":                     true,
	"n/a":                      true,
	"oem":                      true,
	"0123456789":               true,
	"123456789":                true,
	"xxxxx":                    true,
}

// IsPlaceholder reports whether s is a value firmware uses for "not filled
// in" ("To be filled by O.E.M.", "Default string", "Not Specified", ...).
// The decoders keep such values as they are; callers that want to hide them
// can use this test.
func IsPlaceholder(s string) bool {
	return placeholders[strings.ToLower(strings.TrimSpace(s))]
}
