package script

import "strconv"

// The lexer follows GRUB 2's script lexer (grub-core/script/yylex.l) as the
// GRUB manual describes the language: words are built from unquoted
// characters, 'single-quoted' strings (literal), "double-quoted" strings
// (variables expanded, \$ \" \\ and \newline escaped), backslash escapes and
// variable references ($name, ${name}, $1, $?, $#, $*, $@). A '#' that starts
// a word begins a comment to the end of the line. Newline and ';' end a
// command, '{' and '}' delimit blocks, and backslash-newline continues a line.

type tokKind uint8

const (
	tokWord tokKind = iota
	tokSep          // newline or ';'
	tokLBrace
	tokRBrace
	tokEOF
)

type token struct {
	kind tokKind
	word word
	line int
	semi bool // a ';' separator (not a newline)
}

type lexer struct {
	src  []byte
	pos  int
	line int
	errs []string
	// sh makes the lexer read POSIX sh command substitutions (`...` and
	// $(...)) as single literal word parts, for /etc/default/grub.
	sh bool
	// sawSubst is set by dquote when it skipped a command substitution.
	sawSubst bool
	// m is charged for the word parts the lexer builds; once a limit is
	// reached, words end early and the parser stops.
	m *meter
	// scratch is the literal buffer words are collected in, reused.
	scratch []byte
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// isWordBreak reports the bytes that end an unquoted word.
func isWordBreak(c byte) bool {
	return isBlank(c) || c == '\n' || c == ';' || c == '{' || c == '}' || isOperator(c)
}

// isOperator reports the shell operators GRUB's lexer knows but its grammar
// has no use for (pipes, background, redirections): unquoted, they are
// syntax errors.
func isOperator(c byte) bool { return c == '|' || c == '&' || c == '<' || c == '>' }

func (l *lexer) errorf(msg string) {
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, "line "+strconv.Itoa(l.line)+": "+msg)
	}
}

// next returns the next token.
func (l *lexer) next() token {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case isBlank(c):
			l.pos++
		case c == '\\' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\n':
			l.pos += 2
			l.line++
			if l.pos == len(l.src) {
				l.errorf("line continuation at the end of the input")
			}
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '\n':
			l.pos++
			l.line++
			return token{kind: tokSep, line: l.line - 1}
		case c == ';':
			l.pos++
			return token{kind: tokSep, line: l.line, semi: true}
		case c == '{':
			l.pos++
			return token{kind: tokLBrace, line: l.line}
		case isOperator(c):
			// sh mode (/etc/default/grub) has these operators too; neither
			// mode's assignments use them, so they only separate words.
			l.pos++
			if !l.sh {
				l.errorf("unexpected '" + string(c) + "'")
			}
		case c == '}':
			l.pos++
			return token{kind: tokRBrace, line: l.line}
		default:
			line, start := l.line, l.pos
			w := l.word()
			if l.pos == start {
				// Never loop on a byte no rule consumes.
				l.pos++
			}
			w.line = line
			return token{kind: tokWord, word: w, line: line}
		}
	}
	return token{kind: tokEOF, line: l.line}
}

// wordBuilder collects the parts of a word as the lexer scans it,
// charging each part to m.
type wordBuilder struct {
	w   word
	lit []byte
	m   *meter
}

// flush ends the literal part being collected.
func (b *wordBuilder) flush() {
	if len(b.lit) > 0 {
		if b.m.alloc(sizePart + len(b.lit)) {
			b.w.parts = appendDoubling(b.w.parts, wordPart{kind: partLit, text: string(b.lit)})
		}
		b.lit = b.lit[:0]
	}
}

func (b *wordBuilder) addVar(name string, quoted bool) {
	b.flush()
	k := partVar
	if quoted {
		k = partQVar
	}
	if b.m.alloc(sizePart + len(name)) {
		b.w.parts = appendDoubling(b.w.parts, wordPart{kind: k, text: name})
	}
}

// word scans one word starting at a non-break byte. Once a limit is
// reached it returns what it has; the parser stops.
func (l *lexer) word() word {
	b := wordBuilder{lit: l.scratch[:0], m: l.m}
	defer func() { l.scratch = b.lit[:0] }()
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if l.m.stopped() {
			b.flush()
			return b.w
		}
		switch {
		case isWordBreak(c):
			b.flush()
			return b.w
		case c == '\\':
			if l.pos+1 >= len(l.src) {
				l.errorf("'\\' at the end of the input")
				l.pos++
				continue
			}
			n := l.src[l.pos+1]
			l.pos += 2
			if n == '\n' {
				l.line++
				if l.pos == len(l.src) {
					l.errorf("line continuation at the end of the input")
				}
				continue
			}
			// GRUB's lexer unescapes only \\, \", \', \$ and the blanks
			// and metacharacters; any other escape reaches the command
			// with its backslash (CentOS's LABEL=CentOS\x207\x20x86_64 is
			// decoded by the kernel's initramfs, not by GRUB).
			if !l.sh && !isEscapable(n) {
				b.lit = append(b.lit, '\\')
			}
			b.lit = append(b.lit, n)
			b.w.quoted = true
		case c == '\'':
			b.w.quoted = true
			end := indexByteFrom(l.src, l.pos+1, '\'')
			if end < 0 {
				l.errorf("unterminated single quote")
				end = len(l.src)
			}
			s := l.src[l.pos+1 : end]
			l.line += countNewlines(s)
			b.lit = append(b.lit, s...)
			l.pos = end + 1
		case c == '"':
			b.w.quoted = true
			l.pos++
			l.sawSubst = false
			l.dquote(&b)
			b.w.cmdSubst = b.w.cmdSubst || l.sawSubst
		case l.atSubst():
			b.w.cmdSubst = true
			l.substitution(&b)
		case c == '$':
			if l.pos+1 < len(l.src) && l.src[l.pos+1] == '"' {
				// $"..." is a translatable string, expanded like "...".
				b.w.quoted = true
				l.pos += 2
				l.dquote(&b)
				continue
			}
			l.dollar(&b, false)
		default:
			b.lit = append(b.lit, c)
			l.pos++
		}
	}
	b.flush()
	return b.w
}

// dquote scans the inside of a double-quoted string; the opening quote has
// been consumed.
func (l *lexer) dquote(b *wordBuilder) {
	for l.pos < len(l.src) && !l.m.stopped() {
		c := l.src[l.pos]
		switch c {
		case '"':
			l.pos++
			return
		case '\\':
			if l.pos+1 < len(l.src) {
				n := l.src[l.pos+1]
				switch n {
				case '$', '"', '\\':
					b.lit = append(b.lit, n)
					l.pos += 2
					continue
				case '\n':
					l.line++
					l.pos += 2
					continue
				}
			}
			b.lit = append(b.lit, c)
			l.pos++
		case '$', '`':
			switch {
			case l.atSubst():
				l.substitution(b)
				l.sawSubst = true
			case c == '`':
				b.lit = append(b.lit, c)
				l.pos++
			default:
				l.dollar(b, true)
			}
		default:
			if c == '\n' {
				l.line++
			}
			b.lit = append(b.lit, c)
			l.pos++
		}
	}
	l.errorf("unterminated double quote")
}

// dollar scans a variable reference at l.pos (which holds '$'); without a
// valid name after it, the '$' is literal.
func (l *lexer) dollar(b *wordBuilder, quoted bool) {
	if name, ok := l.varRef(); ok {
		b.addVar(name, quoted)
		return
	}
	if !l.sh {
		l.errorf("'$' without a variable name")
	}
	b.lit = append(b.lit, '$')
}

// atSubst reports whether a command substitution (`...` or $(...)) starts
// at l.pos; only sh mode reads them.
func (l *lexer) atSubst() bool {
	c := l.src[l.pos]
	return l.sh && (c == '`' || (c == '$' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '('))
}

// substitution copies the command substitution at l.pos into the word as
// literal text: it is never run.
func (l *lexer) substitution(b *wordBuilder) {
	start := l.pos
	l.skipSubst()
	b.lit = append(b.lit, l.src[start:l.pos]...)
}

// varRef scans a variable reference at l.pos (which holds '$'). It reports
// false, consuming only the '$', when no valid name follows.
func (l *lexer) varRef() (string, bool) {
	p := l.pos + 1
	if p >= len(l.src) {
		l.pos = p
		return "", false
	}
	braced := l.src[p] == '{'
	if braced {
		p++
	}
	start := p
	switch {
	case p < len(l.src) && isNameStart(l.src[p]):
		for p < len(l.src) && isNameChar(l.src[p]) {
			p++
		}
	case p < len(l.src) && isDigit(l.src[p]):
		for p < len(l.src) && isDigit(l.src[p]) {
			p++
		}
	case p < len(l.src) && (l.src[p] == '?' || l.src[p] == '#' || l.src[p] == '*' || l.src[p] == '@'):
		p++
	default:
		l.pos++
		return "", false
	}
	name := string(l.src[start:p])
	if braced {
		if p >= len(l.src) || l.src[p] != '}' {
			l.pos++
			return "", false
		}
		p++
	}
	l.pos = p
	return name, true
}

func indexByteFrom(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func countNewlines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// skipSubst skips a `...` or $(...) command substitution (sh mode).
func (l *lexer) skipSubst() {
	if l.src[l.pos] == '`' {
		end := indexByteFrom(l.src, l.pos+1, '`')
		if end < 0 {
			l.errorf("unterminated command substitution")
			end = len(l.src) - 1
		}
		l.line += countNewlines(l.src[l.pos:end])
		l.pos = end + 1
		return
	}
	depth := 0
	for l.pos < len(l.src) {
		switch l.src[l.pos] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.pos++
				return
			}
		case '\n':
			l.line++
		}
		l.pos++
	}
	l.errorf("unterminated command substitution")
}

func isEscapable(c byte) bool {
	switch c {
	case '\\', '"', '\'', '$', ' ', '\t', ';', '{', '}', '|', '&', '<', '>', '#':
		return true
	}
	return false
}
