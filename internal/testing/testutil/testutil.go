// Package testutil finds the shared real-world test corpus and other fixtures
// that the project's tests read but do not carry in the repository.
package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// EnvSharedTestdata names a directory that overrides where the shared corpus
// (../shared/testdata beside the checkout) is looked for.
const EnvSharedTestdata = "BOOTINFO_SHARED_TESTDATA"

// RepoRoot returns the directory holding go.mod, found by walking up from the
// test's working directory (a package directory).
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// InCI reports whether the tests run under continuous integration, where every
// resource a test needs is installed and skipping would hide a failure.
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail skips the test with reason on a developer's machine and fails it in
// CI, where .ci/run installs everything the tests need.
func SkipOrFail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI must provide this: "+format, args...)
	}
	tb.Skipf(format, args...)
}

// Shared returns the path of elem inside the shared real-world corpus
// (../shared/testdata relative to the repository root). A test that needs it
// skips when it is absent (a user's clone) and fails in CI.
func Shared(tb testing.TB, elem ...string) string {
	tb.Helper()
	base := os.Getenv(EnvSharedTestdata)
	if base == "" {
		base = filepath.Join(RepoRoot(tb), "..", "shared", "testdata")
	}
	p := filepath.Join(append([]string{base}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		SkipOrFail(tb, "shared test corpus not available: %v", err)
	}
	return p
}

// CopyFile copies src to dst with mode perm, creating dst's directory.
func CopyFile(tb testing.TB, src, dst string, perm os.FileMode) {
	tb.Helper()
	b, err := os.ReadFile(src)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o755)
	}
	if err == nil {
		err = os.WriteFile(dst, b, perm)
	}
	if err == nil {
		err = os.Chmod(dst, perm) // the umask may have taken bits away
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// Tool returns the path of the program name. Where it is missing the test
// skips, or fails under CI=true (scripts/test installs the Debian package
// pkg, which has it).
func Tool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(tb, "%s not found (Debian package %s): %v", name, pkg, err)
	}
	return p
}

// WriteTree creates files below root, each a slash-separated path relative
// to root mapped to its content, with the directories they are in.
func WriteTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// Run runs the program name with args and stdin as its input, and returns
// what it wrote to standard output. A program that fails fails the test,
// which then shows the command, its input and its standard error.
func Run(tb testing.TB, stdin, name string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\nstdin:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdin, errb.String())
	}
	return out.Bytes()
}
