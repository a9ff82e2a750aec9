package grub

import (
	"fmt"
	"strings"
)

// GRUB's environment block (grub-core/lib/envblk.c, include/grub/lib/envblk.h):
// a file of exactly EnvBlockSize bytes that starts with EnvSignature, holds
// "name=value\n" lines in which '\' escapes the next byte (so a value can
// hold '\' and newline), and is padded with '#' to its full size. GRUB's
// load_env and grub-editenv accept a block of any size that starts with the
// signature; a size other than 1024 still means the block was not written by
// GRUB's tools, so ParseEnv reports it.

// EnvSignature is the first line of every GRUB environment block.
const EnvSignature = "# GRUB Environment Block\n"

// EnvBlockSize is the size grub-editenv and save_env give the block.
const EnvBlockSize = 1024

// EnvVar is one variable of an environment block.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Env is a parsed GRUB environment block.
type Env struct {
	// Vars are the variables in file order; GRUB applies them in this
	// order, so a repeated name takes its last value.
	Vars []EnvVar `json:"vars"`
}

// Get returns the value of name ("" when unset), the last one if repeated.
func (e *Env) Get(name string) string {
	v, _ := e.Lookup(name)
	return v
}

// Lookup returns the value of name and whether it is set.
func (e *Env) Lookup(name string) (string, bool) {
	if e == nil {
		return "", false
	}
	for i := len(e.Vars) - 1; i >= 0; i-- {
		if e.Vars[i].Name == name {
			return e.Vars[i].Value, true
		}
	}
	return "", false
}

// Map returns the variables as a map (last value of a repeated name).
func (e *Env) Map() map[string]string {
	m := make(map[string]string, len(e.Vars))
	for _, v := range e.Vars {
		m[v.Name] = v.Value
	}
	return m
}

// List formats the variables the way "grub-editenv FILE list" prints them:
// one "name=value" per line, values unescaped.
func (e *Env) List() string {
	var b strings.Builder
	for _, v := range e.Vars {
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseEnv parses a GRUB environment block. It reads what GRUB would read
// and returns an error wrapping ErrMalformed when the block is not as GRUB's
// tools write it: a missing signature (nothing is read, as in GRUB), a size
// other than 1024 bytes, or a line that is not name=value (GRUB stops at
// it, and so does ParseEnv, keeping the variables before it).
func ParseEnv(data []byte) (*Env, error) {
	env := &Env{Vars: []EnvVar{}}
	// grub_envblk_open compares sizeof(signature), which counts the NUL.
	if len(data) < len(EnvSignature)+1 || string(data[:len(EnvSignature)]) != EnvSignature {
		return env, fmt.Errorf("%w: grubenv: missing %q signature", ErrMalformed, strings.TrimSpace(EnvSignature))
	}
	var errs []string
	if len(data) != EnvBlockSize {
		errs = append(errs, fmt.Sprintf("size %d bytes, want %d", len(data), EnvBlockSize))
	}
	p, end := len(EnvSignature), len(data)
	line := 2
	for p < end {
		if data[p] == '#' {
			// A comment (or the padding) runs to the next unescaped newline.
			for p < end && data[p] != '\n' {
				if data[p] == '\\' {
					p++
				}
				p++
			}
			p++
			line++
			continue
		}
		nameStart := p
		for p < end && data[p] != '=' {
			p++
		}
		if p >= end {
			errs = append(errs, fmt.Sprintf("line %d: no '=' before the end of the block", line))
			break
		}
		name := string(data[nameStart:p])
		if strings.ContainsRune(name, '\n') {
			// GRUB reads a line without '=' as the start of the next
			// variable's name; keep that, as grub-editenv does, but say so.
			errs = append(errs, fmt.Sprintf("line %d: line without '='", line))
			line += strings.Count(name, "\n")
		}
		p++
		var val []byte
		for p < end && data[p] != '\n' {
			if data[p] == '\\' {
				p++
				if p >= end {
					break
				}
				if data[p] == '\n' {
					line++
				}
			}
			val = append(val, data[p])
			p++
		}
		if p >= end {
			errs = append(errs, fmt.Sprintf("line %d: variable %q not terminated by a newline", line, name))
			break
		}
		p++
		line++
		env.Vars = append(env.Vars, EnvVar{Name: name, Value: string(val)})
	}
	if len(errs) > 0 {
		return env, fmt.Errorf("%w: grubenv: %s", ErrMalformed, strings.Join(errs, "; "))
	}
	return env, nil
}

func wrapf(err error, what string) error {
	return fmt.Errorf("grub: %s: %w", what, err)
}
