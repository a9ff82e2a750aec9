package dmidecode

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	"github.com/google/go-cmp/cmp"
)

// requiredTypes must match dmidecode's output exactly, structure by
// structure.
var requiredTypes = map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 16: true, 17: true, 19: true, 32: true}

// block is one "Handle ..." section of dmidecode output, or the header.
type block struct {
	typ  int
	text string
}

// splitBlocks cuts dmidecode output into the header and one block per
// structure.
func splitBlocks(out string) []block {
	parts := strings.Split(out, "\nHandle ")
	blocks := []block{{typ: -1, text: parts[0]}}
	for _, p := range parts[1:] {
		b := block{typ: -2, text: "Handle " + p}
		if i := strings.Index(p, "DMI type "); i >= 0 {
			var n int
			for _, c := range p[i+9:] {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int(c-'0')
			}
			b.typ = n
		}
		blocks = append(blocks, b)
	}
	return blocks
}

func render(t testing.TB, path string, opts Options) (string, *dmi.Table) {
	tb, _ := dmi.ParseDumpBin(dmitest.ReadFile(t, path))
	if tb == nil {
		t.Fatalf("%s: no table", path)
	}
	var buf bytes.Buffer
	if err := Write(&buf, Source{Table: tb, DumpFile: filepath.Base(path)}, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String(), tb
}

// TestOracleDumps compares the output for every dump with dmidecode 3.4's,
// structure by structure. Structures of the required types must match; the
// share of all structures matching is logged.
func TestOracleDumps(t *testing.T) {
	var total, same, reqTotal, reqSame int
	perType := map[int][2]int{}
	for _, p := range dmitest.Dumps(t) {
		name := strings.TrimSuffix(filepath.Base(p), ".bin")
		want := dmitest.ReadFile(t, strings.TrimSuffix(p, ".bin")+".dmidecode.txt")
		var stderr bytes.Buffer
		got, _ := render(t, p, Options{Stderr: &stderr})
		wantErr, _ := os.ReadFile(strings.TrimSuffix(p, ".bin") + ".dmidecode.stderr")
		if stderr.String() != string(wantErr) {
			t.Errorf("%s: stderr %q, dmidecode %q", name, stderr.String(), wantErr)
		}
		wb, gb := splitBlocks(string(want)), splitBlocks(got)
		if wb[0].text != gb[0].text {
			t.Errorf("%s: header differs:\n got: %q\nwant: %q", name, gb[0].text, wb[0].text)
		}
		if len(wb) != len(gb) {
			t.Errorf("%s: %d structures, dmidecode printed %d", name, len(gb)-1, len(wb)-1)
			continue
		}
		for i := 1; i < len(wb); i++ {
			total++
			c := perType[wb[i].typ]
			c[1]++
			ok := wb[i].text == gb[i].text
			if ok {
				same++
				c[0]++
			}
			perType[wb[i].typ] = c
			if !ok && !requiredTypes[wb[i].typ] {
				// The other types must match too.
				t.Errorf("%s: structure %d (type %d) differs:\n%s", name, i, wb[i].typ, lineDiff(wb[i].text, gb[i].text))
			}
			if requiredTypes[wb[i].typ] {
				reqTotal++
				if ok {
					reqSame++
				} else {
					t.Errorf("%s: structure %d (type %d) differs:\n%s", name, i, wb[i].typ, lineDiff(wb[i].text, gb[i].text))
				}
			}
		}
	}
	t.Logf("required types: %d/%d structures match", reqSame, reqTotal)
	t.Logf("all types: %d/%d structures match (%.1f%%)", same, total, 100*float64(same)/float64(max(total, 1)))
	for ty := 0; ty < 256; ty++ {
		if c, ok := perType[ty]; ok && c[0] != c[1] {
			t.Logf("type %d: %d/%d match", ty, c[0], c[1])
		}
	}
}

// lineDiff shows how two texts differ, line by line.
func lineDiff(want, got string) string {
	return cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
}
