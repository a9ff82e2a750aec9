package script

import (
	"strconv"
	"strings"
)

// Menu is the menu a script defines.
type Menu struct {
	// Entries are the menu entries in GRUB's order, those of submenus
	// included, each with its body run.
	Entries []Entry
	// Submenus are the submenus, in the order they were entered.
	Submenus []Submenu
	// BLS is set when blscfg ran, adding Options.BLS to the menu.
	BLS bool
	// ConfigFile is the target of a top-level configfile command, which
	// replaces this menu with the one of another file.
	ConfigFile string
}

// Entry is one menu entry and what its body loads.
type Entry struct {
	Title string
	// ID is the entry's --id.
	ID string
	// Path is the entry's position in each enclosing menu, outermost
	// first: GRUB's "1>0" is [1 0].
	Path []int
	// Submenu holds the titles of the enclosing submenus, outermost first.
	Submenu []string
	// Conditional is set when the entry is defined under a condition the
	// run could not decide, so that GRUB may not show it.
	Conditional bool
	// Line is where the entry's menuentry starts in the script.
	Line int
	// BLS is the index in Options.BLS of the entry blscfg made this one
	// from, or -1 for an entry the script defines.
	BLS int
	Load
}

// Submenu is one submenu.
type Submenu struct {
	Title, ID string
	// Path is the submenu's position, as Entry.Path.
	Path []int
}

// LoadKind says which kind of loader command a menu entry's body runs.
type LoadKind uint8

// Loader kinds.
const (
	LoadNone      LoadKind = iota // the body loads nothing
	LoadLinux                     // linux, linuxefi, linux16, kernel
	LoadMultiboot                 // multiboot, multiboot2, with modules
	LoadChainload                 // chainloader
)

// Load is what a menu entry's body loads.
type Load struct {
	Kind LoadKind
	// Kernel is the loaded file: the kernel, the multiboot image or the
	// chain-loaded program.
	Kernel string
	// Args is the command line GRUB builds for it.
	Args string
	// Initrd holds the initial ramdisks, in order.
	Initrd []string
	// Modules are the multiboot modules, in order.
	Modules []Module
}

// Module is one multiboot module.
type Module struct {
	Path, Args string
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
	bls         int // index in Options.BLS, or -1
	line        int
}

// claimItem counts one more menu item; past MaxEntries it warns, once,
// and reports false.
func (ev *evaluator) claimItem() bool {
	if !ev.m.step(1) || !ev.m.alloc(sizeItem) {
		return false
	}
	if ev.nEntries >= MaxEntries {
		if ev.nEntries == MaxEntries {
			ev.warn("more than " + strconv.Itoa(MaxEntries) + " menu entries; the rest are ignored")
			ev.nEntries++
		}
		return false
	}
	ev.nEntries++
	return true
}

// menuBlock records a menuentry or submenu with its { } body.
func (ev *evaluator) menuBlock(n *blockNode, f *frame) {
	if !ev.claimItem() {
		return
	}
	fields := ev.expandAll(n.args, f)
	it := menuItem{submenu: n.submenu, body: n.body, conditional: f.conditional, bls: -1, line: n.line}
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
		ev.warnAt(n.line, "menu entry without a title is not added (GRUB: missing arguments)")
		return
	}
	it.title = positional[0]
	it.args = positional
	*f.items = append(*f.items, it)
}

// runMenu runs the bodies of the items a script defined, in menu order, so
// that Entries come out in the order GRUB numbers them.
func (ev *evaluator) runMenu(items []menuItem, v *vars, path []int, titles []string) {
	for i := range items {
		it := &items[i]
		if !ev.m.step(1+len(path)) || !ev.m.alloc(sizeEntry+8*len(path)) {
			return
		}
		p := append(append([]int(nil), path...), i)
		if it.submenu {
			ev.menu.Submenus = append(ev.menu.Submenus, Submenu{Title: it.title, ID: it.id, Path: p})
			var children []menuItem
			// A submenu starts from the exported variables: finding
			// them goes through every variable.
			if n := v.size(); !ev.m.step(n) || !ev.m.alloc(sizeVar*n) {
				return
			}
			f := &frame{v: v.exportedOnly(), pos: it.args, items: &children, conditional: it.conditional}
			ev.exec(it.body, f)
			ev.runMenu(children, f.v, p, append(append([]string(nil), titles...), it.title))
			continue
		}
		body := it.body
		if it.bls >= 0 {
			body, _, _ = parseWith(lexer{src: []byte(ev.opts.BLS[it.bls].Body), line: 1}, ev.m)
		}
		cv, ok := ev.child(v)
		if !ok {
			return
		}
		f := &frame{v: cv, pos: it.args, items: &[]menuItem{}, entry: &Load{}, conditional: it.conditional}
		ev.exec(body, f)
		ev.menu.Entries = append(ev.menu.Entries, Entry{
			Title: it.title, ID: it.id, Path: p, Submenu: titles,
			Conditional: it.conditional, Line: it.line, BLS: it.bls, Load: *f.entry,
		})
	}
}
