package grub

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/bootinfo/bootinfo/grub/script"
)

// ErrMalformed is wrapped by every error about input that does not follow its
// format: a grubenv block of the wrong size or without its signature, a line
// that is not key=value, a script with a syntax error.
var ErrMalformed = errors.New("grub: malformed input")

// ErrTooComplex is wrapped when an input exceeds one of the bounds the
// package sets to keep memory and time proportional to the input (nesting
// depth, expanded value length, number of evaluation steps).
var ErrTooComplex = errors.New("grub: input too complex")

// ErrNoConfig is returned by FS methods when none of the places a boot loader
// keeps its configuration holds one. It wraps fs.ErrNotExist, so a caller can
// treat "this host has none" like any missing file.
var ErrNoConfig = fmt.Errorf("grub: no boot loader configuration found: %w", fs.ErrNotExist)

// TooComplexError is the ErrTooComplex of a configuration whose evaluation
// reached a bound: Err is the *script.LimitError that names the bound and
// its value.
type TooComplexError struct {
	// Path is the configuration's path ("" when parsed from bytes).
	Path string
	Err  error
}

func (e *TooComplexError) Error() string {
	p := e.Path
	if p == "" {
		p = "grub.cfg"
	}
	var le *script.LimitError
	if errors.As(e.Err, &le) {
		return "grub: " + p + ": too complex: " + le.Reason()
	}
	return "grub: " + p + ": too complex: " + e.Err.Error()
}

// Unwrap makes errors.Is match ErrTooComplex, script.ErrTooComplex and,
// for an evaluation its context stopped, the context's error.
func (e *TooComplexError) Unwrap() []error { return []error{ErrTooComplex, e.Err} }

func tooComplex(path string, err error) error { return &TooComplexError{Path: path, Err: err} }
