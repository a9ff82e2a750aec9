package build

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// decoderPackages must each have a native fuzz target: every decoder is
// fuzzed.
var decoderPackages = []string{"bootdisk", "dmi", "kmsg", "efi", "grub", "host", "history", "systemd"}

// notDecoders are the directories whose packages adapt, wire or test
// decoders rather than decode bytes themselves.
var notDecoders = []string{"cmd", "collectors", "deploy", "internal", "test"}

// pkgFuncs parses the Go files of one directory and returns the names of its
// top-level functions in test files that take a *testing.F and are named
// Fuzz*, and those of its exported ParseX functions in non-test files whose
// first parameter is bytes ([]byte) or text (string).
func pkgFuncs(t *testing.T, dir string) (fuzz, parse []string) {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		isTest := strings.HasSuffix(name, "_test.go")
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			params := fn.Type.Params.List
			switch {
			case isTest && strings.HasPrefix(fn.Name.Name, "Fuzz") && len(params) == 1 && types(params[0].Type) == "*testing.F":
				fuzz = append(fuzz, fn.Name.Name)
			case !isTest && strings.HasPrefix(fn.Name.Name, "Parse") && fn.Name.IsExported() && len(params) > 0 &&
				(types(params[0].Type) == "[]byte" || types(params[0].Type) == "string"):
				parse = append(parse, fn.Name.Name)
			}
		}
	}
	return fuzz, parse
}

// types renders the simple type expressions the check looks at.
func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return "*" + types(e.X)
	case *ast.SelectorExpr:
		return types(e.X) + "." + e.Sel.Name
	case *ast.ArrayType:
		if e.Len == nil {
			return "[]" + types(e.Elt)
		}
	}
	return "?"
}

// TestDecodersHaveFuzzTargets fails when a decoder package has no native
// fuzz target: the named decoder packages, and any other package outside
// the adapters and test harnesses that exports a ParseX of bytes or text,
// so a new decoder cannot skip fuzzing. scripts/fuzz runs them all.
func TestDecodersHaveFuzzTargets(t *testing.T) {
	root := testutil.RepoRoot(t)
	want := map[string]bool{}
	for _, p := range decoderPackages {
		want[p] = true
	}
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		top, _, _ := strings.Cut(rel, "/")
		if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || contains(notDecoders, top)) {
			return filepath.SkipDir
		}
		fuzz, parse := pkgFuncs(t, path)
		if len(parse) > 0 {
			want[rel] = true
		}
		found[rel] = fuzz
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for p := range want {
		if len(found[p]) == 0 {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("decoder packages without a native fuzz target (func FuzzX(f *testing.F) in a _test.go file, seeded from the corpus): %v", missing)
	}
	for _, p := range decoderPackages {
		if _, ok := found[p]; !ok {
			t.Errorf("decoder package %s not found under %s", p, root)
		}
	}
	t.Logf("fuzz targets: %v", found)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
