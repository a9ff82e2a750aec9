package systemd

import (
	"errors"
	"fmt"
	"path"

	"github.com/bootinfo/bootinfo/systemd/unitfiles"
)

// Where a snapshot's unit file list came from (Snapshot.UnitFilesFrom).
const (
	FilesFromDisk    = "disk"
	FilesFromManager = "manager"
)

// diskUnitFiles lists the unit files below Options.Root along the
// manager's own search path (its UnitPath), with their enablement computed
// as the manager's ListUnitFiles computes it (package unitfiles). That call
// blocks the manager for seconds on a host with a thousand unit files and
// for minutes at five thousand; reading the same directories here costs
// milliseconds and nothing of the manager's.
//
// The disk is believed only when it shows what the manager loaded: every
// loaded unit whose file lies in the search path must be listed. A root
// that is not the manager's (a container without the host's unit
// directories) fails that, and the caller asks the manager instead.
func (w *Watcher) diskUnitFiles(units map[string]*entry) (map[string]UnitFile, error) {
	if len(w.unitPath) == 0 {
		return nil, fmt.Errorf("the manager reported no unit search path")
	}
	root := w.opts.Root
	if root == "" {
		root = "/"
	}
	files, problems := unitfiles.List(root, unitfiles.FromManager(w.unitPath))
	for _, p := range problems {
		// A listing cut short would call units missing that are not;
		// other problems are units the manager finds bad as well.
		if errors.Is(p, unitfiles.ErrTooMany) {
			return nil, fmt.Errorf("the unit directories below %s: %w", root, p)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no unit files below %s in the manager's search path", root)
	}
	m := make(map[string]UnitFile, len(files))
	for _, f := range files {
		n := f.Name()
		m[n] = UnitFile{Name: n, Path: f.Path, State: f.State}
	}
	dirs := make(map[string]bool, len(w.unitPath))
	for _, d := range w.unitPath {
		dirs[path.Clean(d)] = true
	}
	for name, e := range units {
		fp := e.unit.FragmentPath
		if !e.detail || e.unit.LoadState != "loaded" || fp == "" || !dirs[path.Dir(fp)] {
			continue
		}
		if _, ok := m[path.Base(fp)]; !ok {
			return nil, fmt.Errorf("the manager loaded %s from %s, which is not below %s", name, fp, root)
		}
	}
	return m, nil
}
