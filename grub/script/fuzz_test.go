package script

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
