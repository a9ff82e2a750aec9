package script

import (
	"strconv"
	"strings"
)

// field is one argument after expansion.
type field struct {
	s     string
	known bool
	// origin is the variable's origin when the word was exactly one
	// variable reference, so that set default="${next_entry}" can tell
	// where the default came from.
	origin string
}

func (ev *evaluator) expandAll(ws []word, f *frame) []field {
	var out []field
	for _, w := range ws {
		out = ev.expand(w, f, out)
	}
	return out
}

// lookup returns the value a variable reference expands to: a positional
// parameter, a special parameter ($#, $*, $@), a variable of the scope, a
// variable GRUB sets at run time (unknown), or the empty value of an unset
// variable.
func (ev *evaluator) lookup(name string, f *frame) value {
	if name != "" && isDigit(name[0]) {
		n, err := strconv.Atoi(name)
		if err == nil && n >= 1 && n <= len(f.pos) {
			return value{s: f.pos[n-1], known: true, origin: "config"}
		}
		return value{known: true}
	}
	switch name {
	case "#":
		return value{s: strconv.Itoa(len(f.pos)), known: true}
	case "*", "@":
		return value{s: strings.Join(f.pos, " "), known: true}
	}
	if v, ok := f.v.get(name); ok {
		return v
	}
	if runtimeVars[name] || strings.HasPrefix(name, "net_") {
		return unresolved(name)
	}
	return value{known: true, origin: "unset:" + name}
}

// expand expands one word into zero or more fields, appending to out.
// Unquoted variable values are split on blanks as GRUB does; an unknown
// value is kept as "${name}" and marks the field unknown.
func (ev *evaluator) expand(w word, f *frame, out []field) []field {
	var cur strings.Builder
	known, has := true, false
	origin := wordOrigin(w, func(n string) string { return ev.lookup(n, f).origin })
	push := func() {
		s := cur.String()
		if len(s) > MaxValueLen {
			s = s[:MaxValueLen]
			known = false
		}
		// The field, its share of the slice and the builder's garbage
		// are charged to memory.
		if ev.m.expanded(len(s)+1) && ev.m.alloc(sizeField+2*len(s)) {
			out = appendDoubling(out, field{s: s, known: known, origin: origin})
		}
		cur.Reset()
		known, has = true, false
	}
	for _, p := range w.parts {
		switch p.kind {
		case partLit:
			cur.WriteString(p.text)
			has = true
		case partQVar:
			v := ev.lookup(p.text, f)
			cur.WriteString(v.s)
			if !v.known {
				known = false
			}
			has = true
		case partVar:
			v := ev.lookup(p.text, f)
			if !v.known {
				cur.WriteString(v.s)
				known = false
				has = true
				continue
			}
			s := v.s
			for s != "" {
				i := strings.IndexAny(s, " \t\n")
				if i < 0 {
					cur.WriteString(s)
					has = true
					break
				}
				if i > 0 {
					cur.WriteString(s[:i])
					has = true
				}
				if has {
					push()
				}
				s = strings.TrimLeft(s[i:], " \t\n")
			}
		}
		if cur.Len() > MaxValueLen || ev.m.stopped() {
			break
		}
	}
	if has || w.quoted {
		push()
	}
	return out
}

// wordOrigin returns the origin of the variable a word consists of: "$v",
// "${v}", or an assignment "name=$v" / name="${v}".
func wordOrigin(w word, originOf func(string) string) string {
	n := len(w.parts)
	if n == 0 || w.parts[n-1].kind == partLit {
		return ""
	}
	for _, p := range w.parts[:n-1] {
		if p.kind != partLit {
			return ""
		}
	}
	if n > 1 {
		last := w.parts[n-2].text
		if n > 2 || !strings.HasSuffix(last, "=") {
			return ""
		}
	}
	return originOf(w.parts[n-1].text)
}
