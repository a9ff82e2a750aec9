package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestMain(m *testing.M) { agent.Main(m) }

// readme returns README.md.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text below heading (a whole line, "## Flags") up to
// the next heading of the same or a higher level.
func section(t *testing.T, text, heading string) string {
	t.Helper()
	_, sec, ok := strings.Cut(text, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	level := strings.Repeat("#", strings.Index(heading, " "))
	for i := 0; i < len(sec); {
		j := strings.Index(sec[i:], "\n#")
		if j < 0 {
			break
		}
		i += j + 1
		hashes := len(sec[i:]) - len(strings.TrimLeft(sec[i:], "#"))
		if hashes <= len(level) && strings.HasPrefix(sec[i+hashes:], " ") {
			return sec[:i]
		}
	}
	return sec
}

// codeSpans returns the contents of text's `code spans`, which may run
// over a line break.
func codeSpans(text string) []string {
	var out []string
	parts := strings.Split(text, "`")
	for i := 1; i < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}

// braceRE is a brace group of a README pattern: --collector.systemd.{user,address}.
var braceRE = regexp.MustCompile(`\{([^{}]*)\}`)

// expand returns a README pattern with each {a,b} group expanded.
func expand(p string) []string {
	m := braceRE.FindStringSubmatchIndex(p)
	if m == nil {
		return []string{p}
	}
	var out []string
	for _, alt := range strings.Split(p[m[2]:m[3]], ",") {
		out = append(out, expand(p[:m[0]]+strings.TrimSpace(alt)+p[m[1]:])...)
	}
	return out
}

// helpFlagRE matches a flag's line in kingpin's help: "  -p, --[no-]name"
// or "      --name=DEFAULT".
var helpFlagRE = regexp.MustCompile(`(?m)^ {2}(?:-(\w), |    )--(\[no-\])?([a-z][a-z0-9.-]*)(?:=(\S+))?`)

// helpFlag is one flag as --help shows it.
type helpFlag struct {
	short string
	bool  bool
	// value is the default, or the placeholder of a flag without one.
	value string
}

// flagsOf runs bootinfo with args and --help and returns the flags it
// lists, by name, without --help and --version.
func flagsOf(t *testing.T, args ...string) map[string]helpFlag {
	t.Helper()
	out, err := exec.Command(agent.Binary(t), append(args, "--help")...).CombinedOutput()
	if err != nil {
		t.Fatalf("bootinfo %v --help: %v\n%s", args, err, out)
	}
	flags := map[string]helpFlag{}
	for _, m := range helpFlagRE.FindAllStringSubmatch(string(out), -1) {
		if m[3] == "help" || m[3] == "version" {
			continue
		}
		v := m[4]
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		flags[m[3]] = helpFlag{short: m[1], bool: m[2] != "", value: v}
	}
	if len(flags) == 0 {
		t.Fatalf("no flags read from bootinfo %v --help:\n%s", args, out)
	}
	return flags
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// difference returns the keys of a that b lacks.
func difference[V, W any](a map[string]V, b map[string]W) []string {
	var out []string
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// collectorNames returns the collectors as --help names them: the boolean
// flags "--[no-]collector.NAME" whose help begins "Enable the NAME
// collector".
func collectorNames(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command(agent.Binary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("bootinfo --help: %v\n%s", err, out)
	}
	names := map[string]bool{}
	re := regexp.MustCompile(`--\[no-\]collector\.([a-z]+)\s+Enable the ([a-z]+) collector`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		if m[1] == m[2] {
			names[m[1]] = true
		}
	}
	if len(names) == 0 {
		t.Fatalf("no collectors in bootinfo --help:\n%s", out)
	}
	return names
}

// readmeFlagRE finds a flag in a code span, with what follows the span:
// "--[no-]collector.dmi.serials", "--web.listen-address` (default `:19117`".
var readmeFlagRE = regexp.MustCompile("`--(\\[no-\\])?([a-z][a-zA-Z0-9.{},*-]*)`" + `(?:\s+\((default\s+)?(` + "`[^`]*`" + `|[^,;)\s]+))?`)

// TestReadmeFlags holds README.md's "Flags" to the binary: the table
// names exactly the flags `bootinfo serve --help` lists; those of
// `bootinfo --help` are all but serve's --web.* flags, which are the ones
// serve adds; each default the README gives, in the table or the prose
// below it ("`--flag` (default `value`", "`--flag` (`value`"), is the one
// --help shows; the collectors the table lists are --help's. Every flag
// the README names anywhere exists in some command.
func TestReadmeFlags(t *testing.T) {
	text := readme(t)
	sec := section(t, text, "## Flags")
	collectors := collectorNames(t)

	// The table's flags, patterns expanded.
	table := map[string]bool{}
	listed := map[string]bool{}
	for _, line := range strings.Split(sec, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		if _, after, ok := strings.Cut(line, "enables or disables one collector ("); ok {
			list, _, _ := strings.Cut(after, ";")
			for _, n := range strings.Split(list, ",") {
				listed[strings.TrimSpace(n)] = true
			}
		}
		for _, m := range readmeFlagRE.FindAllStringSubmatch(line, -1) {
			for _, f := range expand(m[2]) {
				if strings.Contains(f, "NAME") {
					for c := range collectors {
						table[strings.Replace(f, "NAME", c, 1)] = true
					}
					continue
				}
				table[f] = true
			}
		}
	}
	if d := difference(listed, collectors); len(d) > 0 || len(listed) != len(collectors) {
		t.Errorf("the Flags table lists collectors %v; --help has %v", keys(listed), keys(collectors))
	}

	serve := flagsOf(t, "serve")
	global := flagsOf(t)
	if d := difference(serve, table); len(d) > 0 {
		t.Errorf("bootinfo serve --help has flags the README's Flags table lacks: %v", d)
	}
	if d := difference(table, serve); len(d) > 0 {
		t.Errorf("the README's Flags table has flags bootinfo serve --help lacks: %v", d)
	}
	for _, f := range difference(serve, global) {
		if !strings.HasPrefix(f, "web.") {
			t.Errorf("--%s is serve's alone, but not a --web.* flag", f)
		}
	}
	for _, f := range keys(global) {
		if strings.HasPrefix(f, "web.") {
			t.Errorf("--%s is in bootinfo --help, not serve's alone", f)
		}
		if _, ok := serve[f]; !ok {
			t.Errorf("--%s is in bootinfo --help but not in bootinfo serve --help", f)
		}
	}

	// Defaults, wherever the README gives one.
	all := map[string]helpFlag{}
	for _, args := range [][]string{nil, {"serve"}, {"show"}, {"dmi"}, {"kmsg"}} {
		for k, v := range flagsOf(t, args...) {
			all[k] = v
		}
	}
	// Flags of other programs the README names.
	foreign := map[string]bool{"kmsg-file": true} // util-linux dmesg's
	defaults := 0
	for _, m := range readmeFlagRE.FindAllStringSubmatch(text, -1) {
		name := m[2]
		if strings.ContainsAny(name, "{*") || strings.Contains(name, "NAME") || foreign[name] || name == "help" || name == "version" {
			continue
		}
		f, ok := all[name]
		if n, neg := strings.CutPrefix(name, "no-"); !ok && neg {
			f, ok = all[n]
			ok = ok && f.bool
		}
		if !ok {
			t.Errorf("README.md names --%s, which no command has", name)
			continue
		}
		// A default is "(default X" anywhere, or "(`X`" in the Flags
		// table; elsewhere "(`...`" says what is read below a path flag,
		// and "(a, b, ...)" lists choices.
		if m[4] == "" || m[3] == "" && !(strings.HasPrefix(m[4], "`") && strings.Contains(sec, m[0])) {
			continue
		}
		defaults++
		if want := strings.Trim(m[4], "`"); f.value != want {
			t.Errorf("README.md gives --%s the default %q; --help shows %q", name, want, f.value)
		}
	}
	if defaults < 5 {
		t.Errorf("read only %d defaults from README.md: has the way it states them changed?", defaults)
	}
}

// TestReadmeQuickStart: the first command the README gives serves on the
// address --web.listen-address defaults to, and the README says which
// interfaces that is.
func TestReadmeQuickStart(t *testing.T) {
	m := regexp.MustCompile(`scripts/run +# [^\n]*serve on (\S+) \(every interface\)`).FindStringSubmatch(readme(t))
	if m == nil {
		t.Fatal("README.md's quick start does not say where scripts/run serves")
	}
	def := flagsOf(t, "serve")["web.listen-address"].value
	if m[1] != def {
		t.Errorf("README.md: scripts/run serves on %s; --web.listen-address defaults to %s", m[1], def)
	}
	if host, _, _ := strings.Cut(def, ":"); host != "" {
		t.Errorf("--web.listen-address defaults to %s: not every interface", def)
	}
}

// TestReadmeCommands holds README.md's "Commands" to the binary: one entry
// per command --help lists, each naming exactly that command's own flags
// (those its --help adds to bootinfo --help's), short or long.
func TestReadmeCommands(t *testing.T) {
	out, err := exec.Command(agent.Binary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	_, cmds, _ := strings.Cut(string(out), "\nCommands:\n")
	commands := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z]+)\*? `).FindAllStringSubmatch(cmds, -1) {
		if m[1] != "help" {
			commands[m[1]] = true
		}
	}
	if len(commands) < 4 {
		t.Fatalf("commands %v from:\n%s", keys(commands), out)
	}
	global := flagsOf(t)
	// The README's flags per command, from the code span each entry starts with.
	documented := map[string]map[string]bool{}
	sec := section(t, readme(t), "## Commands")
	for _, entry := range strings.Split(sec, "\n- ")[1:] {
		spans := codeSpans(entry)
		if len(spans) == 0 || !strings.HasPrefix(spans[0], "bootinfo ") {
			t.Errorf("an entry of Commands does not start with `bootinfo ...`: %.60s", entry)
			continue
		}
		f := strings.Fields(spans[0])
		name := f[1]
		if documented[name] == nil {
			documented[name] = map[string]bool{}
		}
		own := flagsOf(t, name)
		for _, w := range f[2:] {
			w = strings.Trim(w, "[]().")
			switch {
			case strings.HasPrefix(w, "--"):
				documented[name][strings.TrimPrefix(w, "--")] = true
			case strings.HasPrefix(w, "-") && len(w) == 2:
				long := ""
				for n, hf := range own {
					if hf.short == w[1:] {
						long = n
					}
				}
				if long == "" {
					t.Errorf("README.md: bootinfo %s has no flag %s", name, w)
				}
				documented[name][long] = true
			}
		}
	}
	if d := difference(commands, documented); len(d) > 0 {
		t.Errorf("commands missing from README.md's Commands: %v", d)
	}
	if d := difference(documented, commands); len(d) > 0 {
		t.Errorf("README.md's Commands has commands bootinfo lacks: %v", d)
	}
	for name := range commands {
		own := map[string]bool{}
		for _, f := range difference(flagsOf(t, name), global) {
			own[f] = true
		}
		if name == "serve" {
			continue // its --web.* flags are in "Flags"
		}
		if d := difference(own, documented[name]); len(d) > 0 {
			t.Errorf("README.md's bootinfo %s lacks its flags %v", name, d)
		}
		if d := difference(documented[name], own); len(d) > 0 {
			t.Errorf("README.md's bootinfo %s names flags it does not have: %v", name, d)
		}
	}
}

// TestReadmeCollectors: README.md has a "### NAME" section for each
// collector and no other, and all are on by default, as the Flags table
// says: `bootinfo show` with no collector flag refuses an unknown section
// listing every collector as one it has.
func TestReadmeCollectors(t *testing.T) {
	collectors := collectorNames(t)
	headed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^### ([a-z]+)$`).FindAllStringSubmatch(section(t, readme(t), "## Collectors"), -1) {
		headed[m[1]] = true
	}
	if d := difference(collectors, headed); len(d) > 0 {
		t.Errorf("collectors without a section in README.md: %v", d)
	}
	if d := difference(headed, collectors); len(d) > 0 {
		t.Errorf("README.md has sections for collectors bootinfo lacks: %v", d)
	}
	out, _ := exec.Command(agent.Binary(t), "show", "no-such-section").CombinedOutput()
	_, list, ok := strings.Cut(string(out), "sections: ")
	if !ok {
		t.Fatalf("bootinfo show no-such-section:\n%s", out)
	}
	list, _, _ = strings.Cut(list, " (")
	enabled := map[string]bool{}
	for _, n := range strings.Split(list, ", ") {
		enabled[strings.TrimSpace(n)] = true
	}
	if d := difference(collectors, enabled); len(d) > 0 {
		t.Errorf("collectors off by default: %v (show lists %v)", d, keys(enabled))
	}
}
