package main

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtureRoot copies testdata/root into a temporary directory, the host tree
// every end-to-end test points the --path flags at.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS("testdata/root")); err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(dst)
}
