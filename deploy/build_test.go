package deploy

import (
	"os"
	"sync"
	"testing"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
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
		buildPath, buildErr = agent.Build(buildDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
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
