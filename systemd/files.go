package systemd

import (
	"cmp"
	"errors"
	"fmt"
	iofs "io/fs"
	"path"
	"slices"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/systemd/unitfiles"
)

// FilesView is what a root's disk says of its system manager's
// configuration, read with no manager at all: on a host whose PID 1 is not
// systemd, when the manager does not answer, or for another system's root
// mounted for repair. Generated and transient units exist only while a
// manager runs (its generators and systemd-run make them below /run), so
// they are left out and counted.
type FilesView struct {
	// UnitFiles are the unit files with their enablement, computed as
	// `systemctl --root` does, and their vendor presets.
	UnitFiles []UnitFile `json:"unit_files"`
	// DropIns maps a drop-in directory's unit (foo.service), template
	// (foo@.service), name prefix (foo-.service) or type (service) to its
	// *.conf files, in the order the manager applies them.
	DropIns map[string][]string `json:"drop_ins"`
	// DefaultTarget is the unit default.target names (its link's
	// target), "" when there is none.
	DefaultTarget string `json:"default_target"`
	// LeftOut counts the unit files left out, by state (generated,
	// transient).
	LeftOut map[string]int `json:"left_out,omitempty"`
	// Problems are what could not be read; the rest stands.
	Problems []string `json:"problems,omitempty"`
}

// maxDropIns bounds the drop-in files listed in one directory.
const maxDropIns = 256

// dropInDirs lists the drop-in directories (NAME.d) in unit directory dir,
// as systemd looks for them: hidden entries are not.
func dropInDirs(r hostfile.Root, dir string) ([]string, error) {
	ents, err := r.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".d") && !strings.HasPrefix(n, ".") && e.IsDir() {
			out = append(out, path.Join(dir, n))
		}
	}
	return out, nil
}

// dropIns lists the drop-ins (*.conf, regular files or links, not hidden)
// of drop-in directory dir, at most maxDropIns; more says some were left
// out.
func dropIns(r hostfile.Root, dir string) (files []string, more bool, err error) {
	ents, err := r.ReadDir(dir)
	if err != nil {
		return nil, false, err
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".conf") || strings.HasPrefix(n, ".") || !(e.Type().IsRegular() || e.Type()&iofs.ModeSymlink != 0) {
			continue
		}
		if len(files) == maxDropIns {
			return files, true, nil
		}
		files = append(files, path.Join(dir, n))
	}
	return files, false, nil
}

// ReadFiles reads a manager's configuration below root ("/" or a mounted
// root) along the unit search path paths (unitfiles.SystemPaths for the
// system manager) and the preset directories presetDirs, inside root:
// links never lead out of it, files are read up to a bound, and a file
// that cannot be read is a problem of its own.
func ReadFiles(root string, paths unitfiles.Paths, presetDirs []string) *FilesView {
	root = cmp.Or(root, "/")
	v := &FilesView{UnitFiles: []UnitFile{}, DropIns: map[string][]string{}, LeftOut: map[string]int{}}
	files, problems := unitfiles.List(root, paths)
	presets, pp := unitfiles.ReadPresets(root, presetDirs)
	for _, e := range append(problems, pp...) {
		v.Problems = append(v.Problems, e.Error())
	}
	for _, f := range files {
		switch f.State {
		case unitfiles.Generated, unitfiles.Transient:
			v.LeftOut[f.State]++
			continue
		}
		uf := UnitFile{Name: f.Name(), Path: f.Path, State: f.State}
		if unitfiles.ShowPreset(f.State) {
			uf.Preset = presets.State(uf.Name)
		}
		v.UnitFiles = append(v.UnitFiles, uf)
	}
	r := hostfile.NewRoot(root)
	for _, d := range paths.Dirs {
		if d.Role == unitfiles.RoleTransient || d.Role == unitfiles.RoleGenerator ||
			d.Role == unitfiles.RoleGeneratorEarly || d.Role == unitfiles.RoleGeneratorLate {
			continue
		}
		if v.DefaultTarget == "" {
			v.DefaultTarget = defaultTargetIn(r, d.Path)
		}
		dirs, err := dropInDirs(r, d.Path)
		if err != nil {
			if !errors.Is(err, iofs.ErrNotExist) {
				v.Problems = append(v.Problems, fmt.Sprintf("systemd: %v", err))
			}
			continue
		}
		for _, dir := range dirs {
			stem := strings.TrimSuffix(path.Base(dir), ".d")
			confs, more, err := dropIns(r, dir)
			if err != nil {
				v.Problems = append(v.Problems, fmt.Sprintf("systemd: %v", err))
				continue
			}
			if more {
				v.Problems = append(v.Problems, fmt.Sprintf("systemd: %s: more than %d drop-ins; the rest are left out", dir, maxDropIns))
			}
			for _, c := range confs {
				// A drop-in of the same name in an earlier directory
				// hides this one.
				if !slices.ContainsFunc(v.DropIns[stem], func(p string) bool { return path.Base(p) == path.Base(c) }) {
					v.DropIns[stem] = append(v.DropIns[stem], c)
				}
			}
		}
	}
	// The manager applies drop-ins in the order of their file names,
	// whatever their directory.
	for _, list := range v.DropIns {
		slices.SortStableFunc(list, func(a, b string) int { return strings.Compare(path.Base(a), path.Base(b)) })
	}
	return v
}

// defaultTargetIn returns the unit default.target names in directory dir:
// the base of its link's target, "default.target" for a regular file,
// "" when dir has none.
func defaultTargetIn(r hostfile.Root, dir string) string {
	p := path.Join(dir, "default.target")
	if t, err := r.Readlink(p); err == nil {
		return path.Base(t)
	}
	if fi, err := r.Stat(p); err == nil && fi.Mode().IsRegular() {
		return "default.target"
	}
	return ""
}
