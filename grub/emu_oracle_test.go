package grub

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// The GRUB emulator (Debian package grub-emu, GRUB 2.06) runs a real
// grub.cfg: with every menu entry's body starting with
//
//	echo "BOOTED=<line>"; reboot
//
// (<line> being the line of its menuentry) and the timeout forced to 0, GRUB
// boots its default at once, prints which entry it chose and exits. That is
// the oracle for Resolve. grub-emu loops forever when no entry runs, so it
// is only given configurations with at least one menu entry, all
// instrumented, and with superusers (which would ask for a password)
// removed.

var menuentryLine = regexp.MustCompile(`(?m)^[ \t]*menuentry\b[^{]*\{`)

// instrument inserts the probe right after the '{' of every menuentry (so
// line numbers do not move; the title may span lines) and sets the timeout
// to 0 at the end of the top-level script.
func instrument(src []byte) ([]byte, int) {
	text := string(src)
	locs := menuentryLine.FindAllStringIndex(text, -1)
	for i := len(locs) - 1; i >= 0; i-- {
		start, end := locs[i][0], locs[i][1]
		line := 1 + strings.Count(text[:start], "\n")
		text = text[:end] + " echo \"BOOTED=" + strconv.Itoa(line) + "\"; reboot;" + text[end:]
	}
	n := len(locs)
	out := []byte(text)
	// gfxterm would draw the probe's output as graphics; superusers would
	// ask for a password.
	out = bytes.ReplaceAll(out, []byte("terminal_output gfxterm"), []byte("terminal_output console"))
	out = bytes.ReplaceAll(out, []byte("set superusers="), []byte("set no_superusers="))
	return append(out, []byte("\nset timeout=0\nset timeout_style=menu\n")...), n
}

// emuBoot runs grub-emu on a configuration (and grubenv, if any) and
// returns the $chosen of the entry GRUB booted.
func emuBoot(t *testing.T, bin, name string, cfg, env []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "grub.cfg"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if env != nil {
		if err := os.WriteFile(filepath.Join(dir, "grubenv"), env, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-d", dir)
	cmd.Stdin = nil
	out, _ := cmd.CombinedOutput()
	i := bytes.LastIndex(out, []byte("BOOTED="))
	if i < 0 {
		t.Fatalf("%s: grub-emu booted nothing: %q", name, out)
	}
	rest := out[i+len("BOOTED="):]
	end := bytes.IndexFunc(rest, func(r rune) bool { return r < ' ' })
	if end < 0 {
		end = len(rest)
	}
	return string(rest[:end])
}

func emuBin(t *testing.T) string {
	bin, err := exec.LookPath("grub-emu")
	if err != nil {
		testutil.SkipOrFail(t, "grub-emu (Debian package grub-emu) not installed")
	}
	return bin
}

// checkAgainstEmu parses src with env as grub-emu would run it and compares
// the entry Resolve picks with the one GRUB boots.
func checkAgainstEmu(t *testing.T, bin, name string, src, env []byte) bool {
	t.Helper()
	var e *Env
	if env != nil {
		e, _ = ParseEnv(env)
	}
	cfg, _ := ParseConfig(src, ConfigOptions{Env: e, Platform: "emu"})
	if len(cfg.Entries) == 0 {
		t.Fatalf("%s: no entries", name)
	}
	inst, n := instrument(src)
	if n < len(cfg.Entries) {
		t.Fatalf("%s: %d probes for %d entries", name, n, len(cfg.Entries))
	}
	got := emuBoot(t, bin, name, inst, env)
	r := Resolve(cfg, LoaderVars{})
	if r.Entry == nil {
		t.Errorf("%s: GRUB boots the entry at line %s, we resolve nothing (%s)", name, got, r.Reason)
		return false
	}
	if want := strconv.Itoa(r.Entry.line); want != got {
		t.Errorf("%s: GRUB boots the entry at line %s, we resolve line %s %q (%s)", name, got, want, r.Entry.Title, r.Reason)
		return false
	}
	return true
}

// TestResolveAgainstGrubEmu runs the synthetic menu (synthConfig), the
// grub-mkconfig fixtures, grubby's configurations and u-root's layouts in
// grub-emu, with and without their grubenv files.
func TestResolveAgainstGrubEmu(t *testing.T) {
	bin := emuBin(t)
	agree, total := 0, 0
	check := func(name string, src, env []byte) {
		total++
		if checkAgainstEmu(t, bin, name, src, env) {
			agree++
		}
	}
	// Synthetic defaults, with every entry's probe written in.
	for _, def := range []string{"2", "0x2", "1>1", "1", "Last", "last", "more>second", "More>A>>B", "1>third",
		"9", "Nope", "1>7", "", "2abc", "1x>1", " 2", "More", "more>A>>B"} {
		check("default="+def, synthConfig(t, def), nil)
	}
	for _, env := range []*Env{
		envOf("next_entry", "last", "saved_entry", "first"),
		envOf("next_entry", "1>1"),
		envOf("next_entry", ""),
		envOf("next_entry", "9nope"),
	} {
		block, err := env.Encode()
		if err != nil {
			t.Fatal(err)
		}
		check("grubenv "+env.List(), synthConfig(t, "0"), block)
	}

	mk, _ := filepath.Glob(filepath.Join("testdata", "mkconfig", "*.cfg"))
	envs, _ := filepath.Glob(filepath.Join("testdata", "mkconfig", "*.grubenv"))
	for _, f := range mk {
		src, _ := os.ReadFile(f)
		check(f, src, nil)
		for _, ef := range envs {
			env, _ := os.ReadFile(ef)
			check(f+"+"+filepath.Base(ef), src, env)
		}
	}

	base := testutil.Shared(t, "grub")
	grubby, _ := filepath.Glob(filepath.Join(base, "grubby", "grub2.*"))
	genvs, _ := filepath.Glob(filepath.Join(base, "grubby", "grubenv.*"))
	for _, f := range grubby {
		src, _ := os.ReadFile(f)
		check(filepath.Base(f), src, nil)
		for _, ef := range genvs {
			env, _ := os.ReadFile(ef)
			check(filepath.Base(f)+"+"+filepath.Base(ef), src, env)
		}
	}
	var layouts []string
	for _, g := range []string{"u-root/grub/testdata_new/*/*/grub.cfg", "u-root/grub/testdata_new/*/*/*/grub.cfg",
		"u-root/grub/testdata_new/*/*/*/*/grub.cfg", "u-root/iso/testdata/*/boot/*/grub.cfg"} {
		m, _ := filepath.Glob(filepath.Join(base, g))
		layouts = append(layouts, m...)
	}
	for _, f := range layouts {
		src, _ := os.ReadFile(f)
		cfg, _ := ParseConfig(src, ConfigOptions{Platform: "emu"})
		if cfg.BLS || len(cfg.Entries) == 0 || bytes.Contains(src, []byte("configfile")) {
			continue // blscfg is a Fedora patch grub-emu lacks; stubs boot nothing
		}
		check(strings.TrimPrefix(f, base), src, nil)
	}
	t.Logf("%d of %d boots agree with grub-emu", agree, total)
}
