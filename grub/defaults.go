package grub

import (
	"fmt"
	"strconv"
	"strings"
)

// /etc/default/grub is a POSIX sh fragment that grub-mkconfig sources
// (GRUB manual, "Simple configuration handling"). ParseDefaults reads its
// assignments with sh quoting and expands references to variables assigned
// earlier in the file; command substitutions and conditionals are not run.

// Defaults is the content of /etc/default/grub.
type Defaults struct {
	// Default is GRUB_DEFAULT as written ("0" when unset, as grub-mkconfig
	// assumes).
	Default string `json:"default"`
	// DefaultKind classifies Default: "index" (a number), "path" ("1>2",
	// a submenu path), "saved" (use grubenv's saved_entry), or "entry" (a
	// title or id).
	DefaultKind string `json:"default_kind"`
	// SaveDefault is GRUB_SAVEDEFAULT=true.
	SaveDefault bool `json:"save_default,omitempty"`
	// Timeout is GRUB_TIMEOUT when set and numeric.
	Timeout *int `json:"timeout,omitempty"`
	// CmdlineLinux is GRUB_CMDLINE_LINUX (every entry).
	CmdlineLinux string `json:"cmdline_linux"`
	// CmdlineLinuxDefault is GRUB_CMDLINE_LINUX_DEFAULT (non-recovery
	// entries).
	CmdlineLinuxDefault string `json:"cmdline_linux_default"`
	// DisableSubmenu is GRUB_DISABLE_SUBMENU=true (or "y").
	DisableSubmenu bool `json:"disable_submenu,omitempty"`
	// EnableBLSCfg is GRUB_ENABLE_BLSCFG=true (Fedora, RHEL).
	EnableBLSCfg bool `json:"enable_blscfg,omitempty"`
	// Vars holds every assignment, expanded.
	Vars map[string]string `json:"vars"`
	// Warnings lists what could not be read statically.
	Warnings []string `json:"warnings,omitempty"`
}

// ParseDefaults parses /etc/default/grub. Syntax errors are reported in the
// error (wrapping ErrMalformed) and Warnings; the assignments that parsed
// are kept.
func ParseDefaults(data []byte) (*Defaults, error) {
	d := &Defaults{Vars: map[string]string{}}
	nodes, errs, tooDeep := parseWith(lexer{src: data, line: 1, sh: true})
	cfg := &Config{}
	ev := &evaluator{cfg: cfg, unresolvedW: map[string]bool{}}
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
					lit, _ := firstLiteral(w)
					name, _, ok := strings.Cut(lit, "=")
					if !ok || !validName(name) {
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
					if w.cmdSubst {
						d.Warnings = append(d.Warnings, "line "+strconv.Itoa(n.line)+": "+name+" uses command substitution, which is not run")
					}
					if cond {
						d.Warnings = append(d.Warnings, "line "+strconv.Itoa(n.line)+": "+name+" is assigned under a condition")
					}
					f.v.set(name, value{s: val, known: true})
					d.Vars[name] = val
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
	for _, e := range errs {
		d.Warnings = append(d.Warnings, "syntax: "+e)
	}
	d.Default = "0"
	if v, ok := d.Vars["GRUB_DEFAULT"]; ok {
		d.Default = v
	}
	switch {
	case d.Default == "saved":
		d.DefaultKind = "saved"
	case strings.Contains(strings.ReplaceAll(d.Default, ">>", ""), ">"):
		d.DefaultKind = "path"
	default:
		if _, ok := grubNumber(d.Default); ok {
			d.DefaultKind = "index"
		} else {
			d.DefaultKind = "entry"
		}
	}
	d.CmdlineLinux = d.Vars["GRUB_CMDLINE_LINUX"]
	d.CmdlineLinuxDefault = d.Vars["GRUB_CMDLINE_LINUX_DEFAULT"]
	d.SaveDefault = d.Vars["GRUB_SAVEDEFAULT"] == "true"
	d.DisableSubmenu = d.Vars["GRUB_DISABLE_SUBMENU"] == "true" || d.Vars["GRUB_DISABLE_SUBMENU"] == "y"
	d.EnableBLSCfg = d.Vars["GRUB_ENABLE_BLSCFG"] == "true"
	if t, ok := d.Vars["GRUB_TIMEOUT"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(t)); err == nil {
			d.Timeout = &n
		} else {
			d.Warnings = append(d.Warnings, "GRUB_TIMEOUT is not a number: "+strconv.Quote(t))
		}
	}
	switch {
	case tooDeep:
		return d, fmt.Errorf("grub: default/grub: %w", ErrTooComplex)
	case len(errs) > 0:
		return d, fmt.Errorf("grub: default/grub: %w: %s", ErrMalformed, strings.Join(errs, "; "))
	}
	return d, nil
}

// firstLiteral returns the literal text a word starts with.
func firstLiteral(w word) (string, bool) {
	if len(w.parts) == 0 || w.parts[0].kind != partLit {
		return "", false
	}
	return w.parts[0].text, true
}
