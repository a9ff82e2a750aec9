package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testutil"
)

// requiredTypes are the structure types whose text must match dmidecode 3.4
// line for line.
const requiredTypes = "0,1,2,3,4,16,17,19,32"

// TestDMICommandAgainstDmidecode runs `bootinfo dmi --from-dump` as a whole
// process over every dump of the shared corpus, next to Debian's dmidecode on
// the same file, and compares standard output: the required types must be
// equal for every dump; the share of dumps whose whole output (every type)
// is equal is logged.
func TestDMICommandAgainstDmidecode(t *testing.T) {
	if _, err := exec.LookPath("dmidecode"); err != nil {
		testutil.SkipOrFail(t, "dmidecode not installed")
	}
	dir := testutil.Shared(t, "smbios", "dumps")
	dumps, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	if len(dumps) == 0 {
		t.Fatal("no dumps")
	}
	out := func(name string, args ...string) string {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir // both print the file name as given
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		_ = cmd.Run() // dmidecode exits non-zero on broken tables; compare what it printed
		return stdout.String()
	}
	var wholeEqual int
	for _, d := range dumps {
		name := filepath.Base(d)
		ours := out(binary, "dmi", "--from-dump", name, "-t", requiredTypes)
		theirs := out("dmidecode", "--from-dump", name, "-t", requiredTypes)
		if ours != theirs {
			t.Errorf("%s: -t %s differs from dmidecode:\n%s", name, requiredTypes, firstDiff(theirs, ours))
		}
		oracle, err := os.ReadFile(strings.TrimSuffix(d, ".bin") + ".dmidecode.txt")
		if err != nil {
			t.Fatal(err)
		}
		if out(binary, "dmi", "--from-dump", name) == string(oracle) {
			wholeEqual++
		}
	}
	t.Logf("whole output equal to dmidecode 3.4 for %d of %d dumps", wholeEqual, len(dumps))
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  dmidecode: %s\n  bootinfo:  %s", i+1, wl, gl)
		}
	}
	return "(equal)"
}
