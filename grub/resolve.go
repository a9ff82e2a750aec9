package grub

import (
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/grub/script"
)

// Resolution says which entry boots next and why.
type Resolution struct {
	// Entry is the entry that boots next; nil when it cannot be told
	// (the menu is empty, or the default depends on run-time state).
	Entry *Entry `json:"entry,omitempty"`
	// Index is Entry's position in Config.Entries, -1 without one.
	Index int `json:"index"`
	// Source names what selected it: "next_entry", "saved_entry",
	// "default" (a literal default), "first_entry" (no default set),
	// "loader_entry_oneshot", "loader_entry_default", "loader_conf".
	Source string `json:"source"`
	// Spec is the selector that was resolved ("1>2", an id, a title, a
	// glob pattern).
	Spec string `json:"spec,omitempty"`
	// Fallback is set when the selector matched nothing and the boot
	// loader falls back to its first entry.
	Fallback bool `json:"fallback,omitempty"`
	// Reason explains the choice in one sentence.
	Reason string `json:"reason"`
}

// LoaderVars are the EFI variables systemd-boot reads and writes
// (LoaderEntryOneShot, LoaderEntryDefault, LoaderEntryLastBooted) and the
// one it sets for the running boot (LoaderEntrySelected), as the caller
// read them; empty when unset.
type LoaderVars struct {
	OneShot    string `json:"loader_entry_oneshot,omitempty"`
	Default    string `json:"loader_entry_default,omitempty"`
	LastBooted string `json:"loader_entry_last_booted,omitempty"`
	Selected   string `json:"loader_entry_selected,omitempty"`
}

// Resolve returns the entry that boots next if nobody touches the menu.
//
// For GRUB it follows grub-core/normal/menu.c: the "default" variable the
// script leaves (which already reflects next_entry and saved_entry when the
// configuration uses grub-mkconfig's patterns) is split at unescaped '>'
// into one selector per menu level; each is a number (an index) or is
// compared with the titles and ids of that level; a selector that matches
// nothing, or an index out of range, selects the first entry; a selected
// submenu is entered with the rest of the path (or its first entry).
//
// For systemd-boot: LoaderEntryOneShot, then LoaderEntryDefault, then the
// loader.conf default glob (the first matching entry; "@saved" means
// LoaderEntryLastBooted), then the first entry in systemd-boot's order.
func Resolve(cfg *Config, lv LoaderVars) Resolution {
	if cfg == nil || len(cfg.Entries) == 0 {
		return Resolution{Index: -1, Reason: "the menu has no entries"}
	}
	if cfg.Loader == LoaderSystemdBoot {
		return resolveSystemd(cfg, lv)
	}
	return resolveGRUB(cfg)
}

type menuNode struct {
	entry   int // index into cfg.Entries, or -1 for a submenu
	title   string
	id      string
	path    []int
	submenu bool
}

// children lists the items of the (sub)menu at path p, in menu order.
func children(cfg *Config, p []int) []menuNode {
	var out []menuNode
	seen := map[int]bool{}
	isChild := func(q []int) bool {
		if len(q) != len(p)+1 {
			return false
		}
		for i := range p {
			if q[i] != p[i] {
				return false
			}
		}
		return true
	}
	for i := range cfg.Entries {
		e := &cfg.Entries[i]
		if isChild(e.path) && !seen[e.path[len(p)]] {
			seen[e.path[len(p)]] = true
			out = append(out, menuNode{entry: i, title: e.Title, id: e.ID, path: e.path})
		}
	}
	for _, s := range cfg.Submenus {
		if isChild(s.path) && !seen[s.path[len(p)]] {
			seen[s.path[len(p)]] = true
			out = append(out, menuNode{entry: -1, title: s.Title, id: s.ID, path: s.path, submenu: true})
		}
	}
	// Sort by position (few items: insertion sort).
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].path[len(p)] < out[j-1].path[len(p)]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func resolveGRUB(cfg *Config) Resolution {
	r := Resolution{Index: -1, Spec: cfg.DefaultEntry}
	switch cfg.DefaultFrom {
	case "unresolved":
		r.Source = "unresolved"
		r.Reason = "the default entry depends on state known only at boot time"
		return r
	case "unset":
		r.Source = "first_entry"
	case "next_entry", "saved_entry":
		r.Source = cfg.DefaultFrom
	default:
		r.Source = "default"
	}
	spec, set := cfg.DefaultEntry, cfg.DefaultFrom != "unset"
	var p []int
	var notes []string
	for depth := 0; depth <= script.MaxDepth; depth++ {
		items := children(cfg, p)
		if len(items) == 0 {
			r.Reason = "the selected submenu is empty"
			return r
		}
		idx := 0
		rest, hasRest := "", false
		if set {
			var how string
			idx, how = entryNumber(items, spec, cfg.Flavor != FlavorFedora)
			if how != "" {
				notes = append(notes, how)
			}
			rest, hasRest = afterSelector(spec)
			if idx < 0 || idx >= len(items) {
				r.Fallback = true
				notes = append(notes, "GRUB falls back to the first entry")
				idx = 0
			}
		}
		it := items[idx]
		if !it.submenu {
			r.Entry = &cfg.Entries[it.entry]
			r.Index = it.entry
			r.Reason = describe(r, notes)
			return r
		}
		p = it.path
		spec, set = rest, hasRest
	}
	r.Reason = "submenus nested too deeply"
	return r
}

func describe(r Resolution, notes []string) string {
	var b strings.Builder
	switch r.Source {
	case "first_entry":
		b.WriteString("no default is set: the first entry boots")
	case "next_entry":
		b.WriteString("one-shot next_entry " + quote(r.Spec) + " (grub-reboot)")
	case "saved_entry":
		b.WriteString("saved_entry " + quote(r.Spec) + " (GRUB_DEFAULT=saved)")
	default:
		b.WriteString("default " + quote(r.Spec))
	}
	for _, n := range notes {
		b.WriteString("; " + n)
	}
	return b.String()
}

func quote(s string) string { return "\"" + s + "\"" }

// entryNumber implements one level of GRUB's get_entry_number: a selector
// that starts with a number is an index (upstream GRUB's grub_strtoul ignores
// what follows the digits; with fedora false, only a selector that is all
// number is); otherwise the first item whose title or id equals the
// selector (up to an unescaped '>', where ">>" stands for '>') is chosen. It
// returns -1 when nothing matches, and a note for the report.
func entryNumber(items []menuNode, spec string, upstream bool) (int, string) {
	sel := selector(spec)
	if n, ok := grubNumber(sel); ok {
		return n, "index " + strconv.Itoa(n)
	}
	if n, ok := leadingNumber(sel); ok {
		if upstream {
			return n, quote(sel) + " starts with digits, which upstream GRUB reads as index " + strconv.Itoa(n)
		}
	}
	for i, it := range items {
		if it.title == sel {
			return i, "matched the title at index " + strconv.Itoa(i)
		}
		if it.id != "" && it.id == sel {
			return i, "matched the id at index " + strconv.Itoa(i)
		}
	}
	return -1, quote(sel) + " matches no entry"
}

// selector returns the first '>'-separated component of spec, with ">>"
// unescaped to '>'.
func selector(spec string) string {
	var b strings.Builder
	for i := 0; i < len(spec); i++ {
		if spec[i] == '>' {
			if i+1 < len(spec) && spec[i+1] == '>' {
				b.WriteByte('>')
				i++
				continue
			}
			break
		}
		b.WriteByte(spec[i])
	}
	return b.String()
}

// afterSelector returns what follows the first unescaped '>' of spec, as
// grub_menu_execute_entry sets "default" for a submenu.
func afterSelector(spec string) (string, bool) {
	for i := 0; i < len(spec); i++ {
		if spec[i] == '>' {
			if i+1 < len(spec) && spec[i+1] == '>' {
				i++
				continue
			}
			if i+1 < len(spec) {
				return spec[i+1:], true
			}
			return "", false
		}
	}
	return "", false
}

// grubNumber parses an entry index as grub_strtoul(val, 0, 0) does for a
// selector made only of a number: optional blanks, decimal or 0x hex.
func grubNumber(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t")
	base := 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		base, s = 16, s[2:]
	}
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := digitVal(s[i])
		if d < 0 || d >= base {
			return 0, false
		}
		n = n*base + d
		if n > 1<<24 {
			n = 1 << 24 // out of range anyway
		}
	}
	return n, true
}

// leadingNumber parses the number a selector starts with, as
// grub_strtoul(val, 0, 0) does: blanks skipped, "0x" for hexadecimal,
// digits up to the first that is not one.
func leadingNumber(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t")
	base := 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digitVal(s[2]) >= 0 {
		base, s = 16, s[2:]
	}
	n, ok := 0, false
	for i := 0; i < len(s); i++ {
		d := digitVal(s[i])
		if d < 0 || d >= base {
			break
		}
		n, ok = n*base+d, true
		if n > 1<<24 {
			n = 1 << 24
		}
	}
	return n, ok
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func resolveSystemd(cfg *Config, lv LoaderVars) Resolution {
	r := Resolution{Index: -1}
	try := func(source, spec string, glob bool) bool {
		if spec == "" {
			return false
		}
		for i := range cfg.Entries {
			e := &cfg.Entries[i]
			ok := e.ID == spec || e.ID+".conf" == spec
			if glob {
				ok = globMatch(spec, e.ID)
			}
			if ok {
				r.Entry, r.Index, r.Source, r.Spec = e, i, source, spec
				return true
			}
		}
		return false
	}
	var notes []string
	if try("loader_entry_oneshot", lv.OneShot, false) {
		r.Reason = "LoaderEntryOneShot " + quote(lv.OneShot) + " (bootctl set-oneshot)"
		return r
	} else if lv.OneShot != "" {
		notes = append(notes, "LoaderEntryOneShot "+quote(lv.OneShot)+" matches no entry")
	}
	if try("loader_entry_default", lv.Default, false) {
		r.Reason = "LoaderEntryDefault " + quote(lv.Default) + " (bootctl set-default)"
		return r
	} else if lv.Default != "" {
		notes = append(notes, "LoaderEntryDefault "+quote(lv.Default)+" matches no entry")
	}
	pattern := cfg.DefaultEntry
	if pattern == "@saved" {
		if try("loader_conf", lv.LastBooted, false) {
			r.Reason = strings.Join(append(notes, "loader.conf default @saved: LoaderEntryLastBooted "+quote(lv.LastBooted)), "; ")
			return r
		}
		notes = append(notes, "loader.conf default @saved but LoaderEntryLastBooted matches no entry")
		pattern = ""
	}
	if try("loader_conf", pattern, true) {
		r.Reason = strings.Join(append(notes, "loader.conf default "+quote(pattern)+" matches "+quote(r.Entry.ID)), "; ")
		return r
	} else if pattern != "" {
		notes = append(notes, "loader.conf default "+quote(pattern)+" matches no entry")
		r.Fallback = true
	}
	r.Entry, r.Index, r.Source = &cfg.Entries[0], 0, "first_entry"
	r.Reason = strings.Join(append(notes, "the first entry in systemd-boot's order boots"), "; ")
	return r
}
