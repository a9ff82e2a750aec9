package script

import "strconv"

// The parser builds a small syntax tree of the GRUB script constructs that
// grub-mkconfig and hand-written configurations use: simple commands, if /
// elif / else / fi, function definitions, menuentry and submenu blocks, and
// for / while / until loops (kept but never executed).

type node interface{ nodeLine() int }

type cmdNode struct {
	words []word
	line  int
}

type ifClause struct {
	cond []node
	body []node
}

type ifNode struct {
	clauses  []ifClause
	elseBody []node
	line     int
}

// blockNode is a menuentry or submenu.
type blockNode struct {
	submenu bool
	args    []word
	body    []node
	line    int
}

type funcNode struct {
	name string
	body []node
	line int
}

// loopNode is a for, while or until loop; the evaluator does not run loops.
type loopNode struct {
	kind string
	body []node
	line int
}

func (n *cmdNode) nodeLine() int   { return n.line }
func (n *ifNode) nodeLine() int    { return n.line }
func (n *blockNode) nodeLine() int { return n.line }
func (n *funcNode) nodeLine() int  { return n.line }
func (n *loopNode) nodeLine() int  { return n.line }

type parser struct {
	lex lexer
	// atStart is set where a command must begin (start of a list, after a
	// separator, '{' or a keyword), so that an empty statement (';' there)
	// is reported as GRUB reports it.
	atStart  bool
	tok      token
	peeked   bool
	errs     []string
	tooDeep  bool
	depth    int
	maxDepth int
	// m is charged for the memory the tree holds; parsing stops when a
	// limit is reached (or was, by what ran before).
	m *meter
}

// parseScript parses src alone, under the default budget.
func parseScript(src []byte) (nodes []node, errs []string, tooDeep bool) {
	return parseWith(lexer{src: src, line: 1}, newMeter(nil, Budget{}))
}

// parseWith parses what lx reads, charging m. stopped is set when the
// nesting bound or one of m's limits stopped the parse: the nodes are
// those before it.
func parseWith(lx lexer, m *meter) (nodes []node, errs []string, stopped bool) {
	lx.m = m
	p := &parser{lex: lx, maxDepth: MaxDepth, atStart: true, m: m}
	for {
		nodes = append(nodes, p.list(nil)...)
		t := p.peek()
		if t.kind == tokEOF || p.stopped() {
			break
		}
		// A stray '}' or keyword at top level: report and skip it.
		p.advance()
		if t.kind == tokRBrace {
			p.errorf(t.line, "unexpected '}'")
		} else {
			s, _ := t.word.literal()
			p.errorf(t.line, "unexpected '"+s+"'")
			p.skipCommand()
		}
	}
	errs = append(p.lex.errs, p.errs...)
	return nodes, errs, p.stopped()
}

// stopped reports whether parsing must stop: too deep, or over a limit.
func (p *parser) stopped() bool { return p.tooDeep || p.m.stopped() }

// charge charges the memory of a node of size bytes.
func (p *parser) charge(size int) { p.m.alloc(size) }

func (p *parser) errorf(line int, msg string) {
	if len(p.errs) < maxErrors {
		p.errs = append(p.errs, "line "+strconv.Itoa(line)+": "+msg)
	}
}

func (p *parser) peek() token {
	if !p.peeked {
		p.tok = p.lex.next()
		p.peeked = true
	}
	return p.tok
}

func (p *parser) advance() token {
	t := p.peek()
	p.peeked = false
	p.m.checkContext()
	if t.kind == tokWord {
		p.m.alloc(sizeWord) // the lexer charged the parts
	}
	switch t.kind {
	case tokWord:
		p.atStart = isTerminator(t.word, []string{"if", "then", "else", "elif", "do", "while", "until", "!"})
	case tokSep, tokLBrace, tokRBrace:
		p.atStart = t.kind != tokRBrace
	}
	return t
}

func (p *parser) skipSeps() {
	for p.peek().kind == tokSep {
		if t := p.peek(); t.semi && p.atStart {
			p.errorf(t.line, "empty statement before ';'")
		}
		p.advance()
	}
}

// skipCommand drops the words up to the end of the current command.
func (p *parser) skipCommand() {
	for {
		t := p.peek()
		if t.kind != tokWord || p.m.stopped() {
			return
		}
		p.advance()
	}
}

func isTerminator(w word, terms []string) bool {
	for _, t := range terms {
		if w.keyword(t) {
			return true
		}
	}
	return false
}

// list parses commands until EOF, a '}' (left unconsumed) or, at the start of
// a command, one of the keywords in terms (left unconsumed).
func (p *parser) list(terms []string) []node {
	var out []node
	for !p.stopped() {
		p.skipSeps()
		t := p.peek()
		switch t.kind {
		case tokEOF, tokRBrace:
			return out
		case tokLBrace:
			// GRUB has no bare blocks: report it, and skip it.
			p.advance()
			p.errorf(t.line, "unexpected '{'")
			p.block(t.line)
			continue
		}
		if isTerminator(t.word, terms) {
			return out
		}
		if n := p.command(); n != nil {
			out = appendDoubling(out, n)
		}
	}
	return out
}

// block parses "... }" after a consumed '{'.
func (p *parser) block(line int) []node {
	if !p.enter(line) {
		return nil
	}
	defer p.leave()
	body := p.list(nil)
	if len(body) == 0 && p.peek().kind == tokRBrace {
		p.errorf(line, "empty block")
	}
	if p.peek().kind == tokRBrace {
		p.advance()
	} else if !p.stopped() {
		p.errorf(line, "block not closed")
	}
	return body
}

func (p *parser) enter(line int) bool {
	p.depth++
	if p.depth > p.maxDepth {
		if !p.tooDeep {
			p.errorf(line, "nesting deeper than "+strconv.Itoa(p.maxDepth))
		}
		p.tooDeep = true
		p.m.over(LimitNesting, int64(p.maxDepth))
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }

func (p *parser) command() node {
	t := p.peek()
	w := t.word
	switch {
	case w.keyword("if"):
		p.advance()
		return p.ifStmt(t.line)
	case w.keyword("function"):
		p.advance()
		if p.depth > 0 {
			// GRUB's grammar allows function definitions only at the top
			// level (Fedora's live media do it inside an if anyway).
			p.errorf(t.line, "function definition inside a block or condition")
		}
		return p.function(t.line)
	case w.keyword("menuentry"), w.keyword("submenu"):
		p.advance()
		return p.menuBlock(t.line, w.keyword("submenu"))
	case w.keyword("for"), w.keyword("while"), w.keyword("until"):
		p.advance()
		kind, _ := w.literal()
		return p.loop(t.line, kind)
	case isTerminator(w, []string{"then", "elif", "else", "fi", "do", "done", "in", "case", "esac"}):
		p.advance()
		s, _ := w.literal()
		p.errorf(t.line, "unexpected '"+s+"'")
		return nil
	}
	var words []word
	for p.peek().kind == tokWord && !p.m.stopped() {
		words = appendDoubling(words, p.advance().word)
	}
	// Any command may take a { ... } block argument; only menuentry and
	// submenu give it a meaning, so it is parsed and dropped.
	if p.peek().kind == tokLBrace {
		b := p.advance()
		p.block(b.line)
	}
	p.charge(sizeCmd)
	return &cmdNode{words: words, line: t.line}
}

func (p *parser) expectKeyword(kw string, line int) bool {
	p.skipSeps()
	t := p.peek()
	if t.kind == tokWord && t.word.keyword(kw) {
		p.advance()
		return true
	}
	p.errorf(line, "expected '"+kw+"'")
	return false
}

func (p *parser) ifStmt(line int) node {
	if !p.enter(line) {
		return nil
	}
	defer p.leave()
	n := &ifNode{line: line}
	p.charge(sizeIf)
	for {
		cond := p.list([]string{"then"})
		if !p.expectKeyword("then", line) {
			return n
		}
		body := p.list([]string{"elif", "else", "fi"})
		p.charge(sizeClause)
		n.clauses = append(n.clauses, ifClause{cond: cond, body: body})
		p.skipSeps()
		t := p.peek()
		switch {
		case t.kind == tokWord && t.word.keyword("elif"):
			p.advance()
			continue
		case t.kind == tokWord && t.word.keyword("else"):
			p.advance()
			n.elseBody = p.list([]string{"fi"})
			if n.elseBody == nil {
				n.elseBody = []node{}
			}
			p.expectKeyword("fi", line)
			return n
		case t.kind == tokWord && t.word.keyword("fi"):
			p.advance()
			return n
		default:
			if !p.stopped() {
				p.errorf(line, "if without fi")
			}
			return n
		}
	}
}

func (p *parser) function(line int) node {
	t := p.peek()
	if t.kind != tokWord {
		p.errorf(line, "function without a name")
		return nil
	}
	p.advance()
	name, _ := t.word.literal()
	p.skipSeps()
	if p.peek().kind != tokLBrace {
		p.errorf(line, "function without a body")
		return nil
	}
	p.advance()
	p.charge(sizeFunc)
	return &funcNode{name: name, body: p.block(line), line: line}
}

func (p *parser) menuBlock(line int, submenu bool) node {
	var args []word
	for p.peek().kind == tokWord && !p.m.stopped() {
		args = appendDoubling(args, p.advance().word)
	}
	if p.peek().kind != tokLBrace {
		// Not a syntax error: GRUB runs menuentry without a block and it
		// fails at run time, adding nothing.
		return &cmdNode{words: append([]word{{parts: []wordPart{{kind: partLit, text: "menuentry"}}}}, args...), line: line}
	}
	p.advance()
	p.charge(sizeBlock)
	return &blockNode{submenu: submenu, args: args, body: p.block(line), line: line}
}

func (p *parser) loop(line int, kind string) node {
	if !p.enter(line) {
		return nil
	}
	defer p.leave()
	if kind == "for" {
		// for NAME in WORDS ; do ... done
		p.skipCommand()
	} else {
		p.list([]string{"do"})
	}
	if !p.expectKeyword("do", line) {
		return nil
	}
	body := p.list([]string{"done"})
	p.expectKeyword("done", line)
	p.charge(sizeLoop)
	return &loopNode{kind: kind, body: body, line: line}
}

// appendDoubling appends x to s, doubling the capacity when it is full:
// append grows large slices by a quarter, which allocates five times the
// final size over a long command; doubling allocates at most twice it, as
// the memory estimate assumes.
func appendDoubling[T any](s []T, x T) []T {
	if len(s) == cap(s) {
		n := make([]T, len(s), max(1, 2*cap(s)))
		copy(n, s)
		s = n
	}
	return append(s, x)
}
