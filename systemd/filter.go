package systemd

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Filter selects units by name with node_exporter's semantics: a unit is
// kept when Include matches its whole name and Exclude does not. Both are
// anchored regular expressions ("^(?:" + pattern + ")$").
type Filter struct {
	include, exclude *regexp.Regexp
	// memo remembers the answers: a snapshot asks again about every unit
	// each time one changes (every second in a crash loop), and a regular
	// expression costs a microsecond a name.
	memo *filterMemo
}

type filterMemo struct {
	mu sync.Mutex
	m  map[string]bool
}

// maxMemo bounds the memo; past it, it starts again. Names come from the
// manager, which loads far fewer units.
const maxMemo = 1 << 16

// NewFilter compiles include and exclude. An empty include keeps every
// unit; an empty exclude drops none.
func NewFilter(include, exclude string) (Filter, error) {
	var f Filter
	var err error
	if include != "" {
		if f.include, err = regexp.Compile("^(?:" + include + ")$"); err != nil {
			return Filter{}, fmt.Errorf("systemd: unit include pattern: %w", err)
		}
	}
	if exclude != "" {
		if f.exclude, err = regexp.Compile("^(?:" + exclude + ")$"); err != nil {
			return Filter{}, fmt.Errorf("systemd: unit exclude pattern: %w", err)
		}
	}
	if f.include != nil || f.exclude != nil {
		f.memo = &filterMemo{m: map[string]bool{}}
	}
	return f, nil
}

// Match reports whether the filter keeps the unit named name.
func (f Filter) Match(name string) bool {
	if f.memo == nil {
		return f.match(name)
	}
	f.memo.mu.Lock()
	ok, known := f.memo.m[name]
	f.memo.mu.Unlock()
	if known {
		return ok
	}
	ok = f.match(name)
	f.memo.mu.Lock()
	if len(f.memo.m) >= maxMemo {
		clear(f.memo.m)
	}
	f.memo.m[name] = ok
	f.memo.mu.Unlock()
	return ok
}

func (f Filter) match(name string) bool {
	if f.include != nil && !f.include.MatchString(name) {
		return false
	}
	return f.exclude == nil || !f.exclude.MatchString(name)
}

// FilterUnits returns the units f keeps, in their order.
func FilterUnits(units []Unit, f Filter) []Unit {
	out := make([]Unit, 0, len(units))
	for _, u := range units {
		if f.Match(u.Name) {
			out = append(out, u)
		}
	}
	return out
}

// unitType returns the suffix after the last dot of a unit name.
func unitType(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// templateName returns the template a unit instance comes from
// ("getty@tty1.service" -> "getty@.service"), or "" for a non-instance.
func templateName(name string) string {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at || dot == at+1 {
		return ""
	}
	return name[:at+1] + name[dot:]
}

// IsSysV reports whether a unit was generated from a SysV init script by
// systemd-sysv-generator (its SourcePath is a script under /etc/init.d).
func IsSysV(sourcePath string) bool {
	return sourcePath != "" && path.Dir(path.Clean(sourcePath)) == "/etc/init.d"
}

// UnitFileStateOf looks up a unit's unit file state in the unit file list:
// its own file's or, for an instance the manager gave no state for, its
// template's (an approximation: an instance of an "indirect" template is
// itself enabled or disabled); "" when it has none.
func UnitFileStateOf(name string, files map[string]string) string {
	if s, ok := files[name]; ok {
		return s
	}
	if t := templateName(name); t != "" {
		return files[t]
	}
	return ""
}

// Summarize counts units by active state, load state and type, and lists
// the failed ones.
func Summarize(units []Unit) Summary {
	s := Summary{
		Units:         len(units),
		ByActiveState: map[string]int{},
		ByLoadState:   map[string]int{},
		ByType:        map[string]int{},
		Failed:        []string{},
	}
	for _, u := range units {
		s.ByActiveState[u.ActiveState]++
		s.ByLoadState[u.LoadState]++
		s.ByType[u.Type()]++
		if u.ActiveState == "failed" {
			s.Failed = append(s.Failed, u.Name)
		}
	}
	sort.Strings(s.Failed)
	return s
}

// ActiveTargets reports which well-known targets are active among units.
func ActiveTargets(units []Unit) Targets {
	var t Targets
	for _, u := range units {
		if u.ActiveState != "active" {
			continue
		}
		switch u.Name {
		case "rescue.target":
			t.Rescue = true
		case "emergency.target":
			t.Emergency = true
		case "multi-user.target":
			t.MultiUser = true
		case "graphical.target":
			t.Graphical = true
		}
	}
	return t
}

func searchUnits(units []Unit, name string) (int, bool) {
	i := sort.Search(len(units), func(i int) bool { return units[i].Name >= name })
	return i, i < len(units) && units[i].Name == name
}
