package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
	buildOut  []byte
)

// bootinfoBinary builds cmd/bootinfo once per test run (as scripts/build
// does: static, no cgo) and returns the binary's path.
func bootinfoBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "bootinfo-deploy")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "bootinfo")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/bootinfo")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building bootinfo: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
