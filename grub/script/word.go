package script

import "strings"

// partKind says how one piece of a word expands.
type partKind uint8

const (
	partLit  partKind = iota // literal text, quoting already removed
	partVar                  // variable reference outside double quotes (field-split)
	partQVar                 // variable reference inside double quotes
)

type wordPart struct {
	kind partKind
	text string // literal text, or the variable name
}

// word is one shell word before expansion.
type word struct {
	parts []wordPart
	// quoted is set when any part of the word was quoted, so that an empty
	// expansion still yields an (empty) argument.
	quoted bool
	// cmdSubst is set (in sh mode only) when the word holds a `command`
	// or $(command) substitution, which is never run.
	cmdSubst bool
	line     int
}

// literal returns the word's text when it has no variable references.
func (w word) literal() (string, bool) {
	s := ""
	for _, p := range w.parts {
		if p.kind != partLit {
			return "", false
		}
		s += p.text
	}
	return s, true
}

// keyword reports whether w is the unquoted bare word kw, as GRUB only
// recognises reserved words that are written plainly.
func (w word) keyword(kw string) bool {
	if w.quoted || len(w.parts) != 1 || w.parts[0].kind != partLit {
		return false
	}
	return w.parts[0].text == kw
}

// firstLiteral returns the literal text a word starts with.
func firstLiteral(w word) (string, bool) {
	if len(w.parts) == 0 || w.parts[0].kind != partLit {
		return "", false
	}
	return w.parts[0].text, true
}

// assignment splits a word that starts with a literal NAME= into the
// variable's name; ok is false for any other word.
func assignment(w word) (name string, ok bool) {
	lit, _ := firstLiteral(w)
	name, _, ok = strings.Cut(lit, "=")
	return name, ok && validName(name)
}

func validName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
