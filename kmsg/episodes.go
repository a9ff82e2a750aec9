package kmsg

import (
	"strings"
	"time"
)

// episodes remembers, for a few devices or servers at once, when the
// kernel last warned about each, so that a warning it repeats while the
// same condition lasts is one event. It is bounded: when full, the subject
// warned about longest ago is forgotten.
type episodes [8]episode

type episode struct {
	kind Problem
	key  string
	last uint64 // monotonic microseconds of the last warning
}

// repeat records a warning of kind about key at t and reports whether it
// continues an event already counted: the previous warning about key came
// at most RepeatWindow before t.
func (e *episodes) repeat(kind Problem, key string, t uint64) bool {
	free := 0
	for i := range e {
		x := &e[i]
		if x.kind == kind && x.key == key {
			same := t >= x.last && t-x.last <= uint64(RepeatWindow/time.Microsecond)
			x.last = t
			return same
		}
		if e[free].kind != "" && (x.kind == "" || x.last < e[free].last) {
			free = i
		}
	}
	// Clone: key is part of a message the caller may not keep.
	e[free] = episode{kind: kind, key: strings.Clone(key), last: t}
	return false
}

// end forgets key: its condition is over, so the next warning is a new
// event.
func (e *episodes) end(kind Problem, key string) {
	for i := range e {
		if e[i].kind == kind && e[i].key == key {
			e[i] = episode{}
		}
	}
}
