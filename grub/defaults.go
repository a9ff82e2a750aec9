package grub

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/grub/script"
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
	as, errs, err := script.ShellAssignments(data)
	for _, a := range as {
		if a.CmdSubst {
			d.Warnings = append(d.Warnings, "line "+strconv.Itoa(a.Line)+": "+a.Name+" uses command substitution, which is not run")
		}
		if a.Conditional {
			d.Warnings = append(d.Warnings, "line "+strconv.Itoa(a.Line)+": "+a.Name+" is assigned under a condition")
		}
		d.Vars[a.Name] = a.Value
	}
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
	case errors.Is(err, script.ErrTooComplex):
		return d, fmt.Errorf("grub: default/grub: %w", ErrTooComplex)
	case err != nil:
		return d, fmt.Errorf("grub: default/grub: %w: %s", ErrMalformed, strings.Join(errs, "; "))
	}
	return d, nil
}
