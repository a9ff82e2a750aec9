// Package grub decodes boot loader configuration: GRUB 2's grub.cfg (the
// configuration script grub-mkconfig writes, in GRUB's own shell-like script
// language as described in the GRUB manual, "Shell-like scripting"), GRUB's
// environment block (grubenv, written by grub-editenv and save_env), the
// shell-syntax /etc/default/grub that feeds grub-mkconfig, Boot Loader
// Specification type #1 entries (loader/entries/*.conf, as read by GRUB's
// blscfg command and by systemd-boot) and systemd-boot's loader/loader.conf.
//
// GRUB's script language is run by package script, statically: it follows
// the standard grub-mkconfig patterns (load_env, next_entry, saved_entry,
// feature tests) without executing anything and hands back the menu and the
// variables the script leaves. This package turns that into a Config and
// applies the rules GRUB and systemd-boot use to pick the entry that boots
// next.
//
// Reading and parsing are separate: FS reads files below an injected root
// (a whole file system, a separate /boot partition or an EFI system
// partition) through package hostfile, so that every path resolves inside
// that root and every read is bounded and never blocks on a FIFO; it
// records what it looked at (Seen) so that a caller can tell when reading
// again would give another result. ParseConfig evaluates under a budget
// and a context (package script's Budget), while ParseConfig, ParseEnv, ParseDefaults, ParseBLSEntry and
// ParseLoaderConf work on bytes. Nothing is executed: conditions the
// evaluator cannot decide statically (a file test, a search command, a
// variable GRUB only knows at run time) are reported as warnings, and a value
// that depends on them is reported as unresolved rather than guessed.
//
// Typical use: cfg, err := NewFS(root).Load(platform) finds and parses the
// configuration (GRUB first, then systemd-boot); Resolve(cfg, vars) names
// the entry that boots next and why (next_entry, saved_entry, a literal
// default, a systemd-boot EFI variable, or GRUB's fall-back to the first
// entry); CheckKernel(entry, kernels) with FS.InstalledKernels tells whether
// that entry's kernel is missing, the "broken default" case.
//
// Known limits, each reported rather than guessed: loops are not run;
// functions are not run, but the variables they assign become unknown;
// "chosen" (set by GRUB as an entry runs) stays unknown; "fallback" is not
// followed; the submenu path of a default
// follows grub_menu_execute_entry, but a submenu body's own "set default" is
// ignored; Boot Loader Specification type #2 entries (unified kernel images
// in EFI/Linux) are not read.
//
// The package is pure: it never logs, never touches the network, and never
// reads a hard-coded path.
package grub
