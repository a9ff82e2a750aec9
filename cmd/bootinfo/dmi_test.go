package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// requiredTypes are the structure types whose text must match dmidecode 3.4
// line for line.
const requiredTypes = "0,1,2,3,4,16,17,19,32"

// TestDMICommandAgainstDmidecode runs `bootinfo dmi --from-dump` as a whole
// process over every dump of the shared corpus, next to Debian's dmidecode on
// the same file: standard output and standard error must be equal, for the
// required types alone and for the whole table.
func TestDMICommandAgainstDmidecode(t *testing.T) {
	if _, err := exec.LookPath("dmidecode"); err != nil {
		testutil.SkipOrFail(t, "dmidecode not installed")
	}
	dir := testutil.Shared(t, "smbios", "dumps")
	dumps, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	if len(dumps) == 0 {
		t.Fatal("no dumps")
	}
	out := func(name string, args ...string) (string, string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir // both print the file name as given
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run() // dmidecode exits non-zero on broken tables; compare what it printed
		return stdout.String(), stderr.String()
	}
	for _, d := range dumps {
		name := filepath.Base(d)
		for _, args := range [][]string{{"-t", requiredTypes}, nil} {
			oursOut, oursErr := out(agent.Binary, append([]string{"dmi", "--from-dump", name}, args...)...)
			theirOut, theirErr := out("dmidecode", append([]string{"--from-dump", name}, args...)...)
			if oursOut != theirOut {
				t.Errorf("%s %v: stdout differs from dmidecode:\n%s", name, args, lineDiff(theirOut, oursOut))
			}
			if oursErr != theirErr {
				t.Errorf("%s %v: stderr differs from dmidecode:\n%s", name, args, lineDiff(theirErr, oursErr))
			}
		}
		// The corpus's recorded oracle says the same.
		oracle, err := os.ReadFile(strings.TrimSuffix(d, ".bin") + ".dmidecode.txt")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := out(agent.Binary, "dmi", "--from-dump", name); o != string(oracle) {
			t.Errorf("%s: differs from %s.dmidecode.txt:\n%s", name, name, lineDiff(string(oracle), o))
		}
	}
}

// lineDiff shows how two texts differ, line by line.
func lineDiff(want, got string) string {
	return cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
}
