package script

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// grubSyntaxOK asks Debian's grub-script-check (package grub-common), GRUB's
// own script parser, whether src has a syntax error.
func grubSyntaxOK(t *testing.T, bin, dir string, src []byte) bool {
	t.Helper()
	f := filepath.Join(dir, "check.cfg")
	if err := os.WriteFile(f, src, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, f).CombinedOutput()
	return !strings.Contains(string(out), "Syntax error")
}

// oursSyntaxOK reports whether our parser found no syntax error.
func oursSyntaxOK(src []byte) bool {
	_, errs, tooDeep := parseScript(src)
	return len(errs) == 0 && !tooDeep
}

// syntaxSnippets are small scripts on both sides of GRUB's grammar.
var syntaxSnippets = []string{
	"echo a|b", `echo "a|b"`, "echo a&b", "echo a>b", "x=1>2", `x="1>2"`,
	"menuentry x {", "}", "if true; then echo; fi", "if true; then; fi",
	"if true then echo fi", "function f { echo; }", "menuentry { linux /a }",
	"menuentry a { }", "menuentry a {}", "for x in a b; do echo $x; done",
	"while true; do echo; done", "until false; do echo; done", "echo 'a", `echo "a`,
	"a=b c=d", "[ a = b ]", "x { y }", "echo {a}", "echo a{b", "echo a}b", "set a={",
	"if true; then echo; elif false; then echo; else echo; fi", "if; then fi",
	"echo ;;", "echo a;;b", ";", "echo a; ; echo b", "do", "then", "echo then",
	"{ echo; }", "echo # x }", "echo $\"a b\"", "echo ${1} $? $# $* $@",
	"menuentry a { linux /a; }", "menuentry a { linux /a }", "menuentry a { echo; echo; }",
	"menuentry a { if true; then echo; fi }", "menuentry a { echo }; echo",
	"menuentry a { echo } ; echo", "echo;", "echo; ", "if true; then echo; fi;",
	"menuentry 'a' --class x $menuentry_id_option 'id' {\n\tlinux /k ro\n}\n",
	"submenu 'S' {\n menuentry a {\n  linux /a\n }\n}\n",
}

// TestSyntaxAgainstGrubScriptCheck compares our syntax verdict with GRUB's
// own parser on the snippets, on every grub.cfg of the corpus and the
// fixtures, and on deterministic mutations of them (deleted and duplicated
// byte ranges, inserted operators and braces).
func TestSyntaxAgainstGrubScriptCheck(t *testing.T) {
	bin, err := exec.LookPath("grub-script-check")
	if err != nil {
		testutil.SkipOrFail(t, "grub-script-check (package grub-common) not installed")
	}
	dir := t.TempDir()
	for _, s := range syntaxSnippets {
		src := []byte(s + "\n")
		if g, o := grubSyntaxOK(t, bin, dir, src), oursSyntaxOK(src); g != o {
			t.Errorf("%q: grub-script-check ok=%v, ours ok=%v", s, g, o)
		}
	}
	var files []string
	base := testutil.Shared(t, "grub")
	for _, g := range []string{"grubby/grub2.*", "u-root/*/testdata*/*/*/grub.cfg", "u-root/*/testdata*/*/*/*/grub.cfg",
		"u-root/*/testdata*/*/*/*/*/grub.cfg", "u-root/iso/testdata/*/*/*/loopback.cfg"} {
		m, _ := filepath.Glob(filepath.Join(base, g))
		files = append(files, m...)
	}
	own, _ := filepath.Glob(filepath.Join("..", "testdata", "mkconfig", "*.cfg"))
	files = append(files, own...)
	var corpus [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		corpus = append(corpus, data)
		if g, o := grubSyntaxOK(t, bin, dir, data), oursSyntaxOK(data); g != o {
			t.Errorf("%s: grub-script-check ok=%v, ours ok=%v", f, g, o)
		}
	}
	if len(corpus) < 30 {
		t.Fatalf("only %d configurations", len(corpus))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	inserts := []string{"|", ">", ";", ";;", "{", "}", "{ }", "'", "\"", "\\", "\n", " fi ", " then ", "$", "${", "#"}
	agree, total := 0, 0
	var disagreements []string
	for i := 0; i < 400; i++ {
		src := corpus[rng.IntN(len(corpus))]
		// Work on a window of lines so that one mutation decides the verdict.
		lines := strings.SplitAfter(string(src), "\n")
		start := rng.IntN(len(lines))
		end := min(len(lines), start+1+rng.IntN(12))
		s := strings.Join(lines[start:end], "")
		if s == "" {
			continue
		}
		pos := rng.IntN(len(s) + 1)
		switch rng.IntN(3) {
		case 0:
			s = s[:pos] + inserts[rng.IntN(len(inserts))] + s[pos:]
		case 1:
			e := min(len(s), pos+1+rng.IntN(8))
			s = s[:pos] + s[e:]
		default:
			e := min(len(s), pos+1+rng.IntN(8))
			s = s[:e] + s[pos:e] + s[e:]
		}
		total++
		g, o := grubSyntaxOK(t, bin, dir, []byte(s)), oursSyntaxOK([]byte(s))
		if g == o {
			agree++
		} else if len(disagreements) < 8 {
			disagreements = append(disagreements, "grub ok="+map[bool]string{true: "yes", false: "no"}[g]+": "+strings.TrimSpace(s))
		}
	}
	t.Logf("mutations: %d of %d verdicts agree with grub-script-check", agree, total)
	for _, d := range disagreements {
		t.Logf("disagreement: %q", d)
	}
	if agree*100 < total*90 {
		t.Errorf("only %d of %d mutation verdicts agree", agree, total)
	}
}
