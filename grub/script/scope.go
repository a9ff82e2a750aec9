package script

// value is a variable's value as far as the evaluator knows it.
type value struct {
	s      string
	known  bool
	origin string // see Value.Origin
	// deleted marks an unset in a child scope.
	deleted bool
	// exported variables are the only ones a submenu sees: GRUB runs a
	// submenu's body in a new environment context holding only them.
	exported bool
}

// unresolved is the value of a variable only GRUB knows at run time: it
// expands to a reference to itself.
func unresolved(name string) value {
	return value{s: "${" + name + "}", origin: "unresolved"}
}

// vars is a scope of variables: the writes made in it over a read-only
// parent. Branches of an undecided if run in child scopes, so that their
// cost is proportional to what they change, not to how many variables exist.
type vars struct {
	parent *vars
	m      map[string]value
	depth  int
}

func newVars() *vars { return &vars{m: map[string]value{}} }

// maxChain is how long a chain of scopes grows before child collapses it.
const maxChain = 16

// child returns a scope over v. When the chain grows long it first
// collapses the scopes above the outermost one into one, so that lookups
// stay cheap; that copies only what the branches wrote (childCost), never
// the outermost scope, which holds every variable of the script.
func (v *vars) child() *vars {
	base := v
	if v.depth >= maxChain {
		base = v.collapse()
	}
	return &vars{parent: base, m: map[string]value{}, depth: base.depth + 1}
}

// childCost is how many variables child copies.
func (v *vars) childCost() int {
	if v.depth < maxChain {
		return 0
	}
	n := 0
	for s := v; s.parent != nil; s = s.parent {
		n += len(s.m)
	}
	return n
}

// collapse merges the scopes of v's chain, all but the outermost, into
// one scope over the outermost. Unsets stay as markers, as they may hide
// a variable of the outermost scope.
func (v *vars) collapse() *vars {
	var chain []*vars
	s := v
	for ; s.parent != nil; s = s.parent {
		chain = append(chain, s)
	}
	out := &vars{parent: s, m: map[string]value{}, depth: 1}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, x := range chain[i].m {
			out.m[k] = x
		}
	}
	return out
}

// flatten returns one scope holding every variable of v's chain.
func (v *vars) flatten() *vars {
	out := newVars()
	var chain []*vars
	for s := v; s != nil; s = s.parent {
		chain = append(chain, s)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, x := range chain[i].m {
			if x.deleted {
				delete(out.m, k)
			} else {
				out.m[k] = x
			}
		}
	}
	return out
}

// size is how many variables v's chain holds, counting each scope's.
func (v *vars) size() int {
	n := 0
	for s := v; s != nil; s = s.parent {
		n += len(s.m)
	}
	return n
}

func (v *vars) get(k string) (value, bool) {
	for s := v; s != nil; s = s.parent {
		if x, ok := s.m[k]; ok {
			if x.deleted {
				return value{}, false
			}
			return x, true
		}
	}
	return value{}, false
}

// set assigns k, keeping whether it was exported.
func (v *vars) set(k string, x value) {
	if old, ok := v.get(k); ok && old.exported {
		x.exported = true
	}
	v.m[k] = x
}

// exportedOnly returns a new scope with the exported variables of v, as
// grub_env_context_open builds for a submenu.
func (v *vars) exportedOnly() *vars {
	out := newVars()
	for k, x := range v.flatten().m {
		if x.exported {
			out.m[k] = x
		}
	}
	return out
}

func (v *vars) del(k string) { v.m[k] = value{deleted: true} }

// runtimeVars are set by GRUB itself at run time from the machine it runs
// on; their values cannot be known from the configuration.
var runtimeVars = map[string]bool{
	"root": true, "prefix": true, "cmdpath": true, "grub_platform": true,
	"grub_cpu": true, "config_directory": true, "config_file": true,
	"fw_path": true, "chosen": true, "?": true, "lang": true,
	"locale_dir": true, "secondary_locale_dir": true,
}

// features are the feature_* variables GRUB 2.02 and later export as "y"
// (grub-core/normal/main.c), which grub-mkconfig output tests.
var features = []string{
	"feature_chainloader_bpb", "feature_ntldr", "feature_platform_search_hint",
	"feature_default_font_path", "feature_all_video_module",
	"feature_menuentry_id", "feature_menuentry_options", "feature_200_final",
	"feature_nativedisk_cmd", "feature_timeout_style",
}
