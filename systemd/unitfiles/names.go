package unitfiles

import (
	"fmt"
	"strings"
)

// unitNameMax is systemd's UNIT_NAME_MAX: a unit name is shorter.
const unitNameMax = 256

// unitTypes are the unit type suffixes systemd 252 knows.
var unitTypes = map[string]bool{
	"service": true, "socket": true, "target": true, "device": true,
	"mount": true, "automount": true, "swap": true, "timer": true,
	"path": true, "slice": true, "scope": true,
}

// nameKind says whether a unit name is plain (foo.service), a template
// (foo@.service) or an instance (foo@bar.service).
type nameKind int

const (
	nameInvalid nameKind = iota
	namePlain
	nameTemplate
	nameInstance
)

func validNameChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return c == ':' || c == '-' || c == '_' || c == '.' || c == '\\'
}

// classify returns the kind of a unit name, nameInvalid when systemd would
// not accept it as one (unit_name_is_valid).
func classify(n string) nameKind {
	if n == "" || len(n) >= unitNameMax {
		return nameInvalid
	}
	dot := strings.LastIndexByte(n, '.')
	if dot <= 0 || !unitTypes[n[dot+1:]] {
		return nameInvalid
	}
	at := -1
	for i := 0; i < dot; i++ {
		c := n[i]
		if c == '@' {
			if at < 0 {
				at = i
			}
			continue
		}
		if !validNameChar(c) {
			return nameInvalid
		}
	}
	switch {
	case at == 0:
		return nameInvalid
	case at < 0:
		return namePlain
	case dot == at+1:
		return nameTemplate
	}
	return nameInstance
}

// validName reports whether n is a unit name of any kind.
func validName(n string) bool { return classify(n) != nameInvalid }

// unitType returns the type suffix of a valid unit name.
func unitType(n string) string { return n[strings.LastIndexByte(n, '.')+1:] }

// mayTemplate reports whether units of type t can be templates
// (unit_type_may_template).
func mayTemplate(t string) bool {
	switch t {
	case "service", "socket", "target", "timer", "path":
		return true
	}
	return false
}

// mayAlias reports whether units of type t can have aliases
// (unit_type_may_alias).
func mayAlias(t string) bool {
	return mayTemplate(t) || t == "device"
}

// template returns the template of an instance name (foo@bar.service to
// foo@.service), or "" for any other name.
func template(n string) string {
	if classify(n) != nameInstance {
		return ""
	}
	at := strings.IndexByte(n, '@')
	dot := strings.LastIndexByte(n, '.')
	return n[:at+1] + n[dot:]
}

// instance returns the instance part of an instance name ("bar" of
// foo@bar.service), "" for a template.
func instance(n string) string {
	at := strings.IndexByte(n, '@')
	dot := strings.LastIndexByte(n, '.')
	if at < 0 || dot < at {
		return ""
	}
	return n[at+1 : dot]
}

// withInstance returns template or instance name n with its instance
// replaced by inst (unit_name_replace_instance), or "" if n has no '@'.
func withInstance(n, inst string) string {
	at := strings.IndexByte(n, '@')
	dot := strings.LastIndexByte(n, '.')
	if at < 0 || dot < at {
		return ""
	}
	return n[:at+1] + inst + n[dot:]
}

// validInstance reports whether s can be an instance name
// (unit_instance_is_valid).
func validInstance(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '@' && !validNameChar(s[i]) {
			return false
		}
	}
	return true
}

// validateAlias checks that a link named src may alias the unit file named
// dst inside the search path (unit_validate_alias_symlink_or_warn).
func validateAlias(src, dst string) error {
	sk := classify(src)
	if sk == nameInvalid {
		return fmt.Errorf("%q is not a valid unit name", src)
	}
	st := unitType(src)
	if !mayAlias(st) {
		return fmt.Errorf("%s: %s units cannot be aliased", src, st)
	}
	if sk != namePlain && !mayTemplate(st) {
		return fmt.Errorf("%s: %s units cannot be templated", src, st)
	}
	if src == dst {
		return fmt.Errorf("%s: alias to itself", src)
	}
	dk := classify(dst)
	if dk == nameInvalid {
		return fmt.Errorf("%s: link target %q is not a valid unit name", src, dst)
	}
	if dk != sk && !(sk == nameInstance && dk == nameTemplate) {
		return fmt.Errorf("%s: link target %s is not the same kind of name", src, dst)
	}
	if dk == nameInstance && instance(src) != instance(dst) {
		return fmt.Errorf("%s: link target %s has another instance", src, dst)
	}
	if unitType(dst) != st {
		return fmt.Errorf("%s: link target %s has another type", src, dst)
	}
	return nil
}
