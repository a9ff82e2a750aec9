package script

import "strings"

// Assignment is one NAME=value a POSIX sh fragment makes.
type Assignment struct {
	Name, Value string
	// Line is where the assignment stands.
	Line int
	// CmdSubst is set when the value holds a command substitution, which
	// is kept as written: it is never run.
	CmdSubst bool
	// Conditional is set when the assignment is made inside an if, whose
	// condition is not evaluated.
	Conditional bool
}

// ShellAssignments reads the assignments of a POSIX sh fragment such as
// /etc/default/grub, which grub-mkconfig sources: NAME=value words of
// simple commands (after "export" too), in order, with sh quoting removed
// and references to variables assigned before expanded. Nothing is run:
// command substitutions stay as written, and the assignments inside an if
// are all read. It also returns the syntax errors; err is ErrTooComplex
// when the input reached a bound, else ErrSyntax when there are syntax
// errors, else nil.
func ShellAssignments(src []byte) (as []Assignment, syntaxErrs []string, err error) {
	m := newMeter(nil, Budget{})
	nodes, errs, tooDeep := parseWith(lexer{src: src, line: 1, sh: true}, m)
	ev := &evaluator{unresolvedW: map[string]bool{}, m: m}
	f := &frame{v: newVars(), items: &[]menuItem{}}
	var walk func([]node, bool)
	walk = func(ns []node, cond bool) {
		for _, n := range ns {
			switch n := n.(type) {
			case *cmdNode:
				words := n.words
				if len(words) > 0 && words[0].keyword("export") {
					words = words[1:]
				}
				for _, w := range words {
					name, ok := assignment(w)
					if !ok || !m.step(1) {
						break
					}
					fs := ev.expand(w, f, nil)
					if len(fs) == 0 {
						continue
					}
					_, val, _ := strings.Cut(fs[0].s, "=")
					for _, extra := range fs[1:] {
						val += " " + extra.s
					}
					f.v.set(name, value{s: val, known: true})
					as = append(as, Assignment{Name: name, Value: val, Line: n.line, CmdSubst: w.cmdSubst, Conditional: cond})
				}
			case *ifNode:
				for _, c := range n.clauses {
					walk(c.body, true)
				}
				walk(n.elseBody, true)
			}
		}
	}
	walk(nodes, false)
	switch {
	case m.limit != nil:
		err = m.limit
	case tooDeep:
		err = ErrTooComplex
	case len(errs) > 0:
		err = ErrSyntax
	}
	return as, errs, err
}
