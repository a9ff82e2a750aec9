package testutil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// DeclaredMetric is a metric the collectors package declares.
type DeclaredMetric struct {
	Labels []string // sorted
	File   string   // the declaring file's base name: "host.go"
}

// DeclaredMetrics reads the collectors package's syntax tree for its
// metric declarations, desc("NAME", "help", "label", ...), which name the
// metric Namespace_NAME; names in comments do not count. A declaration
// whose name or labels are not string literals fails the test: its labels
// could not be checked. So does finding fewer than ten, which means the
// declaration pattern changed under this reader.
func DeclaredMetrics(t testing.TB) map[string]DeclaredMetric {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(RepoRoot(t), "collectors", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	namespace := ""
	var parsed []*ast.File
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, af)
		for _, d := range af.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, id := range vs.Names {
						if id.Name == "Namespace" && i < len(vs.Values) {
							namespace, _ = stringLiteral(vs.Values[i])
						}
					}
				}
			}
		}
	}
	if namespace == "" {
		t.Fatal("no Namespace constant in collectors")
	}
	out := map[string]DeclaredMetric{}
	for _, af := range parsed {
		file := filepath.Base(fset.Position(af.Pos()).Filename)
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "desc" || len(call.Args) < 2 {
				return true
			}
			name, ok := stringLiteral(call.Args[0])
			if !ok || call.Ellipsis.IsValid() {
				t.Errorf("%s: a desc call whose name or labels are not literals", fset.Position(call.Pos()))
				return true
			}
			m := DeclaredMetric{File: file}
			for _, a := range call.Args[2:] {
				l, ok := stringLiteral(a)
				if !ok {
					t.Errorf("%s: desc(%q): a label that is not a literal", fset.Position(a.Pos()), name)
				}
				m.Labels = append(m.Labels, l)
			}
			sort.Strings(m.Labels)
			out[namespace+"_"+name] = m
			return true
		})
	}
	if len(out) < 10 {
		t.Fatalf("only %d metrics declared in collectors: has the declaration pattern changed?", len(out))
	}
	return out
}

func stringLiteral(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}
