package grub

import (
	"sort"
	"strconv"
	"strings"
)

// The evaluator runs a parsed grub.cfg statically. It never executes
// anything: it tracks variables whose values it can know (literals, grubenv
// values from load_env, GRUB's feature_* flags), treats everything GRUB only
// learns at run time (root, prefix, search results, file tests) as unknown,
// and follows both sides of a condition it cannot decide, merging what they
// agree on. Menu entry and submenu bodies run, as in GRUB, when they are
// chosen, that is after the whole top-level script: the evaluator runs them
// last, with the final top-level variables.

// ConfigOptions carries what ParseConfig needs besides the script.
type ConfigOptions struct {
	// Env is the grubenv block load_env reads; nil means there is none.
	Env *Env
	// BLS is the Boot Loader Specification entries blscfg adds, already
	// sorted the way GRUB's blscfg sorts them (see SortBLSGrub).
	BLS []BLSEntry
	// Platform is GRUB's grub_platform ("efi", "pc", ...); empty means
	// unknown.
	Platform string
	// Path is recorded as Config.ConfigPath.
	Path string
	// ReadFile, when set, reads a file a top-level "source" command names
	// (a GRUB path such as /boot/grub/config.cfg), so that its commands
	// and menu entries are evaluated in place, as GRUB does. FS sets it.
	ReadFile func(grubPath string) ([]byte, error)
}

// value is a variable's value as far as the evaluator knows it.
type value struct {
	s      string
	known  bool
	origin string // "grubenv:NAME", "config", "grub", "unresolved"
	// deleted marks an unset in a child scope.
	deleted bool
	// exported variables are the only ones a submenu sees: GRUB runs a
	// submenu's body in a new environment context holding only them.
	exported bool
}

// vars is a scope of variables: the writes made in it over a read-only
// parent. Branches of an undecided if run in child scopes, so that their
// cost is proportional to what they change, not to how many variables exist.
type vars struct {
	parent *vars
	m      map[string]value
	depth  int
}

func newVars() *vars { return &vars{m: map[string]value{}} }

// child returns a scope over v; it flattens v first when the chain grows
// long, so that lookups stay cheap.
func (v *vars) child() *vars {
	base := v
	if v.depth >= 16 {
		base = v.flatten()
	}
	return &vars{parent: base, m: map[string]value{}, depth: base.depth + 1}
}

func (v *vars) flatten() *vars {
	out := newVars()
	var chain []*vars
	for s := v; s != nil; s = s.parent {
		chain = append(chain, s)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, x := range chain[i].m {
			if x.deleted {
				delete(out.m, k)
			} else {
				out.m[k] = x
			}
		}
	}
	return out
}

func (v *vars) get(k string) (value, bool) {
	for s := v; s != nil; s = s.parent {
		if x, ok := s.m[k]; ok {
			if x.deleted {
				return value{}, false
			}
			return x, true
		}
	}
	return value{}, false
}

// set assigns k, keeping whether it was exported.
func (v *vars) set(k string, x value) {
	if old, ok := v.get(k); ok && old.exported {
		x.exported = true
	}
	v.m[k] = x
}

// exportedOnly returns a new scope with the exported variables of v, as
// grub_env_context_open builds for a submenu.
func (v *vars) exportedOnly() *vars {
	out := newVars()
	for k, x := range v.flatten().m {
		if x.exported {
			out.m[k] = x
		}
	}
	return out
}

func (v *vars) del(k string) { v.m[k] = value{deleted: true} }

// runtimeVars are set by GRUB itself at run time from the machine it runs
// on; their values cannot be known from the configuration.
var runtimeVars = map[string]bool{
	"root": true, "prefix": true, "cmdpath": true, "grub_platform": true,
	"grub_cpu": true, "config_directory": true, "config_file": true,
	"fw_path": true, "chosen": true, "?": true, "lang": true,
	"locale_dir": true, "secondary_locale_dir": true,
}

// features are the feature_* variables GRUB 2.02 and later export as "y"
// (grub-core/normal/main.c), which grub-mkconfig output tests.
var features = []string{
	"feature_chainloader_bpb", "feature_ntldr", "feature_platform_search_hint",
	"feature_default_font_path", "feature_all_video_module",
	"feature_menuentry_id", "feature_menuentry_options", "feature_200_final",
	"feature_nativedisk_cmd", "feature_timeout_style",
}

// importantVars are the variables whose becoming unresolved is worth a
// warning.
var importantVars = map[string]bool{
	"default": true, "timeout": true, "kernelopts": true,
	"next_entry": true, "saved_entry": true, "fallback": true,
}

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

// menuItem is a menuentry or submenu recorded while its enclosing script
// runs; its body runs later (see runMenu).
type menuItem struct {
	submenu   bool
	title, id string
	// args are the body's positional parameters: the title, then the
	// arguments after it that are not options ($1 is the title, as GRUB's
	// grub_normal_add_menu_entry keeps it in the entry's argument list).
	args        []string
	body        []node
	conditional bool
	bls         *BLSEntry
	line        int
}

type evaluator struct {
	cfg        *Config
	opts       ConfigOptions
	steps      int
	expanded   int
	tooComplex bool
	stopped    bool // a top-level configfile replaced the menu
	nEntries   int
	loopWarned bool
	// funcs maps each defined function to the variables its body assigns;
	// a call is not run, but makes those variables unknown.
	funcs       map[string][]string
	unresolvedW map[string]bool
	// sourced counts files read by source, bounded by maxSourced.
	sourced int
}

// maxSourced bounds the files one configuration may source (nesting and
// repetition included).
const maxSourced = 16

// entryState accumulates what a menu entry's body loads.
type entryState struct {
	kind    string
	kernel  string
	args    string
	initrd  []string
	modules []Module
}

// frame is the state of one running script: variables, positional
// parameters, and the menu items it defines.
type frame struct {
	v           *vars
	pos         []string
	items       *[]menuItem
	entry       *entryState // nil outside a menu entry body
	conditional bool
	topLevel    bool
}

// ParseConfig parses a grub.cfg and evaluates it statically. It returns the
// menu it defines and the default it selects. Syntax errors and anything
// that could not be decided are reported in Config.Warnings; the error is
// non-nil (wrapping ErrMalformed or ErrTooComplex) when part of the script
// could not be parsed, but the Config still holds everything that could.
func ParseConfig(data []byte, opts ConfigOptions) (*Config, error) {
	cfg := &Config{Loader: LoaderGRUB, ConfigPath: opts.Path, Entries: []Entry{}}
	nodes, perrs, tooDeep := parseScript(data)
	for _, e := range perrs {
		cfg.warn("syntax: " + e)
	}
	ev := &evaluator{cfg: cfg, opts: opts, unresolvedW: map[string]bool{}}
	v := newVars()
	for _, f := range features {
		v.set(f, value{s: "y", known: true, origin: "grub", exported: true})
	}
	if opts.Platform != "" {
		v.set("grub_platform", value{s: opts.Platform, known: true, origin: "grub", exported: true})
	}
	if opts.Env != nil {
		cfg.NextEntry = opts.Env.Get("next_entry")
		cfg.SavedEntry = opts.Env.Get("saved_entry")
	}
	var items []menuItem
	top := &frame{v: v, items: &items, topLevel: true}
	ev.exec(nodes, top)

	// The default GRUB uses is the value of "default" when the script ends.
	switch d, ok := top.v.get("default"); {
	case !ok:
		cfg.DefaultFrom = "unset"
	case !d.known:
		cfg.DefaultFrom = "unresolved"
		cfg.DefaultEntry = d.s
		cfg.warn("default: depends on a condition or value known only at boot time")
	default:
		cfg.DefaultEntry = d.s
		switch d.origin {
		case "grubenv:next_entry", "unset:next_entry":
			cfg.DefaultFrom = "next_entry"
		case "grubenv:saved_entry", "unset:saved_entry":
			cfg.DefaultFrom = "saved_entry"
		default:
			cfg.DefaultFrom = "config"
		}
	}
	if t, ok := top.v.get("timeout"); ok && t.known {
		if n, err := strconv.Atoi(strings.TrimSpace(t.s)); err == nil {
			cfg.Timeout = &n
		} else {
			cfg.warn("timeout: not a number: " + strconv.Quote(t.s))
		}
	}
	ev.runMenu(items, top.v, nil, nil)
	if cfg.Loader == LoaderGRUB {
		cfg.Flavor = FlavorUpstream
		if cfg.BLS {
			cfg.Flavor = FlavorFedora
		}
	}

	var err error
	switch {
	case tooDeep || ev.tooComplex:
		err = ErrTooComplex
	case len(perrs) > 0:
		err = ErrMalformed
	}
	if err != nil {
		return cfg, wrapf(err, "grub.cfg")
	}
	return cfg, nil
}

// runMenu runs the bodies of the items a script defined, in menu order, so
// that Entries come out in the order GRUB numbers them.
func (ev *evaluator) runMenu(items []menuItem, v *vars, path []int, titles []string) {
	for i := range items {
		it := &items[i]
		p := append(append([]int(nil), path...), i)
		if it.submenu {
			ev.cfg.Submenus = append(ev.cfg.Submenus, Submenu{Title: it.title, ID: it.id, Index: indexString(p), path: p})
			var children []menuItem
			f := &frame{v: v.exportedOnly(), pos: it.args, items: &children, conditional: it.conditional}
			ev.exec(it.body, f)
			ev.runMenu(children, f.v, p, append(append([]string(nil), titles...), it.title))
			continue
		}
		e := Entry{
			Title: it.title, ID: it.id, Index: indexString(p),
			Submenu: titles, Source: "grub.cfg", Conditional: it.conditional, path: p, line: it.line,
		}
		body := it.body
		if it.bls != nil {
			e.Source = "bls:" + it.bls.ID + ".conf"
			e.version, e.machineID, e.sortKey = it.bls.Version, it.bls.MachineID, it.bls.SortKey
			body, _, _ = parseScript([]byte(it.bls.grubScript()))
		}
		es := &entryState{}
		f := &frame{v: v.child(), pos: it.args, items: &[]menuItem{}, entry: es, conditional: it.conditional}
		ev.exec(body, f)
		e.Kind, e.Kernel, e.Args, e.Initrd, e.Modules = es.kind, es.kernel, es.args, es.initrd, es.modules
		if e.Kind == "" {
			e.Kind = KindOther
		}
		ev.cfg.Entries = append(ev.cfg.Entries, e)
	}
}

func indexString(p []int) string {
	var b strings.Builder
	for i, n := range p {
		if i > 0 {
			b.WriteByte('>')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

func (ev *evaluator) step() bool {
	ev.steps++
	if ev.steps > maxSteps {
		if !ev.tooComplex {
			ev.cfg.warn("evaluation stopped after " + strconv.Itoa(maxSteps) + " commands")
		}
		ev.tooComplex = true
	}
	return !ev.tooComplex && !ev.stopped
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
			ev.funcs[n.name] = assignedVars(n.body, nil, 0)
			st = triTrue
		case *loopNode:
			if !ev.loopWarned && containsMenu(n.body) {
				ev.cfg.warn("line " + strconv.Itoa(n.line) + ": menu entries inside a " + n.kind + " loop are not evaluated")
				ev.loopWarned = true
			}
			st = triUnknown
		}
	}
	return st
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
		g := &frame{v: f.v.child(), pos: f.pos, items: f.items, conditional: true, topLevel: f.topLevel}
		if f.entry != nil {
			es := *f.entry
			es.initrd = append([]string(nil), f.entry.initrd...)
			es.modules = append([]Module(nil), f.entry.modules...)
			g.entry = &es
		}
		before := len(*f.items)
		ev.exec(body, g)
		if len(*f.items) != before {
			defined = true
		}
		results[i] = g
	}
	if defined {
		ev.cfg.warn("line " + strconv.Itoa(n.line) + ": menu entries defined under a condition decided only at boot time")
	}
	keys := map[string]bool{}
	for _, r := range results {
		for k := range r.v.m {
			keys[k] = true
		}
	}
	for _, k := range sortedKeys(keys) {
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
			f.v.set(k, value{s: "${" + k + "}", known: false, origin: "unresolved"})
			if importantVars[k] && f.topLevel && !ev.unresolvedW[k] {
				ev.unresolvedW[k] = true
				ev.cfg.warn("line " + strconv.Itoa(n.line) + ": " + k + " is set under a condition decided only at boot time")
			}
		}
	}
	if f.entry != nil {
		// Take the first branch's loader commands; say so if they differ.
		*f.entry = *results[0].entry
		for _, r := range results[1:] {
			if r.entry.kernel != results[0].entry.kernel || r.entry.args != results[0].entry.args {
				ev.cfg.warn("line " + strconv.Itoa(n.line) + ": the kernel an entry loads depends on a condition decided only at boot time; the first branch is reported")
				break
			}
		}
	}
	return triUnknown
}

func (ev *evaluator) menuBlock(n *blockNode, f *frame) {
	if ev.nEntries >= maxEntries {
		if ev.nEntries == maxEntries {
			ev.cfg.warn("more than " + strconv.Itoa(maxEntries) + " menu entries; the rest are ignored")
			ev.nEntries++
		}
		return
	}
	ev.nEntries++
	fields := ev.expandAll(n.args, f)
	it := menuItem{submenu: n.submenu, body: n.body, conditional: f.conditional, line: n.line}
	var positional []string
	for i := 0; i < len(fields); i++ {
		a := fields[i].s
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			name, val, hasVal := strings.Cut(a[2:], "=")
			switch name {
			case "class", "users", "hotkey", "source", "id":
				if !hasVal && i+1 < len(fields) {
					i++
					val = fields[i].s
				}
				if name == "id" {
					it.id = val
				}
			}
			continue
		}
		positional = append(positional, a)
	}
	if len(positional) == 0 {
		// GRUB's menuentry fails with "missing arguments" and adds nothing.
		ev.cfg.warn("line " + strconv.Itoa(n.line) + ": menu entry without a title is not added (GRUB: missing arguments)")
		return
	}
	it.title = positional[0]
	it.args = positional
	*f.items = append(*f.items, it)
}

// Bound on menu items, so that a loop of blscfg calls cannot multiply them.
const maxEntries = 4096

func (ev *evaluator) setVar(f *frame, name string, fl field) {
	if len(fl.s) > maxValueLen {
		ev.cfg.warn("value of " + name + " longer than " + strconv.Itoa(maxValueLen) + " bytes; treated as unknown")
		f.v.set(name, value{s: "${" + name + "}", origin: "unresolved"})
		return
	}
	origin := fl.origin
	if origin == "" {
		origin = "config"
	}
	if !fl.known {
		origin = "unresolved"
	}
	f.v.set(name, value{s: fl.s, known: fl.known, origin: origin})
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

func (ev *evaluator) command(n *cmdNode, f *frame) tri {
	args := ev.expandAll(n.words, f)
	if len(args) == 0 {
		return triTrue
	}
	for _, a := range args {
		// Any command may store a run-time result with --set=VAR.
		if v, ok := strings.CutPrefix(a.s, "--set="); ok && validName(v) {
			f.v.set(v, value{s: "${" + v + "}", origin: "unresolved"})
		}
	}
	if !args[0].known {
		return triUnknown
	}
	name := args[0].s
	rest := args[1:]
	switch name {
	case "set":
		for _, a := range rest {
			k, val, ok := strings.Cut(a.s, "=")
			if !ok || !validName(k) {
				continue
			}
			fl := a
			fl.s = val
			ev.setVar(f, k, fl)
		}
		return triTrue
	case "unset":
		for _, a := range rest {
			f.v.del(a.s)
		}
		return triTrue
	case "export":
		for _, a := range rest {
			x, ok := f.v.get(a.s)
			if !ok {
				x = value{known: true, origin: "config"}
			}
			x.exported = true
			f.v.m[a.s] = x
		}
		return triTrue
	case "save_env", "insmod", "echo", "load_video", "terminal_output",
		"terminal_input", "serial", "set_background_image", "loadfont":
		return triTrue
	case "true", ":":
		return triTrue
	case "menuentry", "submenu":
		// Only reached without a { } body, which GRUB refuses at run time.
		ev.cfg.warn("line " + strconv.Itoa(n.line) + ": " + name + " without a body is not added")
		return triFalse
	case "false":
		return triFalse
	case "load_env":
		ev.loadEnv(f, rest)
		return triTrue
	case "search", "search.fs_uuid", "search.fs_label", "search.file":
		ev.search(f, name, rest)
		return triUnknown
	case "[":
		if len(rest) == 0 || rest[len(rest)-1].s != "]" {
			return triUnknown
		}
		return ev.test(f, rest[:len(rest)-1])
	case "test":
		return ev.test(f, rest)
	case "blscfg":
		ev.cfg.BLS = true
		for i := range ev.opts.BLS {
			if ev.nEntries >= maxEntries {
				break
			}
			ev.nEntries++
			b := &ev.opts.BLS[i]
			*f.items = append(*f.items, menuItem{title: b.grubTitle(), id: b.ID, bls: b, conditional: f.conditional, line: n.line})
		}
		if len(ev.opts.BLS) == 0 {
			ev.cfg.warn("line " + strconv.Itoa(n.line) + ": blscfg runs but no Boot Loader Specification entries were found")
		}
		return triTrue
	case "configfile", "source", ".":
		if len(rest) == 0 {
			return triUnknown
		}
		target := rest[len(rest)-1].s
		if name == "configfile" && f.entry == nil && f.topLevel {
			if f.conditional {
				ev.cfg.warn("line " + strconv.Itoa(n.line) + ": configfile " + target + " under a condition decided only at boot time")
			}
			if ev.cfg.ConfigFile == "" {
				ev.cfg.ConfigFile = target
			}
			if !f.conditional {
				ev.stopped = true
			}
			return triTrue
		}
		if name != "configfile" && f.entry == nil && ev.opts.ReadFile != nil && rest[len(rest)-1].known && ev.sourced < maxSourced {
			ev.sourced++
			if data, err := ev.opts.ReadFile(target); err == nil {
				nodes, errs, tooDeep := parseScript(data)
				for _, e := range errs {
					ev.cfg.warn("syntax: " + target + ": " + e)
				}
				if tooDeep {
					ev.tooComplex = true
				}
				return ev.exec(nodes, f)
			} else if !f.conditional {
				ev.cfg.warn("line " + strconv.Itoa(n.line) + ": " + name + " " + target + ": " + err.Error())
			}
			return triFalse
		}
		if f.entry == nil && !f.conditional {
			ev.cfg.warn("line " + strconv.Itoa(n.line) + ": " + name + " " + target + " not followed")
		}
		return triUnknown
	}
	if f.entry != nil && ev.loader(f.entry, name, rest) {
		return triTrue
	}
	if vs, ok := ev.funcs[name]; ok {
		for _, v := range vs {
			f.v.set(v, value{s: "${" + v + "}", origin: "unresolved"})
		}
		return triUnknown
	}
	// NAME=value as a command assigns (grub_script_execute_cmdline).
	if k, val, ok := strings.Cut(name, "="); ok && validName(k) {
		fl := args[0]
		fl.s = val
		ev.setVar(f, k, fl)
		return triTrue
	}
	return triUnknown
}

// loader records the kernel-loading commands of a menu entry.
func (ev *evaluator) loader(es *entryState, name string, rest []field) bool {
	words := make([]string, 0, len(rest))
	for _, r := range rest {
		words = append(words, r.s)
	}
	skipOpts := func(w []string) []string {
		for len(w) > 0 && strings.HasPrefix(w[0], "--") {
			w = w[1:]
		}
		return w
	}
	switch name {
	case "linux", "linuxefi", "linux16", "kernel":
		es.kind = KindLinux
		if len(words) > 0 {
			es.kernel = words[0]
			es.args = loaderCmdline(words[1:])
		}
	case "initrd", "initrdefi", "initrd16":
		es.initrd = append(es.initrd, skipOpts(words)...)
	case "multiboot", "multiboot2":
		es.kind = KindMultiboot
		w := skipOpts(words)
		if len(w) > 0 {
			es.kernel = w[0]
			es.args = loaderCmdline(w[1:])
		}
	case "module", "module2":
		w := skipOpts(words)
		if len(w) > 0 {
			// GRUB passes the module's path as its first "argument" too;
			// keep only what follows.
			es.modules = append(es.modules, Module{Path: w[0], Args: loaderCmdline(w[1:])})
		}
	case "chainloader":
		es.kind = KindChainload
		w := skipOpts(words)
		if len(w) > 0 {
			es.kernel = w[0]
			es.args = strings.Join(w[1:], " ")
		}
	default:
		return false
	}
	return true
}

func (ev *evaluator) loadEnv(f *frame, args []field) {
	var whitelist []string
	for i := 0; i < len(args); i++ {
		a := args[i].s
		switch {
		case a == "-f" || a == "--file":
			i++
		case strings.HasPrefix(a, "--file="), a == "-s", a == "--skip-sig":
		case strings.HasPrefix(a, "-"):
		default:
			whitelist = append(whitelist, a)
		}
	}
	if ev.opts.Env == nil {
		return
	}
	for _, kv := range ev.opts.Env.Vars {
		if whitelist != nil && !contains(whitelist, kv.Name) {
			continue
		}
		if len(kv.Value) > maxValueLen {
			continue
		}
		f.v.set(kv.Name, value{s: kv.Value, known: true, origin: "grubenv:" + kv.Name})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// search marks the variable a search command sets as known only at boot.
func (ev *evaluator) search(f *frame, name string, args []field) {
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i].s
		switch {
		case a == "--set" || a == "-s":
			if i+1 < len(args) && !strings.HasPrefix(args[i+1].s, "-") {
				i++
				f.v.set(args[i].s, value{s: "${" + args[i].s + "}", origin: "unresolved"})
			} else {
				f.v.set("root", value{s: "${root}", origin: "unresolved"})
			}
		case strings.HasPrefix(a, "-"):
		default:
			positional = append(positional, a)
		}
	}
	if name != "search" && len(positional) >= 2 && validName(positional[1]) {
		f.v.set(positional[1], value{s: "${" + positional[1] + "}", origin: "unresolved"})
	}
}

// field is one argument after expansion.
type field struct {
	s     string
	known bool
	// origin is the variable's origin when the word was exactly one
	// variable reference, so that set default="${next_entry}" can tell
	// where the default came from.
	origin string
}

func (ev *evaluator) expandAll(ws []word, f *frame) []field {
	var out []field
	for _, w := range ws {
		out = ev.expand(w, f, out)
	}
	return out
}

func (ev *evaluator) lookup(name string, f *frame) value {
	if name != "" && isDigit(name[0]) {
		n, err := strconv.Atoi(name)
		if err == nil && n >= 1 && n <= len(f.pos) {
			return value{s: f.pos[n-1], known: true, origin: "config"}
		}
		return value{known: true}
	}
	switch name {
	case "#":
		return value{s: strconv.Itoa(len(f.pos)), known: true}
	case "*", "@":
		return value{s: strings.Join(f.pos, " "), known: true}
	}
	if v, ok := f.v.get(name); ok {
		return v
	}
	if runtimeVars[name] || strings.HasPrefix(name, "net_") {
		return value{s: "${" + name + "}", origin: "unresolved"}
	}
	return value{known: true, origin: "unset:" + name}
}

// expand expands one word into zero or more fields, appending to out.
// Unquoted variable values are split on blanks as GRUB does; an unknown
// value is kept as "${name}" and marks the field unknown.
func (ev *evaluator) expand(w word, f *frame, out []field) []field {
	var cur strings.Builder
	known, has := true, false
	origin := wordOrigin(w, func(n string) string { return ev.lookup(n, f).origin })
	push := func() {
		s := cur.String()
		if len(s) > maxValueLen {
			s = s[:maxValueLen]
			known = false
		}
		ev.expanded += len(s)
		if ev.expanded > maxExpanded && !ev.tooComplex {
			ev.cfg.warn("evaluation stopped after expanding " + strconv.Itoa(maxExpanded) + " bytes")
			ev.tooComplex = true
		}
		out = append(out, field{s: s, known: known, origin: origin})
		cur.Reset()
		known, has = true, false
	}
	for _, p := range w.parts {
		switch p.kind {
		case partLit:
			cur.WriteString(p.text)
			has = true
		case partQVar:
			v := ev.lookup(p.text, f)
			cur.WriteString(v.s)
			if !v.known {
				known = false
			}
			has = true
		case partVar:
			v := ev.lookup(p.text, f)
			if !v.known {
				cur.WriteString(v.s)
				known = false
				has = true
				continue
			}
			s := v.s
			for s != "" {
				i := strings.IndexAny(s, " \t\n")
				if i < 0 {
					cur.WriteString(s)
					has = true
					break
				}
				if i > 0 {
					cur.WriteString(s[:i])
					has = true
				}
				if has {
					push()
				}
				s = strings.TrimLeft(s[i:], " \t\n")
			}
		}
		if cur.Len() > maxValueLen {
			break
		}
	}
	if has || w.quoted {
		push()
	}
	return out
}

// sortedKeys is a helper for deterministic iteration in tests and warnings.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// wordOrigin returns the origin of the variable a word consists of: "$v",
// "${v}", or an assignment "name=$v" / name="${v}".
func wordOrigin(w word, originOf func(string) string) string {
	n := len(w.parts)
	if n == 0 || w.parts[n-1].kind == partLit {
		return ""
	}
	for _, p := range w.parts[:n-1] {
		if p.kind != partLit {
			return ""
		}
	}
	if n > 1 {
		last := w.parts[n-2].text
		if n > 2 || !strings.HasSuffix(last, "=") {
			return ""
		}
	}
	return originOf(w.parts[n-1].text)
}

// assignedVars lists the variables a script body assigns with set or
// NAME=value.
func assignedVars(nodes []node, out []string, depth int) []string {
	if depth > maxDepth {
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
				lit, _ := firstLiteral(w)
				if k, _, ok := strings.Cut(lit, "="); ok && validName(k) {
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

// loaderCmdline joins a loader command's arguments into the command line
// the kernel receives, as GRUB 2.06's grub_create_loader_cmdline does
// (grub-core/lib/cmdline.c): an argument holding a space is wrapped in
// double quotes, and backslashes, single quotes and double quotes are
// escaped with a backslash unless the backslash starts a \xHH escape.
func loaderCmdline(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		space := strings.IndexByte(a, ' ') >= 0
		if space {
			b.WriteByte('"')
		}
		for j := 0; j < len(a); j++ {
			c := a[j]
			if c == '\\' && j+3 < len(a) && a[j+1] == 'x' && isHex(a[j+2]) && isHex(a[j+3]) {
				b.WriteString(a[j : j+4])
				j += 3
				continue
			}
			if c == '\\' || c == '\'' || c == '"' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		if space {
			b.WriteByte('"')
		}
	}
	return b.String()
}

func isHex(c byte) bool { return digitVal(c) >= 0 }

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
