package script

import (
	"errors"
	"strings"
)

// A builtin is what running one of GRUB's own commands means statically:
// it applies the command's effect on what the run tracks (variables, menu
// items, followed files) and returns its exit status.
type builtin func(ev *evaluator, f *frame, c call) tri

// call is one command as a builtin sees it: its name, its arguments after
// expansion, and where it stands.
type call struct {
	name string
	args []field
	line int
}

// words returns the arguments' texts.
func (c call) words() []string {
	out := make([]string, 0, len(c.args))
	for _, a := range c.args {
		out = append(out, a.s)
	}
	return out
}

// builtins maps the names of the commands a static run understands to
// what they mean. A command not listed here is a loader command inside a
// menu entry (see loaders), a call of a function the script defined, a
// NAME=value assignment, or else a command whose result only GRUB knows.
var builtins map[string]builtin

// init fills builtins: source runs scripts, which look commands up in the
// table, so the table cannot be initialised in its declaration.
func init() {
	builtins = map[string]builtin{
		"set":    cmdSet,
		"unset":  cmdUnset,
		"export": cmdExport,
		"true":   succeed,
		":":      succeed,
		"false":  fail,

		// Commands that succeed and change nothing a static run tracks.
		"save_env":             succeed,
		"insmod":               succeed,
		"echo":                 succeed,
		"load_video":           succeed,
		"terminal_output":      succeed,
		"terminal_input":       succeed,
		"serial":               succeed,
		"set_background_image": succeed,
		"loadfont":             succeed,

		"load_env":        cmdLoadEnv,
		"search":          cmdSearch,
		"search.fs_uuid":  cmdSearch,
		"search.fs_label": cmdSearch,
		"search.file":     cmdSearch,
		"[":               cmdBracket,
		"test":            cmdTest,
		"blscfg":          cmdBLSCfg,
		"configfile":      cmdConfigfile,
		"source":          cmdSource,
		".":               cmdSource,

		// Only reached without a { } body, which GRUB refuses at run time.
		"menuentry": cmdMenuWithoutBody,
		"submenu":   cmdMenuWithoutBody,
	}
}

func succeed(*evaluator, *frame, call) tri { return triTrue }

func fail(*evaluator, *frame, call) tri { return triFalse }

// cmdSet assigns each NAME=value argument.
func cmdSet(ev *evaluator, f *frame, c call) tri {
	for _, a := range c.args {
		k, val, ok := strings.Cut(a.s, "=")
		if !ok || !validName(k) {
			continue
		}
		fl := a
		fl.s = val
		if !ev.setVar(f, k, fl) {
			return triUnknown
		}
	}
	return triTrue
}

func cmdUnset(ev *evaluator, f *frame, c call) tri {
	for _, a := range c.args {
		if !ev.m.step(1) || !ev.m.alloc(sizeVar+len(a.s)) {
			return triUnknown
		}
		f.v.del(a.s)
	}
	return triTrue
}

// cmdExport marks variables exported, so that submenus see them; an unset
// one is exported empty.
func cmdExport(ev *evaluator, f *frame, c call) tri {
	for _, a := range c.args {
		if !ev.m.step(1) || !ev.m.alloc(sizeVar+len(a.s)) {
			return triUnknown
		}
		x, ok := f.v.get(a.s)
		if !ok {
			x = value{known: true, origin: "config"}
		}
		x.exported = true
		f.v.m[a.s] = x
	}
	return triTrue
}

func cmdMenuWithoutBody(ev *evaluator, _ *frame, c call) tri {
	ev.warnAt(c.line, c.name+" without a body is not added")
	return triFalse
}

// cmdLoadEnv sets the environment block's variables, or those of them
// the arguments name.
func cmdLoadEnv(ev *evaluator, f *frame, c call) tri {
	var whitelist []string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i].s
		switch {
		case a == "-f" || a == "--file":
			i++
		case strings.HasPrefix(a, "--file="), a == "-s", a == "--skip-sig":
		case strings.HasPrefix(a, "-"):
		default:
			whitelist = append(whitelist, a)
		}
	}
	for _, kv := range ev.opts.Env {
		if whitelist != nil && !contains(whitelist, kv.Name) {
			continue
		}
		if len(kv.Value) > MaxValueLen {
			continue
		}
		if !ev.setVal(f, kv.Name, value{s: kv.Value, known: true, origin: "grubenv:" + kv.Name}) {
			return triUnknown
		}
	}
	return triTrue
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cmdSearch marks the variables a search command sets as known only at
// boot time: the one --set (or -s) names, root when it names none, and
// the one a search.fs_uuid, search.fs_label or search.file names after
// what it searches for.
func cmdSearch(ev *evaluator, f *frame, c call) tri {
	var positional []string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i].s
		if a != "--set" && a != "-s" {
			if !strings.HasPrefix(a, "-") {
				positional = append(positional, a)
			}
			continue
		}
		name := "root"
		if i+1 < len(c.args) && !strings.HasPrefix(c.args[i+1].s, "-") {
			i++
			name = c.args[i].s
		}
		if !ev.setUnresolved(f, name) {
			return triUnknown
		}
	}
	if c.name != "search" && len(positional) >= 2 && validName(positional[1]) {
		ev.setUnresolved(f, positional[1])
	}
	return triUnknown
}

// cmdBracket is test written as [ ... ].
func cmdBracket(ev *evaluator, f *frame, c call) tri {
	if len(c.args) == 0 || c.args[len(c.args)-1].s != "]" {
		return triUnknown
	}
	return ev.test(c.args[:len(c.args)-1])
}

func cmdTest(ev *evaluator, _ *frame, c call) tri { return ev.test(c.args) }

// cmdBLSCfg adds a menu entry for each Boot Loader Specification entry.
func cmdBLSCfg(ev *evaluator, f *frame, c call) tri {
	ev.menu.BLS = true
	for i, b := range ev.opts.BLS {
		if ev.nEntries >= MaxEntries || !ev.m.step(1) || !ev.m.alloc(sizeItem) {
			break
		}
		ev.nEntries++
		*f.items = append(*f.items, menuItem{title: b.Title, id: b.ID, bls: i, conditional: f.conditional, line: c.line})
	}
	if len(ev.opts.BLS) == 0 {
		ev.warnAt(c.line, "blscfg runs but no Boot Loader Specification entries were found")
	}
	return triTrue
}

// cmdConfigfile records the file a top-level configfile replaces the menu
// with; an unconditional one ends the run, as GRUB leaves this script.
func cmdConfigfile(ev *evaluator, f *frame, c call) tri {
	if len(c.args) == 0 {
		return triUnknown
	}
	target := c.args[len(c.args)-1].s
	if f.entry != nil || !f.topLevel {
		return ev.notFollowed(f, c, target)
	}
	if f.conditional {
		ev.warnAt(c.line, "configfile "+target+" under a condition decided only at boot time")
	}
	if ev.menu.ConfigFile == "" {
		ev.menu.ConfigFile = target
	}
	if !f.conditional {
		ev.stopped = true
	}
	return triTrue
}

// cmdSource runs the named file in place, when Options.ReadFile can read
// it. How deep sources nest, how many files they read and how many bytes
// are bounded by the budget; the parsed file is charged to its memory.
func cmdSource(ev *evaluator, f *frame, c call) tri {
	if len(c.args) == 0 {
		return triUnknown
	}
	last := c.args[len(c.args)-1]
	if f.entry != nil || ev.opts.ReadFile == nil || !last.known {
		return ev.notFollowed(f, c, last.s)
	}
	m := ev.m
	switch {
	case ev.sourceDepth >= m.b.SourceDepth:
		m.over(LimitSourceDepth, int64(m.b.SourceDepth))
		return triUnknown
	case m.spent.SourceFiles >= m.b.SourceFiles:
		m.over(LimitSourceFiles, int64(m.b.SourceFiles))
		return triUnknown
	}
	m.spent.SourceFiles++
	left := m.b.SourcedBytes - m.spent.SourcedBytes
	data, err := ev.opts.ReadFile(last.s, left)
	if errors.Is(err, ErrTooComplex) || int64(len(data)) > left {
		m.over(LimitSourcedBytes, m.b.SourcedBytes)
		return triUnknown
	}
	if err != nil {
		if !f.conditional {
			ev.warnAt(c.line, c.name+" "+last.s+": "+err.Error())
		}
		return triFalse
	}
	m.spent.SourcedBytes += int64(len(data))
	nodes, errs, _ := parseWith(lexer{src: data, line: 1}, m)
	for _, e := range errs {
		ev.warn("syntax: " + last.s + ": " + e)
	}
	ev.sourceDepth++
	m.spent.SourceDepth = max(m.spent.SourceDepth, ev.sourceDepth)
	defer func() { ev.sourceDepth-- }()
	return ev.exec(nodes, f)
}

// notFollowed is a configfile or source the run does not follow.
func (ev *evaluator) notFollowed(f *frame, c call, target string) tri {
	if f.entry == nil && !f.conditional {
		ev.warnAt(c.line, c.name+" "+target+" not followed")
	}
	return triUnknown
}
