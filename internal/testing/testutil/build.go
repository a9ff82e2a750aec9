package testutil

import (
	"fmt"
	"os"
	"os/exec"
)

// StaticBuild is a Go build with the flags scripts/build gives the release
// binary: no cgo, -trimpath, the netgo and osusergo tags, no symbol tables.
// What it builds needs no libc, so it runs in a QEMU guest too.
type StaticBuild struct {
	// Dir is the directory of the package to build.
	Dir string
	// Test builds the package's test binary (go test -c), not its command.
	Test bool
	// GOARCH, when set, builds for linux/GOARCH rather than for the host.
	GOARCH string
}

// Run builds into out.
func (b StaticBuild) Run(out string) error {
	verb := []string{"build"}
	if b.Test {
		verb = []string{"test", "-c"}
	}
	args := append(verb, "-trimpath", "-tags", "netgo,osusergo", "-ldflags", "-s -w", "-o", out, ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b.GOARCH != "" {
		cmd.Env = append(cmd.Env, "GOOS=linux", "GOARCH="+b.GOARCH)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %v in %s: %v\n%s", args, b.Dir, err, msg)
	}
	return nil
}
