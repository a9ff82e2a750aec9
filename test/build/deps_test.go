package build

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// directRequirements reads go.mod's requirements that are not marked
// "// indirect": module path to version. It reads both the block and the
// one-line form of require.
func directRequirements(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reqs := map[string]string{}
	inBlock := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		code, comment, _ := strings.Cut(line, "//")
		if strings.TrimSpace(comment) == "indirect" {
			continue
		}
		if f := strings.Fields(code); len(f) == 2 {
			reqs[f[0]] = f[1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return reqs
}

// readmeDependencies reads the table of README.md's "## Dependencies"
// section: rows "| `module` | version | ... |".
func readmeDependencies(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Dependencies\n")
	if !ok {
		t.Fatalf("%s has no \"## Dependencies\" section", path)
	}
	if end := strings.Index(sec, "\n## "); end >= 0 {
		sec = sec[:end]
	}
	deps := map[string]string{}
	for _, line := range strings.Split(sec, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		deps[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	return deps
}

// TestReadmeListsDirectDependencies keeps README.md's list of dependencies
// and what they are for from going stale: it must name exactly go.mod's
// direct requirements, at their versions.
func TestReadmeListsDirectDependencies(t *testing.T) {
	root := testutil.RepoRoot(t)
	want := directRequirements(t, filepath.Join(root, "go.mod"))
	if len(want) == 0 {
		t.Fatal("go.mod has no direct requirements: the parser is broken")
	}
	got := readmeDependencies(t, filepath.Join(root, "README.md"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README.md's Dependencies table and go.mod's direct requirements differ (-go.mod +README):\n%s", diff)
	}
}
