package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestReadmeGOGC: the garbage collector target README.md states for serve
// is the one serve sets.
func TestReadmeGOGC(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("`serve` runs Go's garbage collector at `GOGC=%d` unless", defaultGCPercent)
	if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), want) {
		t.Errorf("README.md does not say %q", want)
	}
}
