package unitfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"
)

// mode is how a unit name was found (systemd's InstallMode).
type mode uint8

const (
	modeNone mode = iota
	modeRegular
	modeMasked
	modeLinked // a link to a file outside the search path
	modeAlias  // a link to another unit file inside it
)

// unitInfo is one unit name being resolved (systemd's InstallInfo).
type unitInfo struct {
	name    string
	path    string
	mode    mode
	target  string // a link's target, resolved but for its last component
	install Install
}

// followMax is UNIT_FILE_FOLLOW_SYMLINK_MAX, chaseMax CHASE_SYMLINKS_MAX.
const (
	followMax = 64
	chaseMax  = 32
)

var errNotFound = errors.New("no such unit file")

// resolver resolves unit names against an indexed search path.
type resolver struct {
	s     *scanner
	paths *Paths
	dirs  []*dirIndex
	infos map[string]*unitInfo // one resolution's units, by name
}

// discover finds what name resolves to, following aliases and links to the
// unit file that defines it (install_info_discover).
func (r *resolver) discover(name string) (*unitInfo, error) {
	clear(r.infos)
	i := r.add(name)
	if err := r.search(i); err != nil {
		return nil, err
	}
	for k := 0; i.mode == modeAlias || i.mode == modeLinked; k++ {
		if k >= followMax {
			return nil, fmt.Errorf("%s: %w", name, syscall.ELOOP)
		}
		if i.mode == modeLinked || path.Base(i.target) == i.name {
			if err := r.follow(i); err != nil {
				return nil, err
			}
			continue
		}
		// An alias to another name: resolve that name from the top of
		// the search path.
		bn := path.Base(i.target)
		if classify(i.name) == nameInstance && classify(bn) == nameTemplate {
			buf := withInstance(bn, instance(i.name))
			if buf == i.name {
				if err := r.follow(i); err != nil {
					return nil, err
				}
				continue
			}
			bn = buf
		}
		if !validName(bn) {
			return nil, fmt.Errorf("%s: alias to %q, not a unit name", i.name, bn)
		}
		i = r.add(bn)
		if err := r.search(i); err != nil {
			if errors.Is(err, errNotFound) {
				return nil, fmt.Errorf("%s: alias to %s: %w", name, bn, syscall.ENOLINK)
			}
			return nil, err
		}
	}
	return i, nil
}

func (r *resolver) add(name string) *unitInfo {
	if i, ok := r.infos[name]; ok {
		return i
	}
	i := &unitInfo{name: name}
	r.infos[name] = i
	return i
}

// follow makes a link's target the unit's path and loads it
// (install_info_follow).
func (r *resolver) follow(i *unitInfo) error {
	i.path, i.mode = i.target, modeNone
	return r.loadPath(i, i.path)
}

// search finds unit i's file in the search path, or its template's, and
// loads it and its drop-ins (unit_file_search).
func (r *resolver) search(i *unitInfo) error {
	if i.path != "" {
		return nil
	}
	tmpl := template(i.name)
	found := false
	for _, cand := range []string{i.name, tmpl} {
		if cand == "" {
			continue
		}
		for _, d := range r.dirs {
			e, ok := d.entries[cand]
			if !ok {
				continue
			}
			p := path.Join(d.Path, cand)
			if err := r.load(i, p, e); err != nil {
				return err
			}
			i.path = p
			found = true
			break
		}
		if found {
			break
		}
	}
	if !found {
		return fmt.Errorf("%s: %w", i.name, errNotFound)
	}
	if i.mode != modeRegular {
		// Drop-ins count only for a unit file found under the name
		// itself, not through a link.
		return nil
	}
	return r.dropIns(i, tmpl)
}

// load reads unit i's main file at p, whose directory entry is e
// (unit_file_load_or_readlink).
func (r *resolver) load(i *unitInfo, p string, e entry) error {
	if k := classify(i.name); k != namePlain && !mayTemplate(unitType(i.name)) {
		return fmt.Errorf("%s: %s units cannot be templated", i.name, unitType(i.name))
	}
	switch e.kind {
	case kindRegular:
		data, err := r.s.root.ReadFile(p, MaxFileSize)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			i.mode = modeMasked
			return nil
		}
		if err := parseInstall(i.name, data, &i.install); err != nil {
			return fmt.Errorf("%s: %w", r.s.root.Path(p), err)
		}
		i.mode = modeRegular
		return nil
	case kindLink:
		return r.readLink(i, p, e.target)
	case kindDir:
		return &fs.PathError{Op: "open", Path: r.s.root.Path(p), Err: syscall.EISDIR}
	}
	return &fs.PathError{Op: "open", Path: r.s.root.Path(p), Err: syscall.ENOTTY}
}

// loadPath loads a file outside the index: a link's target.
func (r *resolver) loadPath(i *unitInfo, p string) error {
	t, err := r.s.root.Readlink(p)
	if err == nil {
		return r.load(i, p, entry{kind: kindLink, target: t})
	}
	if !errors.Is(err, syscall.EINVAL) {
		return err
	}
	fi, err := r.s.root.Stat(p)
	if err != nil {
		return err
	}
	return r.load(i, p, entry{kind: kindOf(fi.Mode())})
}

// readLink decides what the link at p, pointing to target, makes of unit
// i: a mask, an alias or a linked unit file (unit_file_resolve_symlink).
func (r *resolver) readLink(i *unitInfo, p, target string) error {
	abs := target
	if !path.IsAbs(abs) {
		abs = path.Dir(p) + "/" + target
	}
	simplified, err := r.chaseParent(abs)
	if err != nil {
		return fmt.Errorf("%s: link to %s: %w", r.s.root.Path(p), target, err)
	}
	outside := !r.paths.inSearchPath(simplified)
	if !outside {
		if err := validateAlias(path.Base(p), path.Base(simplified)); err != nil {
			return err
		}
	}
	masked, err := r.nullOrEmpty(simplified)
	if err != nil {
		return err
	}
	switch {
	case masked:
		i.mode = modeMasked
	case outside:
		i.mode = modeLinked
	default:
		i.mode = modeAlias
	}
	i.target = simplified
	return nil
}

// nullOrEmpty reports whether p is a link to /dev/null, an empty file or a
// device, which masks a unit (null_or_empty_path_with_root). A missing file
// is not.
func (r *resolver) nullOrEmpty(p string) (bool, error) {
	if p == "/dev/null" {
		return true, nil
	}
	fi, err := r.s.root.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	m := fi.Mode()
	return (m.IsRegular() && fi.Size() == 0) || m&fs.ModeDevice != 0, nil
}

// chaseParent normalises absolute path p inside the root: "." and ".."
// go, links in every component but the last are followed (inside the
// root), and once a component is missing the rest is kept as it is
// (chase_symlinks with CHASE_NOFOLLOW|CHASE_NONEXISTENT).
func (r *resolver) chaseParent(p string) (string, error) {
	todo := splitComponents(p)
	var done []string
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		if len(todo) == 0 {
			done = append(done, c)
			break
		}
		t, err := r.s.root.Readlink(strings.Join(append(done, c), "/"))
		switch {
		case errors.Is(err, syscall.EINVAL):
			done = append(done, c) // there, and not a link
			continue
		case errors.Is(err, fs.ErrNotExist):
			done = append(done, c)
			done = append(done, todo...)
			todo = nil
			continue
		case err != nil:
			return "", err
		}
		if links++; links > chaseMax {
			return "", syscall.ELOOP
		}
		if path.IsAbs(t) {
			done = done[:0]
		}
		todo = append(splitComponents(t), todo...)
	}
	return "/" + strings.Join(done, "/"), nil
}

func splitComponents(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// dropIns loads the drop-ins of unit i and of its template: *.conf in
// name.d and template.d of every search path directory, the first of each
// file name winning, in file name order (conf_files_list_strv).
func (r *resolver) dropIns(i *unitInfo, tmpl string) error {
	var dirs []string
	for _, n := range []string{i.name, tmpl} {
		if n == "" {
			continue
		}
		for _, d := range r.dirs {
			if _, ok := d.dropIns[n+".d"]; ok {
				dirs = append(dirs, path.Join(d.Path, n+".d"))
			}
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	files := map[string]string{}
	var names []string
	for _, dir := range dirs {
		r.s.readDir(dir, false, func(name string, e entry) {
			if !strings.HasSuffix(name, ".conf") || strings.HasPrefix(name, ".") ||
				(e.kind != kindRegular && e.kind != kindLink) {
				return
			}
			if _, ok := files[name]; ok {
				return
			}
			files[name] = path.Join(dir, name)
			names = append(names, name)
		})
	}
	slices.Sort(names)
	for _, n := range names {
		p := files[n]
		// A drop-in linked to /dev/null (or any device, or empty) masks
		// the one of that name in a later directory. One whose target is
		// missing inside the root fails the unit, as it does for
		// systemctl --root on a tree without /dev/null.
		fi, err := r.s.root.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeDevice != 0 || (fi.Mode().IsRegular() && fi.Size() == 0) {
			continue
		}
		data, err := r.s.root.ReadFile(p, MaxFileSize)
		if err != nil {
			return err
		}
		if err := parseInstall(i.name, data, &i.install); err != nil {
			return fmt.Errorf("%s: %w", r.s.root.Path(p), err)
		}
	}
	return nil
}
