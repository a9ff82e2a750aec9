package unitfiles

import (
	"path"
	"strings"
)

// Role is what a directory of the unit search path is for. It decides what
// a unit file or link found there means: a link in the persistent
// configuration enables a unit, one in a runtime directory enables it until
// reboot, a unit file in a generator directory is generated.
type Role int

// The roles of unit search path directories, named after systemd's
// LookupPaths fields.
const (
	// RoleVendor is any other directory: the distribution's and the
	// administrator's unit files (/usr/lib/systemd/system,
	// /usr/local/lib/systemd/system, /etc/systemd/system.attached, ...).
	RoleVendor Role = iota
	RolePersistentControl
	RoleRuntimeControl
	RoleTransient
	RoleGeneratorEarly
	RolePersistentConfig
	RoleRuntimeConfig
	RoleGenerator
	RoleGeneratorLate
	// RoleGlobalConfig is /etc/systemd/user in a user manager's path: a
	// unit enabled there is enabled for every user.
	RoleGlobalConfig
)

var roleNames = [...]string{
	RoleVendor:            "vendor",
	RolePersistentControl: "persistent-control",
	RoleRuntimeControl:    "runtime-control",
	RoleTransient:         "transient",
	RoleGeneratorEarly:    "generator-early",
	RolePersistentConfig:  "persistent-config",
	RoleRuntimeConfig:     "runtime-config",
	RoleGenerator:         "generator",
	RoleGeneratorLate:     "generator-late",
	RoleGlobalConfig:      "global-config",
}

func (r Role) String() string {
	if r >= 0 && int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "unknown"
}

// Dir is one directory of the unit search path.
type Dir struct {
	// Path is absolute, as seen inside the root.
	Path string
	Role Role
}

// Paths is a unit search path, highest priority first, as systemd orders
// it: a unit file in an earlier directory hides one of the same name in a
// later one.
type Paths struct {
	Dirs []Dir
	// User is set for a user manager's path, where enablement in
	// RoleGlobalConfig counts as enabled.
	User bool
}

// SystemPaths returns the search path of Debian's systemd 252 for the
// system manager, which `systemctl --root` uses (`systemd-analyze
// unit-paths` prints it). Debian builds with split /usr, so /lib/systemd/system
// comes before /usr/lib/systemd/system; on a merged-/usr root both name
// the same directory.
func SystemPaths() Paths {
	return Paths{Dirs: []Dir{
		{"/etc/systemd/system.control", RolePersistentControl},
		{"/run/systemd/system.control", RoleRuntimeControl},
		{"/run/systemd/transient", RoleTransient},
		{"/run/systemd/generator.early", RoleGeneratorEarly},
		{"/etc/systemd/system", RolePersistentConfig},
		{"/etc/systemd/system.attached", RoleVendor},
		{"/run/systemd/system", RoleRuntimeConfig},
		{"/run/systemd/system.attached", RoleVendor},
		{"/run/systemd/generator", RoleGenerator},
		{"/usr/local/lib/systemd/system", RoleVendor},
		{"/lib/systemd/system", RoleVendor},
		{"/usr/lib/systemd/system", RoleVendor},
		{"/run/systemd/generator.late", RoleGeneratorLate},
	}}
}

// UserPaths returns a user manager's search path for a user whose home is
// home and whose runtime directory ($XDG_RUNTIME_DIR) is runtimeDir, with
// the XDG defaults (no XDG_* variables set). Without a runtimeDir the
// runtime, transient and generator directories are left out, as systemd
// does.
func UserPaths(home, runtimeDir string) Paths {
	cfg := path.Join(home, ".config", "systemd")
	var d []Dir
	add := func(p string, r Role) { d = append(d, Dir{p, r}) }
	rt := func(p string, r Role) {
		if runtimeDir != "" {
			add(path.Join(runtimeDir, "systemd", p), r)
		}
	}
	add(cfg+"/user.control", RolePersistentControl)
	rt("user.control", RoleRuntimeControl)
	rt("transient", RoleTransient)
	rt("generator.early", RoleGeneratorEarly)
	add(cfg+"/user", RolePersistentConfig)
	add("/etc/xdg/systemd/user", RoleVendor)
	add("/etc/systemd/user", RoleGlobalConfig)
	rt("user", RoleRuntimeConfig)
	add("/run/systemd/user", RoleVendor)
	rt("generator", RoleGenerator)
	add(path.Join(home, ".local/share/systemd/user"), RoleVendor)
	add("/usr/local/share/systemd/user", RoleVendor)
	add("/usr/share/systemd/user", RoleVendor)
	add("/usr/local/lib/systemd/user", RoleVendor)
	add("/usr/lib/systemd/user", RoleVendor)
	rt("generator.late", RoleGeneratorLate)
	return Paths{Dirs: d, User: true}
}

// FromManager classifies a manager's UnitPath property (the ordered list of
// org.freedesktop.systemd1.Manager), system or user manager, into roles.
// The runtime directory is the one holding systemd/transient (or the
// runtime control directory), the persistent configuration the one beside
// the first control directory, so a user manager with unusual
// XDG_CONFIG_HOME and XDG_RUNTIME_DIR is classified as well as the system
// manager.
func FromManager(unitPath []string) Paths {
	var p Paths
	base := func(dir string) (parent, leaf string) {
		dir = path.Clean(dir)
		leaf = path.Base(dir)
		parent = path.Dir(dir)
		if path.Base(parent) != "systemd" {
			return "", leaf
		}
		return path.Dir(parent), leaf
	}
	// First pass: the runtime and persistent bases, and the scope.
	var runtimeBase, persistentBase string
	controls := 0
	for _, d := range unitPath {
		b, leaf := base(d)
		switch leaf {
		case "user", "user.control":
			p.User = true
		}
		switch leaf {
		case "transient", "generator.early", "generator", "generator.late":
			if runtimeBase == "" && b != "" {
				runtimeBase = b
			}
		case "system.control", "user.control":
			if controls == 0 {
				persistentBase = b
			} else if runtimeBase == "" {
				runtimeBase = b
			}
			controls++
		}
	}
	cfgLeaf := "system"
	if p.User {
		cfgLeaf = "user"
	}
	if persistentBase == "" && !p.User {
		persistentBase = "/etc"
	}
	if runtimeBase == "" && !p.User {
		runtimeBase = "/run"
	}
	seenPersistent := false
	for _, d := range unitPath {
		d = path.Clean(d)
		b, leaf := base(d)
		r := RoleVendor
		switch {
		case leaf == "transient" && b != "":
			r = RoleTransient
		case leaf == "generator.early" && b != "":
			r = RoleGeneratorEarly
		case leaf == "generator" && b != "":
			r = RoleGenerator
		case leaf == "generator.late" && b != "":
			r = RoleGeneratorLate
		case leaf == cfgLeaf+".control" && b != "":
			r = RolePersistentControl
			if b == runtimeBase || (runtimeBase == "" && isRunPath(d)) {
				r = RoleRuntimeControl
			}
		case leaf == cfgLeaf && b != "" && b == runtimeBase:
			r = RoleRuntimeConfig
		case leaf == cfgLeaf && b != "" && !seenPersistent &&
			(b == persistentBase || (persistentBase == "" && !isRunPath(d))):
			r = RolePersistentConfig
			seenPersistent = true
		case p.User && d == "/etc/systemd/user":
			r = RoleGlobalConfig
		}
		p.Dirs = append(p.Dirs, Dir{Path: d, Role: r})
	}
	return p
}

// isRunPath reports whether p is below /run, which systemd counts as
// runtime whatever the directory's role.
func isRunPath(p string) bool { return p == "/run" || strings.HasPrefix(p, "/run/") }

// runtime reports whether a unit file or link in directory dir lasts only
// until reboot (path_is_runtime).
func (p *Paths) runtime(dir string) bool {
	if isRunPath(dir) {
		return true
	}
	switch p.role(dir) {
	case RoleRuntimeConfig, RoleGenerator, RoleGeneratorEarly, RoleGeneratorLate, RoleTransient, RoleRuntimeControl:
		return true
	}
	return false
}

// role returns the role of directory dir, RoleVendor if it is none of the
// search path's.
func (p *Paths) role(dir string) Role {
	for _, d := range p.Dirs {
		if d.Path == dir && d.Role != RoleVendor {
			return d.Role
		}
	}
	return RoleVendor
}

// inSearchPath reports whether path p lies below one of the search path's
// directories (path_startswith_strv).
func (p *Paths) inSearchPath(q string) bool {
	for _, d := range p.Dirs {
		if hasPathPrefix(q, d.Path) {
			return true
		}
	}
	return false
}

// hasPathPrefix reports whether q is dir or below it, component-wise.
func hasPathPrefix(q, dir string) bool {
	dir = strings.TrimRight(dir, "/")
	if dir == "" {
		return strings.HasPrefix(q, "/")
	}
	return q == dir || (strings.HasPrefix(q, dir) && q[len(dir)] == '/')
}
