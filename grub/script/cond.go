package script

import (
	"cmp"
	"strconv"
	"strings"
)

// test evaluates GRUB's test / [ command (grub-core/commands/test.c) in three
// values: true, false, or unknown when an operand is unknown or the test
// looks at a file. The environment block file tests grub-mkconfig writes
// ([ -s $prefix/grubenv ], [ -f ${config_directory}/grubenv ]) are
// answered from Options.HaveEnv.
func (ev *evaluator) test(args []field) tri {
	t := testParser{ev: ev, args: args}
	r := t.or()
	if t.i < len(args) {
		return triUnknown
	}
	return r
}

type testParser struct {
	ev    *evaluator
	args  []field
	i     int
	depth int
}

func (t *testParser) peek() (field, bool) {
	if t.i < len(t.args) {
		return t.args[t.i], true
	}
	return field{}, false
}

// or parses operands joined by -o, and and operands joined by -a: GRUB's
// -a binds tighter.
func (t *testParser) or() tri  { return t.chain("-o", t.and, triTrue) }
func (t *testParser) and() tri { return t.chain("-a", t.not, triFalse) }

// chain parses operands joined by the operator op, in which an operand
// whose value is decides decides the whole: true for -o, false for -a.
func (t *testParser) chain(op string, operand func() tri, decides tri) tri {
	r := operand()
	for {
		a, ok := t.peek()
		if !ok || !a.known || a.s != op {
			return r
		}
		t.i++
		r2 := operand()
		switch {
		case r == decides || r2 == decides:
			r = decides
		case r == triUnknown || r2 == triUnknown:
			r = triUnknown
		default:
			r = negate(decides)
		}
	}
}

// negate is three-valued logic's not: unknown stays unknown.
func negate(r tri) tri {
	switch r {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

func (t *testParser) not() tri {
	a, ok := t.peek()
	if ok && a.known && a.s == "!" && t.i+1 < len(t.args) {
		t.i++
		t.depth++
		if t.depth > MaxDepth {
			t.i = len(t.args)
			return triUnknown
		}
		return negate(t.not())
	}
	return t.primary()
}

func (t *testParser) primary() tri {
	a, ok := t.peek()
	if !ok {
		return triFalse
	}
	if a.known && a.s == "(" {
		t.i++
		t.depth++
		if t.depth > MaxDepth {
			t.i = len(t.args)
			return triUnknown
		}
		r := t.or()
		if b, ok := t.peek(); ok && b.s == ")" {
			t.i++
		}
		return r
	}
	// Binary operator?
	if t.i+3 <= len(t.args) {
		op := t.args[t.i+1]
		if op.known && isBinaryOp(op.s) {
			l, r := t.args[t.i], t.args[t.i+2]
			t.i += 3
			if !l.known || !r.known {
				return triUnknown
			}
			return binary(l.s, op.s, r.s)
		}
	}
	if a.known && isUnaryOp(a.s) && t.i+1 < len(t.args) {
		arg := t.args[t.i+1]
		t.i += 2
		switch a.s {
		case "-n":
			if !arg.known {
				return triUnknown
			}
			return triOf(arg.s != "")
		case "-z":
			if !arg.known {
				return triUnknown
			}
			return triOf(arg.s == "")
		default: // file tests
			if isGrubenvPath(arg.s) {
				return triOf(t.ev.opts.HaveEnv)
			}
			return triUnknown
		}
	}
	t.i++
	if !a.known {
		return triUnknown
	}
	return triOf(a.s != "")
}

func isUnaryOp(s string) bool {
	switch s {
	case "-n", "-z", "-f", "-d", "-e", "-s":
		return true
	}
	return false
}

// comparisons maps test's binary operators to the outcomes they hold for:
// '<' when the left operand comes first, '=' when the operands are equal,
// '>' when it comes last. The -xx operators compare integers (GRUB reads
// one that is not a number as 0), the others strings. The file and prefix
// comparisons (-nt, -ot, -pgt, -plt) hold for none: they are never decided
// statically.
var comparisons = map[string]string{
	"=": "=", "==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
	"-eq": "=", "-ne": "<>", "-lt": "<", "-le": "<=", "-gt": ">", "-ge": ">=",
	"-nt": "", "-ot": "", "-pgt": "", "-plt": "",
}

func isBinaryOp(s string) bool {
	_, ok := comparisons[s]
	return ok
}

func binary(l, op, r string) tri {
	holds := comparisons[op]
	if holds == "" {
		return triUnknown
	}
	var c int
	if op[0] == '-' {
		c = cmp.Compare(testInt(l), testInt(r))
	} else {
		c = strings.Compare(l, r)
	}
	return triOf(strings.IndexByte(holds, "<=>"[c+1]) >= 0)
}

// testInt reads an integer operand as GRUB's test does: a decimal number,
// and 0 for anything else.
func testInt(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// isGrubenvPath reports the environment block paths grub-mkconfig tests.
func isGrubenvPath(p string) bool {
	return p == "${prefix}/grubenv" || p == "${config_directory}/grubenv"
}
