package build

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
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

// readmeDependency is one row of README.md's dependency table.
type readmeDependency struct {
	version string
	// inBinary is the first word of the "in the binary" column: yes or no.
	inBinary string
}

// readmeDependencies reads the table of README.md's "## Dependencies"
// section: rows "| `module` | version | used for | in the binary |".
func readmeDependencies(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for m, d := range readmeDependencyRows(t, path) {
		out[m] = d.version
	}
	return out
}

func readmeDependencyRows(t *testing.T, path string) map[string]readmeDependency {
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
	deps := map[string]readmeDependency{}
	for _, line := range strings.Split(sec, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		in, _, _ := strings.Cut(strings.TrimSpace(cells[4]), " ")
		deps[strings.Trim(strings.TrimSpace(cells[1]), "`")] = readmeDependency{
			version:  strings.TrimSpace(cells[2]),
			inBinary: in,
		}
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

// TestReadmeDependenciesInBinary holds the "in the binary" column of
// README.md's dependency table to what `go version -m` says the release
// binary holds: "yes" for exactly the modules it lists, at the version the
// table names.
func TestReadmeDependenciesInBinary(t *testing.T) {
	out, err := exec.Command("go", "version", "-m", agent.Binary(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	linked := map[string]string{} // module -> version
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "dep" {
			linked[f[1]] = f[2]
		}
		if len(f) >= 4 && f[0] == "=>" {
			t.Errorf("the binary has a replaced module: %s", line)
		}
	}
	if len(linked) == 0 {
		t.Fatalf("no dependencies in go version -m:\n%s", out)
	}
	rows := readmeDependencyRows(t, filepath.Join(testutil.RepoRoot(t), "README.md"))
	for _, m := range keys(rows) {
		d := rows[m]
		v, in := linked[m]
		switch {
		case d.inBinary != "yes" && d.inBinary != "no":
			t.Errorf("%s: the in-the-binary column starts %q, not yes or no", m, d.inBinary)
		case in != (d.inBinary == "yes"):
			t.Errorf("%s: README.md says %q in the binary; go version -m lists it: %v", m, d.inBinary, in)
		case in && v != d.version:
			t.Errorf("%s: README.md names %s, the binary holds %s", m, d.version, v)
		}
	}
}
