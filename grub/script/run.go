package script

import (
	"context"
	"errors"
)

// Bounds that keep parsing and evaluation proportional to the input; the
// cost of a run is bounded by its Budget. A script that reaches one is
// reported with ErrTooComplex (a *LimitError naming the bound); what was
// evaluated before it stays.
const (
	// MaxDepth bounds the nesting of blocks, conditions and loops, and
	// so the depth of submenus.
	MaxDepth = 64
	// MaxValueLen bounds one expanded value; a longer one is cut to this
	// length and is no longer known.
	MaxValueLen = 1 << 16
	// MaxEntries bounds the menu entries and submenus one run defines;
	// the rest are ignored with a warning.
	MaxEntries = 4096

	maxErrors = 200 // syntax errors the lexer, and the parser, keep
)

var (
	// ErrSyntax is returned when part of a script could not be parsed;
	// the rest was run.
	ErrSyntax = errors.New("grub script: syntax error")
	// ErrTooComplex is matched (errors.Is) by the *LimitError a run
	// returns when it reached one of the bounds above or of its Budget.
	ErrTooComplex = errors.New("grub script: too complex")
)

// Options carries what a run needs besides the script.
type Options struct {
	// Env holds the variables of the environment block (grubenv) that
	// load_env reads, in block order.
	Env []Var
	// HaveEnv says whether there is an environment block at all, which
	// is what the file tests grub-mkconfig writes before load_env
	// ([ -s $prefix/grubenv ]) ask; it may be set with Env empty.
	HaveEnv bool
	// BLS are the entries blscfg adds to the menu, in menu order.
	BLS []BLSEntry
	// Platform is GRUB's grub_platform ("efi", "pc", ...); empty means
	// unknown.
	Platform string
	// ReadFile, when set, reads a file a "source" command outside a menu
	// entry names (a GRUB path such as /boot/grub/config.cfg), so that
	// its commands and menu entries are run in place, as GRUB does. It
	// reads at most limit bytes, what is left of Budget.SourcedBytes: a
	// larger file is an error matching ErrTooComplex.
	ReadFile func(grubPath string, limit int64) ([]byte, error)
	// Context, when set, stops the run when it is done: the run ends
	// with a *LimitError whose Err is the context's error.
	Context context.Context
	// Budget bounds the run; zero fields take DefaultBudget's.
	Budget Budget
	// Warn, when set, receives each warning in order: syntax errors,
	// then whatever the run could not decide or follow.
	Warn func(msg string)
}

// Var is one variable of an environment block.
type Var struct {
	Name, Value string
}

// BLSEntry is a menu entry that blscfg adds for one Boot Loader
// Specification entry.
type BLSEntry struct {
	// Title and ID are the menu entry's title and --id.
	Title, ID string
	// Body is the script blscfg gives the entry as its body.
	Body string
}

// Value is a variable's value as far as a static run knows it.
type Value struct {
	// Text is the value; when it is not Known, "${NAME}".
	Text string
	// Known is false when the value depends on something GRUB only learns
	// at boot time (a search result, a condition on one, a file test).
	Known bool
	// Origin says where the value came from: "grubenv:NAME" (load_env
	// read it from the environment block), "unset:NAME" (it expanded
	// NAME, which was unset), "grub" (GRUB sets it), "config" (the
	// script wrote it) or "unresolved" (it is not Known).
	Origin string
}

// Run is a script whose top level has run. GRUB runs the bodies of menu
// entries and submenus only when they are chosen, after the whole
// top-level script; Menu runs them, with the variables the top level
// left.
type Run struct {
	ev        *evaluator
	top       *frame
	items     []menuItem
	syntaxErr bool
	menu      *Menu
}

// Start parses src and runs its top level statically. It never executes
// anything: it tracks the variables whose values it can know (literals,
// environment block values from load_env, GRUB's feature_* flags), treats
// everything GRUB only learns at run time (root, prefix, search results,
// file tests) as unknown, and follows every side of a condition it cannot
// decide, keeping what they agree on.
func Start(src []byte, opts Options) *Run {
	ev := &evaluator{opts: opts, unresolvedW: map[string]bool{}, m: newMeter(opts.Context, opts.Budget)}
	ev.m.onLimit = func(e *LimitError) { ev.warn("evaluation stopped: " + e.Reason()) }
	nodes, errs, _ := parseWith(lexer{src: src, line: 1}, ev.m)
	for _, e := range errs {
		ev.warn("syntax: " + e)
	}
	v := newVars()
	for _, name := range features {
		v.set(name, value{s: "y", known: true, origin: "grub", exported: true})
	}
	if opts.Platform != "" {
		v.set("grub_platform", value{s: opts.Platform, known: true, origin: "grub", exported: true})
	}
	r := &Run{ev: ev, syntaxErr: len(errs) > 0}
	r.top = &frame{v: v, items: &r.items, topLevel: true}
	ev.exec(nodes, r.top)
	return r
}

// Var returns the value of a variable when the top level ended, and
// whether it is set.
func (r *Run) Var(name string) (Value, bool) {
	x, ok := r.top.v.get(name)
	if !ok {
		return Value{}, false
	}
	return Value{Text: x.s, Known: x.known, Origin: x.origin}, true
}

// Menu runs the bodies of the menu entries and submenus the top level
// defined, once, and returns the menu.
func (r *Run) Menu() *Menu {
	if r.menu == nil {
		r.ev.runMenu(r.items, r.top.v, nil, nil)
		r.menu = &r.ev.menu
	}
	return r.menu
}

// Err reports a *LimitError (matching ErrTooComplex) when the run so far
// reached a bound, else ErrSyntax when part of the script could not be
// parsed, else nil. Running the menu can reach a bound too: call Err after
// Menu.
func (r *Run) Err() error {
	switch {
	case r.ev.m.limit != nil:
		return r.ev.m.limit
	case r.syntaxErr:
		return ErrSyntax
	}
	return nil
}

// Spent returns what the run has spent so far.
func (r *Run) Spent() Spent { return r.ev.m.spent }
