package unitfiles

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	iofs "io/fs"
	"path"
	"slices"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Presets are the vendor presets (systemd.preset(5)): which unit files a
// distribution wants enabled when they are installed, as `systemctl
// list-unit-files` shows in its last column.
type Presets struct {
	rules []presetRule
}

type presetRule struct {
	pattern string
	enable  bool
}

// SystemPresetDirs are the system manager's preset directories, highest
// priority first; Debian builds with split /usr, so /lib comes last.
var SystemPresetDirs = []string{
	"/etc/systemd/system-preset",
	"/run/systemd/system-preset",
	"/usr/local/lib/systemd/system-preset",
	"/usr/lib/systemd/system-preset",
	"/lib/systemd/system-preset",
}

// maxPresetFiles bounds the preset files read, maxPresetRules the rules.
const (
	maxPresetFiles = 256
	maxPresetRules = 1 << 14
)

// ReadPresets reads the *.preset files of dirs below root: a file in an
// earlier directory hides one of the same name in a later one (a link to
// /dev/null hides it and says nothing), and the files are read in the
// order of their names, whatever their directory. problems are files that
// could not be read and lines that are not rules; the rest stands.
func ReadPresets(root string, dirs []string) (Presets, []error) {
	r := hostfile.NewRoot(root)
	var problems []error
	files := map[string]string{} // name -> path of the one that counts
	for _, d := range dirs {
		ents, err := r.ReadDir(d)
		if err != nil {
			if !errors.Is(err, iofs.ErrNotExist) {
				problems = append(problems, fmt.Errorf("unitfiles: presets: %w", err))
			}
			continue
		}
		for _, e := range ents {
			if n := e.Name(); strings.HasSuffix(n, ".preset") && files[n] == "" && len(files) < maxPresetFiles {
				files[n] = path.Join(d, n)
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var p Presets
	for _, n := range names {
		f := files[n]
		if target, err := r.Readlink(f); err == nil && target == "/dev/null" {
			continue // masked
		}
		b, err := r.ReadFile(f, MaxFileSize)
		if err != nil {
			problems = append(problems, fmt.Errorf("unitfiles: presets: %w", err))
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, len(b)+1)
		for line := 1; sc.Scan(); line++ {
			l := strings.TrimSpace(sc.Text())
			if l == "" || l[0] == '#' || l[0] == ';' {
				continue
			}
			verb, rest, _ := strings.Cut(l, " ")
			fields := strings.Fields(rest)
			if (verb != "enable" && verb != "disable") || len(fields) == 0 {
				problems = append(problems, fmt.Errorf("unitfiles: presets: %s:%d: %q is not enable or disable PATTERN", f, line, l))
				continue
			}
			if len(p.rules) == maxPresetRules {
				problems = append(problems, fmt.Errorf("unitfiles: presets: more than %d rules; the rest are ignored", maxPresetRules))
				return p, problems
			}
			p.rules = append(p.rules, presetRule{pattern: fields[0], enable: verb == "enable"})
		}
	}
	return p, problems
}

// State returns the preset of unit file name: "enabled" or "disabled" by
// the first rule whose pattern matches it, "enabled" when none does (as
// systemd 252 decides). A template's instance follows its template's rule
// when no rule names the instance.
func (p Presets) State(name string) string {
	for _, r := range p.rules {
		if ok, _ := path.Match(r.pattern, name); ok {
			if r.enable {
				return Enabled
			}
			return Disabled
		}
	}
	return Enabled
}

// ShowPreset says whether systemctl list-unit-files shows a preset for a
// unit file in state: not for aliases, static, generated or transient
// units, which are never enabled by a preset.
func ShowPreset(state string) bool {
	switch state {
	case Alias, Static, Generated, Transient:
		return false
	}
	return true
}
