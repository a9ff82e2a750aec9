package unitfiles

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// The enablement states, as systemctl and ListUnitFiles spell them.
const (
	Enabled        = "enabled"
	EnabledRuntime = "enabled-runtime"
	Linked         = "linked"
	LinkedRuntime  = "linked-runtime"
	Alias          = "alias"
	Masked         = "masked"
	MaskedRuntime  = "masked-runtime"
	Static         = "static"
	Indirect       = "indirect"
	Disabled       = "disabled"
	Generated      = "generated"
	Transient      = "transient"
	Bad            = "bad"
)

// File is one unit file and its enablement state.
type File struct {
	// Path is where the unit file (or the link that names it) is, absolute
	// as seen inside the root: the first search path directory holding the
	// name.
	Path string
	// State is one of the states above.
	State string
}

// Name is the unit name the file defines.
func (f File) Name() string { return path.Base(f.Path) }

// List returns every unit file in the search path p below root (a
// directory; "" or "/" is the running system's), with its enablement state,
// sorted by name, as ListUnitFiles reports them. problems are what could
// not be read (a directory over a limit, a file that is not regular, a
// unit file systemd would refuse) and the reasons units are bad; the rest
// of the list stands.
func List(root string, p Paths) (files []File, problems []error) {
	r := newResolver(root, p)
	seen := map[string]bool{}
	for _, d := range r.dirs {
		names := make([]string, 0, len(d.entries))
		for n, e := range d.entries {
			if (e.kind == kindRegular || e.kind == kindLink) && !seen[n] && validName(n) {
				names = append(names, n)
			}
		}
		for _, n := range names {
			seen[n] = true
			st, err := r.state(n)
			if err != nil {
				r.s.problem(fmt.Errorf("unitfiles: %s is bad: %w", n, err))
			}
			files = append(files, File{Path: path.Join(d.Path, n), State: st})
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name(), b.Name()) })
	return files, r.s.problems
}

// State returns the enablement state of unit name in the search path p
// below root, as `systemctl is-enabled` does; a unit without a file is an
// error. It reads the whole search path, so a caller wanting many states
// should use List.
func State(root string, p Paths, name string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("unitfiles: %q is not a unit name", name)
	}
	st, err := newResolver(root, p).state(name)
	if err != nil {
		return st, fmt.Errorf("unitfiles: %s: %w", name, err)
	}
	return st, nil
}

func newResolver(root string, p Paths) *resolver {
	s := &scanner{root: hostfile.NewRoot(root)}
	r := &resolver{s: s, paths: &p, infos: map[string]*unitInfo{}}
	for _, d := range p.Dirs {
		d.Path = path.Clean("/" + d.Path)
		r.dirs = append(r.dirs, s.index(d, &p))
	}
	return r
}

// state decides the state of unit name (unit_file_lookup_state).
func (r *resolver) state(name string) (string, error) {
	i, err := r.discover(name)
	if err != nil {
		return Bad, err
	}
	if i.mode == modeMasked {
		if r.paths.runtime(path.Dir(i.path)) {
			return MaskedRuntime, nil
		}
		return Masked, nil
	}
	if name != path.Base(i.path) && classify(i.name) != nameInstance {
		return Alias, nil
	}
	switch r.paths.role(path.Dir(i.path)) {
	case RoleGenerator, RoleGeneratorEarly, RoleGeneratorLate:
		return Generated, nil
	case RoleTransient:
		return Transient, nil
	}
	if st := r.findInScope(i, true); st != "" {
		return st, nil
	}
	if st := r.findInScope(i, false); st != "" {
		return Indirect, nil
	}
	switch {
	case i.install.hasRules():
		return Disabled, nil
	case len(i.install.Also) > 0:
		return Indirect, nil
	}
	return Static, nil
}

// findInScope looks for links that enable unit i, walking the search path
// in order (find_symlinks_in_scope). With matchName, only links named as
// the unit's [Install] section would create them count; without, any link
// to the unit does. It returns "" if none does.
func (r *resolver) findInScope(i *unitInfo, matchName bool) string {
	var sameRuntime, sameConfig, enabledRuntime, ignoreSame bool
	for _, d := range r.dirs {
		hit, same := d.find(i, matchName, ignoreSame)
		switch {
		case hit:
			if d.Role == RolePersistentConfig || (r.paths.User && d.Role == RoleGlobalConfig) {
				return Enabled
			}
			// Links in vendor and other persistent directories enable
			// nothing: systemd 252 reports such a unit as if they were
			// not there.
			if d.runtime {
				enabledRuntime = true
			}
		case same:
			if d.Role == RolePersistentConfig {
				sameConfig = true
			} else if d.runtime {
				sameRuntime = true
			}
		}
		if !ignoreSame && hasPathPrefix(i.path, d.Path) {
			// Directories after the unit file's own have lower priority:
			// a same-name link there is hidden by it.
			ignoreSame = true
		}
	}
	switch {
	case enabledRuntime:
		return EnabledRuntime
	case sameRuntime:
		return LinkedRuntime
	case sameConfig:
		return Linked
	}
	return ""
}

// knownName reports whether a link named l is one enabling unit i would
// create under its own name: the name, an Alias=, or the instance
// DefaultInstance= names (is_symlink_with_known_name).
func (i *unitInfo) knownName(l string) bool {
	if l == i.name || slices.Contains(i.install.Alias, l) {
		return true
	}
	return i.install.DefaultInstance != "" && classify(i.name) == nameTemplate &&
		l == withInstance(i.name, i.install.DefaultInstance)
}

// find looks in directory d for links to unit i (find_symlinks): first in
// its .wants and .requires directories, where only a link's name counts,
// then among its own links, where the target's name counts too. same
// reports a link named as the unit pointing to a file of that name: a
// linked unit file rather than an enablement.
func (d *dirIndex) find(i *unitInfo, matchName, ignoreSame bool) (hit, same bool) {
	n := i.name
	if d.wants != nil {
		if _, ok := d.wants[n]; ok {
			return true, false
		}
		if classify(n) == nameTemplate {
			if !matchName {
				if _, ok := d.wantsTmpl[n]; ok {
					return true, false
				}
			} else {
				for _, a := range i.install.Alias {
					if _, ok := d.wants[a]; ok && template(a) == n {
						return true, false
					}
				}
				if di := i.install.DefaultInstance; di != "" {
					if _, ok := d.wants[withInstance(n, di)]; ok {
						return true, false
					}
				}
			}
		}
	}
	if e, ok := d.entries[n]; ok && e.kind == kindLink {
		destIsName := linkBase(e.target) == n
		switch {
		case !ignoreSame && destIsName:
			same = true
		case !ignoreSame || destIsName:
			return true, false
		}
	}
	for _, l := range d.byDest[n] {
		if l == n {
			continue // decided above
		}
		if !matchName || i.knownName(l) {
			return true, false
		}
	}
	return false, same
}
