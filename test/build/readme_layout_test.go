package build

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// hasGo reports whether dir holds Go files, itself or below.
func hasGo(t *testing.T, dir string) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// declaresType reports whether the package in dir declares type name.
func declaresType(t *testing.T, dir, name string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
				for _, s := range gd.Specs {
					if s.(*ast.TypeSpec).Name.Name == name {
						return true
					}
				}
			}
		}
	}
	return false
}

// TestReadmeLayout holds README.md's "Layout" table to the tree: every
// path it names exists; every top-level directory and every directory of
// internal/ with Go code is named; the packages it lists for
// internal/testing/ and test/ are the directories there; and a type it
// names (`Snapshot`) is declared in a package of its row.
func TestReadmeLayout(t *testing.T) {
	root := testutil.RepoRoot(t)
	sec := section(t, readme(t), "## Layout")
	named := map[string]bool{}
	for _, line := range strings.Split(sec, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 || !strings.Contains(cells[1], "`") {
			continue
		}
		var dirs []string
		for _, p := range codeSpans(cells[1]) {
			p = strings.TrimSuffix(p, "/")
			dirs = append(dirs, p)
			named[p] = true
			if st, err := os.Stat(filepath.Join(root, p)); err != nil || !st.IsDir() {
				t.Errorf("Layout names %s, which is not a directory", p)
			}
		}
		what := cells[2]
		if strings.Contains(what, "packages:") || strings.Contains(what, "libraries:") {
			listed := map[string]bool{}
			_, list, _ := strings.Cut(what, ":")
			for _, p := range codeSpans(list) {
				listed[p] = true
			}
			entries, err := os.ReadDir(filepath.Join(root, dirs[0]))
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, e := range entries {
				if e.IsDir() && hasGo(t, filepath.Join(root, dirs[0], e.Name())) {
					have[e.Name()] = true
				}
			}
			if d := difference(have, listed); len(d) > 0 {
				t.Errorf("Layout: %s lacks %v", dirs[0], d)
			}
			if d := difference(listed, have); len(d) > 0 {
				t.Errorf("Layout: %s has no %v", dirs[0], d)
			}
			continue
		}
		for _, typ := range regexp.MustCompile("`([A-Z][A-Za-z]*)`").FindAllStringSubmatch(what, -1) {
			ok := false
			for _, d := range dirs {
				ok = ok || declaresType(t, filepath.Join(root, d), typ[1])
			}
			if !ok {
				t.Errorf("Layout: no package of %v declares %s", dirs, typ[1])
			}
		}
	}
	var dirs []string
	for _, base := range []string{".", "internal"} {
		entries, err := os.ReadDir(filepath.Join(root, base))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := filepath.ToSlash(filepath.Join(base, e.Name()))
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && p != "internal" && hasGo(t, filepath.Join(root, p)) {
				dirs = append(dirs, p)
			}
		}
	}
	for _, d := range dirs {
		covered := false
		for n := range named {
			covered = covered || d == n || strings.HasPrefix(n, d+"/") || strings.HasPrefix(d, n+"/")
		}
		if !covered {
			t.Errorf("Layout does not name %s", d)
		}
	}
}
