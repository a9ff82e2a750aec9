package unitfiles

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Install is the [Install] section of a unit file and its drop-ins, as far
// as enablement states depend on it. systemd 252 has no UpheldBy= in
// [Install] (it came in 254): such a line is an unknown key and ignored.
type Install struct {
	WantedBy        []string
	RequiredBy      []string
	Alias           []string
	Also            []string
	DefaultInstance string
}

// hasRules reports whether enabling the unit would create links
// (install_info_has_rules).
func (in *Install) hasRules() bool {
	return len(in.WantedBy)+len(in.RequiredBy)+len(in.Alias) > 0
}

// maxLine is systemd's LONG_LINE_MAX: a longer line, continuation included,
// makes the file unparseable.
const maxLine = 1 << 20

// ErrSyntax is wrapped by errors for a unit file that systemd refuses to
// parse, which makes the unit's state bad.
var ErrSyntax = errors.New("unit file syntax")

func syntaxf(line int, format string, a ...any) error {
	return fmt.Errorf("line %d: %w: %s", line, ErrSyntax, fmt.Sprintf(format, a...))
}

// ParseInstall parses data, the contents of unit file or drop-in of unit
// name (as loaded: foo@.service for a template), into in, appending to what
// earlier files set, as systemd's config_parse does. An error is what makes
// systemd report the unit as bad: an unterminated or unsafe section header,
// an over-long line, an invalid name in Also=, or an invalid DefaultInstance=.
//
// The line syntax (comments, continuation lines, ignored assignments
// outside a section, keys without '=') is systemd's. go-systemd's
// unit.Deserialize is not used here although it parses the same format:
// it refuses lines over 2048 bytes, assignments before the first section
// and lines without '=', all of which systemd accepts with a warning, and
// keeps the backslash and newline of continued lines in the value, so a
// unit it refused would be reported bad and a continued WantedBy= would
// name units that do not exist. FuzzParseInstall checks the two agree
// wherever go-systemd parses a file.
func ParseInstall(name string, data []byte, in *Install) error {
	if err := parseInstall(name, data, in); err != nil {
		return fmt.Errorf("unitfiles: %s: %w", name, err)
	}
	return nil
}

func parseInstall(name string, data []byte, in *Install) error {
	var (
		inInstall   bool
		cont        []byte
		contActive  bool
		line        int
		bomChecked  bool
		handleLogic = func(l []byte, n int) error {
			l = bytes.Trim(l, " \t\n\r")
			if len(l) == 0 {
				return nil
			}
			if l[0] == '[' {
				if l[len(l)-1] != ']' {
					return syntaxf(n, "invalid section header %q", l)
				}
				s := string(l[1 : len(l)-1])
				if !safeString(s) {
					return syntaxf(n, "bad characters in section header %q", l)
				}
				inInstall = s == "Install"
				return nil
			}
			if !inInstall {
				return nil // another section, or outside of any
			}
			eq := bytes.IndexByte(l, '=')
			if eq <= 0 {
				return nil // systemd warns and ignores the line
			}
			key := string(bytes.Trim(l[:eq], " \t\n\r"))
			val := string(bytes.Trim(l[eq+1:], " \t\n\r"))
			return assign(name, key, val, in, n)
		}
	)
	for len(data) > 0 {
		end := bytes.IndexAny(data, "\n\r\x00")
		var raw []byte
		if end < 0 {
			raw, data = data, nil
		} else {
			raw = data[:end]
			if data[end] == '\r' && end+1 < len(data) && data[end+1] == '\n' {
				end++
			}
			data = data[end+1:]
		}
		line++
		if len(raw) > maxLine {
			return syntaxf(line, "line too long")
		}
		if t := bytes.TrimLeft(raw, " \t\n\r"); len(t) > 0 && (t[0] == '#' || t[0] == ';') {
			continue
		}
		if !bomChecked {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
			bomChecked = true
		}
		var p []byte
		if contActive {
			if len(cont)+len(raw) > maxLine {
				return syntaxf(line, "continued line too long")
			}
			cont = append(cont, raw...)
			p = cont
		} else {
			p = raw
		}
		// Only the new line needs scanning: a continued line ended in a
		// backslash that escaped nothing, now a space.
		escaped := false
		for _, c := range raw {
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			}
		}
		if escaped {
			if !contActive {
				cont = append(cont[:0], p...)
				p = cont
				contActive = true
			}
			cont[len(cont)-1] = ' '
			continue
		}
		if err := handleLogic(p, line); err != nil {
			return err
		}
		contActive = false
		cont = cont[:0]
	}
	if contActive {
		return handleLogic(cont, line)
	}
	return nil
}

// safeString is systemd's string_is_safe: no control characters, quotes or
// backslashes.
func safeString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == 0x7f || c == '\\' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

func assign(name, key, val string, in *Install, line int) error {
	switch key {
	case "WantedBy":
		in.WantedBy = appendWords(in.WantedBy, val)
	case "RequiredBy":
		in.RequiredBy = appendWords(in.RequiredBy, val)
	case "Alias":
		if mayAlias(unitType(name)) {
			in.Alias = appendWords(in.Alias, val)
		}
	case "Also":
		for _, w := range splitWords(val, false) {
			p, err := expand(name, w)
			if err != nil {
				return syntaxf(line, "Also=%q: %v", w, err)
			}
			if !validName(p) {
				return syntaxf(line, "Also=%q: not a unit name", p)
			}
			in.Also = append(in.Also, p)
		}
	case "DefaultInstance":
		if classify(name) != nameTemplate {
			return nil // systemd warns and ignores it
		}
		p, err := expand(name, val)
		if err != nil {
			return syntaxf(line, "DefaultInstance=%q: %v", val, err)
		}
		if p != "" && !validInstance(p) {
			return syntaxf(line, "DefaultInstance=%q: not an instance name", p)
		}
		in.DefaultInstance = p
	}
	return nil
}

// appendWords is config_parse_strv: an empty value resets the list, words
// are split at white space and unquoted; a syntax error ends the list
// without failing the file.
func appendWords(list []string, val string) []string {
	if val == "" {
		return nil
	}
	return append(list, splitWords(val, true)...)
}

// splitWords splits val like extract_first_word: at white space, with
// single or double quotes grouping (and removed, if unquote) and
// backslashes kept with the character they escape. It stops at an
// unterminated quote or a trailing backslash.
func splitWords(val string, unquote bool) []string {
	var words []string
	var w strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(val); i++ {
		c := val[i]
		switch {
		case c == '\\':
			if i+1 >= len(val) {
				return words
			}
			w.WriteByte(c)
			w.WriteByte(val[i+1])
			i++
			inWord = true
		case quote != 0:
			if c == quote {
				quote = 0
				if !unquote {
					w.WriteByte(c)
				}
			} else {
				w.WriteByte(c)
			}
		case unquote && (c == '\'' || c == '"'):
			quote = c
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return words
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// expand resolves the specifiers install_name_printf knows in s for unit
// name. Those that name the unit are expanded; those that depend on the
// host (%H, %m, %v, ...) become a placeholder that is a valid name
// component, which is all enablement states depend on. An unknown
// specifier is an error, as for systemd.
func expand(name, s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	prefix := name
	if dot := strings.LastIndexByte(prefix, '.'); dot > 0 {
		prefix = prefix[:dot]
	}
	nameNoType := prefix
	if at := strings.IndexByte(prefix, '@'); at >= 0 {
		prefix = prefix[:at]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", errors.New("specifier at the end")
		}
		i++
		switch c := s[i]; c {
		case '%':
			b.WriteByte('%')
		case 'n':
			b.WriteString(name)
		case 'N':
			b.WriteString(nameNoType)
		case 'p':
			b.WriteString(prefix)
		case 'i':
			b.WriteString(instance(name))
		case 'j':
			j := prefix
			if k := strings.LastIndexByte(j, '-'); k >= 0 {
				j = j[k+1:]
			}
			b.WriteString(j)
		default:
			if !strings.ContainsRune("aAbBCEgGHlLmMosSTuUvVwW", rune(c)) {
				return "", fmt.Errorf("unknown specifier %%%c", c)
			}
			b.WriteString("x")
		}
	}
	return b.String(), nil
}
