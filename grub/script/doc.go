// Package script runs GRUB 2's configuration language (the GRUB manual,
// "Shell-like scripting") statically: the grub.cfg grub-mkconfig writes,
// the files it sources, and the menu entry bodies blscfg generates.
//
// The language goes through a lexer (lexer.go, word.go) and a parser
// (parser.go) into a small syntax tree, which an evaluator runs without
// executing anything (eval.go): variables live in scopes (scope.go), words
// expand as GRUB expands them (expand.go), GRUB's own commands are a table
// of built-ins (builtins.go), the test command is cond.go, the loader
// commands of a menu entry are loader.go, and the menu is built as GRUB
// builds it (menu.go).
//
// Start runs a script's top level and returns a Run: its variables (Var)
// decide GRUB's default entry and timeout, and Menu then runs the bodies
// of its menu entries and submenus, as GRUB does once the top level is
// done, and returns the entries and submenus with what each loads. The
// caller turns that into its own configuration types; this package knows
// nothing of them.
//
// What a static run cannot decide it reports rather than guesses: values
// GRUB only learns at boot time stay unknown ("${root}"), both sides of an
// undecided condition run and only what they agree on is kept, loops and
// functions are not run (a call makes the variables the function assigns
// unknown), and each such case is a warning. Everything is bounded:
// MaxDepth, MaxValueLen and MaxEntries, and a Budget (budget.go) of steps
// (counted per command, per variable created or copied), expanded bytes,
// memory held by syntax trees and variables, source depth, sourced files
// and bytes, and the run's context. Reaching a bound stops the run with a
// *LimitError that names the bound and its value and matches
// ErrTooComplex; what ran before it stays.
//
// ShellAssignments reads the POSIX sh assignments of /etc/default/grub
// with the same lexer in sh mode.
package script
