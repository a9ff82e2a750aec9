package qemulab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// EnvArtifacts names a directory where Run leaves each boot's console
// transcript, SMBIOS dump, EFI variables and command outputs (for CI logs
// and new fixtures), below a directory named after the boot.
const EnvArtifacts = "BOOTINFO_LAB_ARTIFACTS"

// Setup returns the lab that scripts/lab-setup prepared for a test that
// boots guests. It skips the test under -short and where the lab is not
// set up, and fails it there under CI=true.
func Setup(tb testing.TB) *Lab {
	tb.Helper()
	if testing.Short() {
		tb.Skip("boots QEMU guests; skipped with -short")
	}
	l, err := Find()
	if errors.Is(err, ErrNotSetUp) {
		testutil.SkipOrFail(tb, "%v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// Run boots cfg as Boot does, with the time the test binary's -timeout
// leaves, leaves its artifacts where EnvArtifacts says, logs how long the
// boot took and fails the test, with the console, when the guest did not
// finish. name names the boot in the log and the artifacts.
func (l *Lab) Run(tb testing.TB, name string, cfg Config) *Result {
	tb.Helper()
	res, err := l.Boot(testutil.Context(tb), cfg)
	if res != nil {
		if err := res.saveArtifacts(name); err != nil {
			tb.Logf("artifacts of boot %s: %v", name, err)
		}
	}
	if err != nil {
		if res != nil {
			tb.Logf("qemu: %s", strings.Join(res.Args, " "))
			tb.Logf("console:\n%s\nqemu stderr:\n%s", res.Console, res.Stderr)
		}
		tb.Fatalf("boot %s: %v", name, err)
	}
	msg := fmt.Sprintf("boot %s (%v) took %v (QEMU used %v of CPU) after waiting %v for other boots", name, cfg.Firmware,
		res.Elapsed.Round(time.Millisecond), res.CPU.Round(time.Millisecond), res.Waited.Round(time.Millisecond))
	if res.InitDone > 0 {
		msg += fmt.Sprintf("; guest uptime at /init %v, after its commands %v", res.InitStart.Round(10*time.Millisecond), res.InitDone.Round(10*time.Millisecond))
	}
	tb.Log(msg)
	return res
}

// Command returns what guest command name printed on its standard output,
// or an error when it did not run or exited non-zero (with what it printed
// on standard error).
func (r *Result) Command(name string) ([]byte, error) {
	o := r.Outputs[name]
	switch {
	case o == nil:
		return nil, fmt.Errorf("guest command %s did not run; the console ends with %q", name, tail(r.Console, 2000))
	case o.ExitStatus != 0:
		return o.Stdout, fmt.Errorf("guest command %s exited %d: %s", name, o.ExitStatus, o.Stderr)
	}
	return o.Stdout, nil
}

// saveArtifacts writes the boot's console, dump, efivars and command
// outputs below $BOOTINFO_LAB_ARTIFACTS/name when that variable is set.
func (r *Result) saveArtifacts(name string) error {
	base := os.Getenv(EnvArtifacts)
	if base == "" {
		return nil
	}
	files := map[string][]byte{"console.txt": r.Console, "qemu-stderr.txt": r.Stderr}
	if ep, tab, err := r.SMBIOS(); err == nil {
		files["smbios_entry_point"], files["DMI"] = ep, tab
		if dump, err := DumpBin(ep, tab); err == nil {
			files["dump.bin"] = dump
		}
	}
	for n, v := range r.EFIVars() {
		files[filepath.Join("efivars", n)] = v
	}
	for n, o := range r.Outputs {
		if !strings.HasPrefix(n, "file:") {
			files[filepath.Join("commands", n+".stdout")] = o.Stdout
			files[filepath.Join("commands", n+".stderr")] = o.Stderr
		}
	}
	return WriteFiles(filepath.Join(base, name), files)
}

// WriteFiles writes files, by path relative to dir, creating directories.
func WriteFiles(dir string, files map[string][]byte) error {
	for n, b := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// GuestTestBinary returns a build of the running test binary that a guest
// can run (as [Config.Init], say): the binary itself when it is statically
// linked for the guests' linux/amd64, else the package in the working
// directory built with testutil.StaticBuild (a -race build needs cgo, so
// it never is).
func GuestTestBinary(tb testing.TB) string {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	static, err := isStatic(self)
	if err != nil {
		tb.Fatalf("test binary: %v", err)
	}
	if static && runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		return self
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(tb.TempDir(), filepath.Base(self))
	if err := (testutil.StaticBuild{Dir: dir, Test: true, GOARCH: "amd64"}).Run(out); err != nil {
		tb.Fatalf("a static test binary for the guest: %v", err)
	}
	return out
}
