package script

import (
	"sort"
	"strconv"
	"strings"
)

// tri is a command's exit status as far as a static run knows it.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

type evaluator struct {
	opts Options
	menu Menu
	// m counts what the run spends; once a limit is reached, nothing
	// more runs.
	m          *meter
	stopped    bool // a top-level configfile replaced the menu
	nEntries   int
	loopWarned bool
	// funcs maps each defined function to the variables its body assigns;
	// a call is not run, but makes those variables unknown.
	funcs       map[string][]string
	unresolvedW map[string]bool
	// sourceDepth is how many source commands are running.
	sourceDepth int
}

// frame is the state of one running script: variables, positional
// parameters, and the menu items it defines.
type frame struct {
	v           *vars
	pos         []string
	items       *[]menuItem
	entry       *Load // what a menu entry's body loads; nil outside one
	conditional bool
	topLevel    bool
}

func (ev *evaluator) warn(msg string) {
	if ev.opts.Warn != nil {
		ev.opts.Warn(msg)
	}
}

// warnAt warns about the command at line.
func (ev *evaluator) warnAt(line int, msg string) {
	ev.warn("line " + strconv.Itoa(line) + ": " + msg)
}

// step charges one step, and reports whether the run goes on.
func (ev *evaluator) step() bool {
	return ev.m.step(1) && !ev.stopped
}

// exec runs nodes and returns the exit status of the last command.
func (ev *evaluator) exec(nodes []node, f *frame) tri {
	st := triTrue
	for _, n := range nodes {
		if !ev.step() {
			return triUnknown
		}
		switch n := n.(type) {
		case *cmdNode:
			st = ev.command(n, f)
		case *ifNode:
			st = ev.ifStmt(n, f)
		case *blockNode:
			ev.menuBlock(n, f)
			st = triTrue
		case *funcNode:
			// Functions (load_video, gfxmode, ...) are not run; remember
			// what they assign so that a call makes it unknown.
			if ev.funcs == nil {
				ev.funcs = map[string][]string{}
			}
			vs := assignedVars(n.body, nil, 0)
			// Finding them walks the body: a step per command in it.
			if !ev.m.step(len(vs)+countNodes(n.body, 0)) || !ev.m.alloc(sizeVar*(len(vs)+1)) {
				return triUnknown
			}
			ev.funcs[n.name] = vs
			st = triTrue
		case *loopNode:
			if !ev.loopWarned && containsMenu(n.body) {
				ev.warnAt(n.line, "menu entries inside a "+n.kind+" loop are not evaluated")
				ev.loopWarned = true
			}
			st = triUnknown
		}
	}
	return st
}

// command runs one simple command: a built-in, a loader command inside a
// menu entry's body, a call of a function the script defined, or a
// NAME=value assignment. Anything else is a command whose result only GRUB
// knows.
func (ev *evaluator) command(n *cmdNode, f *frame) tri {
	args := ev.expandAll(n.words, f)
	if len(args) == 0 {
		return triTrue
	}
	for _, a := range args {
		// Any command may store a run-time result with --set=VAR.
		if v, ok := strings.CutPrefix(a.s, "--set="); ok && validName(v) {
			if !ev.setUnresolved(f, v) {
				return triUnknown
			}
		}
	}
	if !args[0].known {
		return triUnknown
	}
	c := call{name: args[0].s, args: args[1:], line: n.line}
	if run, ok := builtins[c.name]; ok {
		return run(ev, f, c)
	}
	if f.entry != nil {
		if load, ok := loaders[c.name]; ok {
			load(f.entry, c.words())
			return triTrue
		}
	}
	if vs, ok := ev.funcs[c.name]; ok {
		for _, v := range vs {
			if !ev.setUnresolved(f, v) {
				break
			}
		}
		return triUnknown
	}
	// NAME=value as a command assigns (grub_script_execute_cmdline).
	if k, val, ok := strings.Cut(c.name, "="); ok && validName(k) {
		fl := args[0]
		fl.s = val
		ev.setVar(f, k, fl)
		return triTrue
	}
	return triUnknown
}

// setVar assigns name the expanded field fl, charging a step and the
// value's memory; it reports false when the budget is spent.
func (ev *evaluator) setVar(f *frame, name string, fl field) bool {
	if len(fl.s) > MaxValueLen {
		ev.warn("value of " + name + " longer than " + strconv.Itoa(MaxValueLen) + " bytes; treated as unknown")
		return ev.setUnresolved(f, name)
	}
	if !ev.m.step(1) || !ev.m.alloc(sizeVar+len(name)) {
		return false
	}
	origin := fl.origin
	if origin == "" {
		origin = "config"
	}
	if !fl.known {
		origin = "unresolved"
	}
	f.v.set(name, value{s: fl.s, known: fl.known, origin: origin})
	return true
}

// setVal assigns name x, charging as setVar does.
func (ev *evaluator) setVal(f *frame, name string, x value) bool {
	if !ev.m.step(1) || !ev.m.alloc(sizeVar+len(name)+len(x.s)) {
		return false
	}
	f.v.set(name, x)
	return true
}

// setUnresolved makes name a value only GRUB knows at run time.
func (ev *evaluator) setUnresolved(f *frame, name string) bool {
	return ev.setVal(f, name, unresolved(name))
}

func containsMenu(nodes []node) bool {
	for _, n := range nodes {
		switch n := n.(type) {
		case *blockNode:
			return true
		case *ifNode:
			for _, c := range n.clauses {
				if containsMenu(c.body) {
					return true
				}
			}
			if containsMenu(n.elseBody) {
				return true
			}
		case *loopNode:
			if containsMenu(n.body) {
				return true
			}
		}
	}
	return false
}

func (ev *evaluator) ifStmt(n *ifNode, f *frame) tri {
	var cands [][]node
	decided := false
	for _, c := range n.clauses {
		st := ev.exec(c.cond, f)
		if st == triFalse {
			continue
		}
		cands = append(cands, c.body)
		if st == triTrue {
			decided = true
			break
		}
	}
	if !decided {
		cands = append(cands, n.elseBody)
	}
	if len(cands) == 1 {
		return ev.exec(cands[0], f)
	}
	pure := true
	for _, c := range cands {
		pure = pure && sideEffectFree(c)
	}
	if pure {
		// Nothing in any branch can change what is tracked (the usual
		// "if [ x$grub_platform = xxen ]; then insmod xzio; fi").
		return triUnknown
	}
	// Run every possible branch on a copy and keep what they agree on.
	results := make([]*frame, len(cands))
	defined := false
	for i, body := range cands {
		v, ok := ev.child(f.v)
		if !ok {
			return triUnknown
		}
		g := &frame{v: v, pos: f.pos, items: f.items, conditional: true, topLevel: f.topLevel}
		if f.entry != nil {
			if !ev.m.step(1 + len(f.entry.Initrd) + len(f.entry.Modules)) {
				return triUnknown
			}
			l := *f.entry
			l.Initrd = append([]string(nil), f.entry.Initrd...)
			l.Modules = append([]Module(nil), f.entry.Modules...)
			g.entry = &l
		}
		before := len(*f.items)
		ev.exec(body, g)
		if len(*f.items) != before {
			defined = true
		}
		results[i] = g
	}
	if defined {
		ev.warnAt(n.line, "menu entries defined under a condition decided only at boot time")
	}
	ev.merge(n.line, f, results)
	return triUnknown
}

// child returns a scope over v for a branch, charging what it copies.
func (ev *evaluator) child(v *vars) (*vars, bool) {
	n := v.childCost()
	if !ev.m.step(1+n) || !ev.m.alloc(sizeVar*(1+n)) {
		return nil, false
	}
	return v.child(), true
}

// importantVars are the variables whose becoming unresolved is worth a
// warning.
var importantVars = map[string]bool{
	"default": true, "timeout": true, "kernelopts": true,
	"next_entry": true, "saved_entry": true, "fallback": true,
}

// merge keeps in f what the branches of an undecided if, run in results,
// agree on; the variables they disagree on become unknown.
func (ev *evaluator) merge(line int, f *frame, results []*frame) {
	keys := map[string]bool{}
	for _, r := range results {
		if !ev.m.step(len(r.v.m)) {
			return
		}
		for k := range r.v.m {
			keys[k] = true
		}
	}
	for _, k := range sortedKeys(keys) {
		if !ev.m.step(len(results)) || !ev.m.alloc(sizeVar) {
			return
		}
		first, ok := results[0].v.get(k)
		same := true
		for _, r := range results[1:] {
			x, ok2 := r.v.get(k)
			if ok2 != ok || x.known != first.known || x.s != first.s {
				same = false
				break
			}
		}
		switch {
		case same && ok:
			f.v.set(k, first)
		case same:
			f.v.del(k)
		default:
			ev.setUnresolved(f, k)
			if importantVars[k] && f.topLevel && !ev.unresolvedW[k] {
				ev.unresolvedW[k] = true
				ev.warnAt(line, k+" is set under a condition decided only at boot time")
			}
		}
	}
	if f.entry != nil {
		// Take the first branch's loader commands; say so if they differ.
		*f.entry = *results[0].entry
		for _, r := range results[1:] {
			if r.entry.Kernel != results[0].entry.Kernel || r.entry.Args != results[0].entry.Args {
				ev.warnAt(line, "the kernel an entry loads depends on a condition decided only at boot time; the first branch is reported")
				break
			}
		}
	}
}

// sortedKeys lists the keys of m in order, so that merging and its
// warnings do not depend on map iteration.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// assignedVars lists the variables a script body assigns with set or
// NAME=value.
func assignedVars(nodes []node, out []string, depth int) []string {
	if depth > MaxDepth {
		return out
	}
	for _, n := range nodes {
		switch n := n.(type) {
		case *cmdNode:
			if len(n.words) == 0 {
				continue
			}
			words := n.words
			if words[0].keyword("set") {
				words = words[1:]
			} else {
				words = words[:1]
			}
			for _, w := range words {
				if k, ok := assignment(w); ok {
					out = append(out, k)
				}
			}
		case *ifNode:
			for _, c := range n.clauses {
				out = assignedVars(c.body, out, depth+1)
			}
			out = assignedVars(n.elseBody, out, depth+1)
		case *loopNode:
			out = assignedVars(n.body, out, depth+1)
		}
	}
	return out
}

// countNodes counts the nodes assignedVars walks.
func countNodes(nodes []node, depth int) int {
	if depth > MaxDepth {
		return 0
	}
	n := len(nodes)
	for _, x := range nodes {
		switch x := x.(type) {
		case *ifNode:
			for _, c := range x.clauses {
				n += countNodes(c.body, depth+1)
			}
			n += countNodes(x.elseBody, depth+1)
		case *loopNode:
			n += countNodes(x.body, depth+1)
		}
	}
	return n
}

// pureCommands change nothing the evaluator tracks.
var pureCommands = map[string]bool{
	"insmod": true, "echo": true, "load_video": true, "terminal_output": true,
	"terminal_input": true, "serial": true, "set_background_image": true,
	"loadfont": true, "export": true, "save_env": true, "true": true, "false": true,
	"[": true, "test": true, "clear": true, "background_color": true,
	"sleep": true, "play": true, "terminal": true, "gfxmode": false,
}

// sideEffectFree reports whether running nodes cannot change variables,
// menu items or loaded kernels.
func sideEffectFree(nodes []node) bool {
	for _, n := range nodes {
		c, ok := n.(*cmdNode)
		if !ok || len(c.words) == 0 {
			return false
		}
		name, lit := c.words[0].literal()
		if !lit || !pureCommands[name] {
			return false
		}
		for _, w := range c.words[1:] {
			if s, _ := firstLiteral(w); strings.HasPrefix(s, "--set") {
				return false
			}
		}
	}
	return true
}
