package script

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// FuzzStart checks that any script runs, menu included, without panicking,
// within the package's bounds and deterministically, with and without an
// environment block and blscfg entries; and that ShellAssignments reads any
// input as sh. It is seeded with the syntax snippets and the grub-mkconfig
// fixtures.
func FuzzStart(f *testing.F) {
	for _, s := range syntaxSnippets {
		f.Add([]byte(s + "\n"))
	}
	fixtures, _ := filepath.Glob(filepath.Join("..", "testdata", "mkconfig", "*.cfg"))
	for _, p := range fixtures {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	withEnv := Options{
		HaveEnv: true,
		Env:     []Var{{"saved_entry", "1>0"}, {"next_entry", "s>a"}, {"kernelopts", "root=/dev/sda ro"}},
		BLS:     []BLSEntry{{Title: "T", ID: "m-6.1", Body: "linux /vmlinuz-6.1 $kernelopts quiet\n"}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{}, withEnv} {
			r := Start(data, opts)
			menu := r.Menu()
			if n := len(menu.Entries) + len(menu.Submenus); n > MaxEntries+len(opts.BLS) {
				t.Fatalf("%d menu items", n)
			}
			for _, e := range menu.Entries {
				if len(e.Title) > MaxValueLen || len(e.Kernel) > MaxValueLen {
					t.Fatalf("unbounded title or kernel: %d, %d bytes", len(e.Title), len(e.Kernel))
				}
				if len(e.Path) == 0 || e.BLS >= len(opts.BLS) {
					t.Fatalf("entry at %v from blscfg entry %d", e.Path, e.BLS)
				}
			}
			again := Start(data, opts)
			if !reflect.DeepEqual(menu, again.Menu()) || fmt.Sprint(r.Err()) != fmt.Sprint(again.Err()) {
				t.Fatal("two runs of the same script differ")
			}
		}
		as, _, _ := ShellAssignments(data)
		for _, a := range as {
			if !validName(a.Name) {
				t.Fatalf("assignment to %q", a.Name)
			}
		}
	})
}

// costBudget is the small budget FuzzEvalCost runs under, so that a cost
// the counters miss stands out against what they allow.
var costBudget = Budget{Steps: 20000, Bytes: 256 << 10, Memory: 2 << 20, SourceDepth: 4, SourceFiles: 8, SourcedBytes: 256 << 10}

// costSlack is what a run may allocate besides what its budget counts:
// the syntax errors and warnings it formats, the menu it returns, the
// evaluator's own state.
const costSlack = 256 << 10

// FuzzEvalCost checks that no script makes one evaluation cost more than
// its budget allows, measured independently of the counters: the bytes the
// run allocates (runtime.MemStats.TotalAlloc) must stay within twice the
// memory budget plus the expansion budget and a fixed slack, whatever the
// input's shape. Every "source" reads the script itself, so that sourcing
// recurses into the input. The counters themselves must not pass the
// budget. Seeded with the syntax snippets, the grub-mkconfig fixtures, the
// shared corpus's grub.cfg files when present, and the pathological shapes
// of issue 13 scaled to the budget.
func FuzzEvalCost(f *testing.F) {
	for _, s := range syntaxSnippets {
		f.Add([]byte(s + "\n"))
	}
	var files []string
	for _, g := range []string{"../testdata/mkconfig/*.cfg", "../../../shared/testdata/grub/u-root/grub/testdata_new/*/*/grub.cfg",
		"../../../shared/testdata/grub/u-root/grub/testdata_new/*/*/*/grub.cfg", "../../../shared/testdata/grub/grubby/grub2.*"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		bigSet(30000),
		bigSet(2000) + nestedIfElse(16, "", 500),
		nestedIfElse(16, bigSet(100), 300),
		"set a=x\nsource /self\nmenuentry a { linux /a $a }\n",
		"set a=xxxxxxxxxxxxxxxx\n" + strings.Repeat("set a=$a$a$a$a\n", 12),
		strings.Repeat("submenu s { ", 40) + strings.Repeat("} ", 40) + "\n",
		bigSet(500) + "export " + strings.Repeat("a1 ", 500) + "\n" + strings.Repeat("submenu s { menuentry e { linux /k } }\n", 200),
		"function f { set " + strings.Repeat("v=1 ", 2000) + "}\n" + strings.Repeat("f\n", 2000),
		strings.Repeat("menuentry a { if [ $r = x ]; then linux /a; else linux /b; fi; initrd /i /j /k }\n", 500),
	} {
		f.Add([]byte(s))
	}
	env := []Var{{"saved_entry", "1>0"}, {"next_entry", "s>a"}, {"kernelopts", "root=/dev/sda ro"}}
	bls := []BLSEntry{{Title: "T", ID: "m-6.1", Body: "linux /vmlinuz-6.1 $kernelopts quiet\n"}}
	allowed := uint64(2*costBudget.Memory + costBudget.Bytes + costSlack)
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{
			Env: env, HaveEnv: true, BLS: bls, Budget: costBudget,
			ReadFile: func(_ string, limit int64) ([]byte, error) {
				if int64(len(data)) > limit {
					return nil, ErrTooComplex
				}
				return data, nil
			},
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		r := Start(data, opts)
		r.Menu()
		runtime.ReadMemStats(&m1)
		s := r.Spent()
		if s.Steps > costBudget.Steps || s.Bytes > costBudget.Bytes || s.Memory > costBudget.Memory ||
			s.SourceDepth > costBudget.SourceDepth || s.SourceFiles > costBudget.SourceFiles || s.SourcedBytes > costBudget.SourcedBytes {
			t.Fatalf("spent %+v, over the budget %+v", s, costBudget)
		}
		if n := m1.TotalAlloc - m0.TotalAlloc; n > allowed {
			t.Fatalf("one evaluation allocated %d bytes; the budget allows %d (spent %+v, %v)", n, allowed, s, r.Err())
		}
	})
}
