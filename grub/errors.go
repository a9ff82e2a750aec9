package grub

import (
	"errors"
	"fmt"
	"io/fs"
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
