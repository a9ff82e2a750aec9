package grub

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/grub/script"
)

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
	// It reads at most limit bytes; a larger file is an error matching
	// ErrTooComplex.
	ReadFile func(grubPath string, limit int64) ([]byte, error)
	// Context, when set, stops the evaluation when it is done.
	Context context.Context
	// Budget bounds the evaluation (see script.Budget); zero fields take
	// script.DefaultBudget's.
	Budget script.Budget
}

// ParseConfig parses a grub.cfg and evaluates it statically (see package
// script). It returns the menu it defines and the default it selects.
// Syntax errors and anything that could not be decided are reported in
// Config.Warnings; the error is non-nil (wrapping ErrMalformed or
// ErrTooComplex) when part of the script could not be parsed, but the
// Config still holds everything that could.
func ParseConfig(data []byte, opts ConfigOptions) (*Config, error) {
	cfg := &Config{Loader: LoaderGRUB, ConfigPath: opts.Path, Entries: []Entry{}}
	so := script.Options{Platform: opts.Platform, ReadFile: opts.ReadFile, Warn: cfg.warn, Context: opts.Context, Budget: opts.Budget}
	if opts.Env != nil {
		cfg.NextEntry = opts.Env.Get("next_entry")
		cfg.SavedEntry = opts.Env.Get("saved_entry")
		so.HaveEnv = true
		for _, v := range opts.Env.Vars {
			so.Env = append(so.Env, script.Var{Name: v.Name, Value: v.Value})
		}
	}
	for i := range opts.BLS {
		b := &opts.BLS[i]
		so.BLS = append(so.BLS, script.BLSEntry{Title: b.grubTitle(), ID: b.ID, Body: b.grubScript()})
	}
	run := script.Start(data, so)
	cfg.setDefault(run)
	menu := run.Menu()
	for _, s := range menu.Submenus {
		cfg.Submenus = append(cfg.Submenus, Submenu{Title: s.Title, ID: s.ID, Index: indexString(s.Path), path: s.Path})
	}
	cfg.Entries = make([]Entry, 0, len(menu.Entries))
	for i := range menu.Entries {
		cfg.Entries = append(cfg.Entries, entryOf(&menu.Entries[i], opts.BLS))
	}
	cfg.BLS, cfg.ConfigFile = menu.BLS, menu.ConfigFile
	cfg.Flavor = FlavorUpstream
	if cfg.BLS {
		cfg.Flavor = FlavorFedora
	}
	switch err := run.Err(); {
	case errors.Is(err, script.ErrTooComplex):
		return cfg, tooComplex(opts.Path, err)
	case err != nil:
		name := opts.Path
		if name == "" {
			name = "grub.cfg"
		}
		return cfg, wrapf(ErrMalformed, name)
	}
	return cfg, nil
}

// setDefault records the default GRUB uses, the value of "default" when
// the top-level script ends, and the timeout.
func (c *Config) setDefault(run *script.Run) {
	switch d, ok := run.Var("default"); {
	case !ok:
		c.DefaultFrom = "unset"
	case !d.Known:
		c.DefaultFrom = "unresolved"
		c.DefaultEntry = d.Text
		c.warn("default: depends on a condition or value known only at boot time")
	default:
		c.DefaultEntry = d.Text
		switch d.Origin {
		case "grubenv:next_entry", "unset:next_entry":
			c.DefaultFrom = "next_entry"
		case "grubenv:saved_entry", "unset:saved_entry":
			c.DefaultFrom = "saved_entry"
		default:
			c.DefaultFrom = "config"
		}
	}
	if t, ok := run.Var("timeout"); ok && t.Known {
		if n, err := strconv.Atoi(strings.TrimSpace(t.Text)); err == nil {
			c.Timeout = &n
		} else {
			c.warn("timeout: not a number: " + strconv.Quote(t.Text))
		}
	}
}

// kinds maps what a menu entry's body loads to Entry.Kind.
var kinds = [...]string{
	script.LoadNone:      KindOther,
	script.LoadLinux:     KindLinux,
	script.LoadMultiboot: KindMultiboot,
	script.LoadChainload: KindChainload,
}

// entryOf turns a menu entry of the script into an Entry; bls is what
// blscfg was given.
func entryOf(m *script.Entry, bls []BLSEntry) Entry {
	e := Entry{
		Title: m.Title, ID: m.ID, Index: indexString(m.Path), Submenu: m.Submenu,
		Kind: kinds[m.Kind], Kernel: m.Kernel, Initrd: m.Initrd, Args: m.Args,
		Source: "grub.cfg", Conditional: m.Conditional, path: m.Path, line: m.Line,
	}
	if len(m.Modules) > 0 {
		e.Modules = make([]Module, len(m.Modules))
		for i, mod := range m.Modules {
			e.Modules[i] = Module{Path: mod.Path, Args: mod.Args}
		}
	}
	if m.BLS >= 0 {
		b := &bls[m.BLS]
		e.Source = "bls:" + b.ID + ".conf"
		e.version, e.machineID, e.sortKey = b.Version, b.MachineID, b.SortKey
	}
	return e
}

// indexString writes a menu path as GRUB does: "1>0".
func indexString(p []int) string {
	parts := make([]string, len(p))
	for i, n := range p {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ">")
}
