package build

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// unboundedReads are the calls that read or walk a path with no size bound,
// blocking on a FIFO, or following links out of a root. Host input goes
// through internal/hostfile instead.
var unboundedReads = map[string][]string{
	"os":            {"ReadFile", "Open", "OpenFile", "ReadDir", "Readlink", "DirFS", "OpenRoot", "OpenInRoot"},
	"io":            {"ReadAll"},
	"io/ioutil":     {"ReadFile", "ReadAll", "ReadDir"},
	"path/filepath": {"Glob", "EvalSymlinks", "Walk", "WalkDir"},
	"bufio":         {"NewScanner"},
}

// readsAllowed are the places that may make such a call, each with why it
// is not host input or is bounded another way. A key is "FILE:FUNC", FILE
// relative to the repository root and FUNC the enclosing function.
var readsAllowed = map[string]string{
	"history/store.go:syncDir":    "opens bootinfo's own state directory, O_DIRECTORY|O_NONBLOCK, only to fsync it",
	"history/store.go:createTemp": "creates a new file (O_CREATE|O_EXCL) in bootinfo's own state directory, to write, as os.CreateTemp does",
}

// TestNoUnboundedReads walks the tree's non-test Go files and fails on a
// read of host input that bypasses internal/hostfile: os.ReadFile, os.Open,
// io.ReadAll, a directory walk or a symlink evaluation. io.ReadAll of an
// io.LimitReader is bounded and allowed, as is bufio.NewScanner over bytes
// already read (bytes.NewReader, strings.NewReader).
func TestNoUnboundedReads(t *testing.T) {
	root := testutil.RepoRoot(t)
	var found []string
	used := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case rel == "internal/hostfile", rel == "internal/testing", rel == "test",
				d.Name() == "testdata", strings.HasPrefix(d.Name(), "."):
				if rel != "." {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		for _, c := range unboundedCalls(t, p) {
			key := rel + ":" + c.fn
			if _, ok := readsAllowed[key]; ok {
				used[key] = true
				continue
			}
			found = append(found, fmt.Sprintf("%s:%d: %s in %s", rel, c.line, c.call, c.fn))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s reads without a bound or outside its root; use internal/hostfile (or allow it in readsAllowed with the reason)", f)
	}
	for key := range readsAllowed {
		if !used[key] {
			t.Errorf("readsAllowed[%q] allows nothing any more; remove it", key)
		}
	}
}

type readCall struct {
	call, fn string
	line     int
}

// unboundedCalls returns the calls of unboundedReads in one file, resolved
// through its imports (so an alias does not hide one).
func unboundedCalls(t *testing.T, path string) []readCall {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{} // local name -> import path
	for _, imp := range file.Imports {
		ip, _ := strconv.Unquote(imp.Path.Value)
		local := ip[strings.LastIndex(ip, "/")+1:]
		if imp.Name != nil {
			local = imp.Name.Name
		}
		names[local] = ip
	}
	var out []readCall
	for _, d := range file.Decls {
		fn := "(package)"
		if f, ok := d.(*ast.FuncDecl); ok {
			fn = f.Name.Name
			if f.Recv != nil && len(f.Recv.List) > 0 {
				fn = types(f.Recv.List[0].Type) + "." + fn
			}
		}
		ast.Inspect(d, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			ip, name, ok := selector(call.Fun, names)
			if !ok || !contains(unboundedReads[ip], name) {
				return true
			}
			if len(call.Args) > 0 && ((ip == "io" && name == "ReadAll") || (ip == "bufio" && name == "NewScanner")) {
				if aip, aname, ok := selector(callFun(call.Args[0]), names); ok &&
					((aip == "io" && aname == "LimitReader") || (aip == "bytes" && aname == "NewReader") || (aip == "strings" && aname == "NewReader")) {
					return true
				}
			}
			out = append(out, readCall{call: ip + "." + name, fn: fn, line: fset.Position(call.Pos()).Line})
			return true
		})
	}
	return out
}

func selector(e ast.Expr, names map[string]string) (importPath, name string, ok bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", "", false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", "", false
	}
	ip, ok := names[id.Name]
	return ip, sel.Sel.Name, ok
}

func callFun(e ast.Expr) ast.Expr {
	if c, ok := e.(*ast.CallExpr); ok {
		return c.Fun
	}
	return nil
}
