package dmidecode

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// requiredTypes must match dmidecode's output exactly, structure by
// structure.
var requiredTypes = map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 16: true, 17: true, 19: true, 32: true}

func dumpPaths(t testing.TB) []string {
	dir := testutil.Shared(t, "smbios", "dumps")
	m, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no dumps in %s: %v", dir, err)
	}
	return m
}

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
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := dmi.ParseDumpBin(raw)
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
	for _, p := range dumpPaths(t) {
		name := strings.TrimSuffix(filepath.Base(p), ".bin")
		want, err := os.ReadFile(strings.TrimSuffix(p, ".bin") + ".dmidecode.txt")
		if err != nil {
			t.Fatal(err)
		}
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
				// Every other type matched too when this test was written;
				// keep it that way.
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

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			sb.WriteString("  line " + itoa(i+1) + ":\n    want: " + strings.ReplaceAll(w, "\t", "\\t") + "\n    got:  " + strings.ReplaceAll(g, "\t", "\\t") + "\n")
			if sb.Len() > 600 {
				break
			}
		}
	}
	return sb.String()
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}
