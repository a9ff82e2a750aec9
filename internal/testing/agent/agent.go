// Package agent runs the real bootinfo binary for end-to-end tests: it
// builds it once per test binary, starts `bootinfo serve` on a free port
// against a fixture host tree, and scrapes it over real HTTP.
package agent

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// Binary is the path of the bootinfo binary that Main built.
var Binary string

// Main builds the static bootinfo binary into a temporary directory, sets
// Binary, runs the tests and removes the binary. Call it from TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "bootinfo-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	Binary, err = Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Build compiles ./cmd/bootinfo of the enclosing module, statically, into
// dir and returns the binary's path.
func Build(dir string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bootinfo")
	build := exec.Command("go", "build", "-o", bin, "./cmd/bootinfo")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building bootinfo: %v\n%s", err, out)
	}
	return bin, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("agent: no go.mod above the working directory")
		}
		dir = parent
	}
}

// FixtureArgs points every --path flag and the state directory into root.
// The kernel log is a character device and systemd a live service, which a
// fixture tree cannot hold: kmsg and systemd are off. The agent refuses a
// repeated flag, so a test that wants them drops those two from the list
// rather than appending --collector.kmsg.
func FixtureArgs(root string) []string {
	return []string{
		"--no-collector.kmsg",
		"--no-collector.systemd",
		"--state.dir=" + filepath.Join(root, "var", "lib", "bootinfo"),
		"--path.rootfs=" + root,
		"--path.procfs=" + filepath.Join(root, "proc"),
		"--path.sysfs=" + filepath.Join(root, "sys"),
		"--path.dev=" + filepath.Join(root, "dev"),
		"--path.boot=" + filepath.Join(root, "boot"),
	}
}

// Agent is a running `bootinfo serve`.
type Agent struct {
	Cmd    *exec.Cmd
	Base   string // http://host:port
	Stderr *testutil.SyncBuffer
	// Done receives the process's exit status once. A test that consumes
	// it must send a value back for the cleanup's wait.
	Done chan error
}

// StartCmd runs the binary with args; it is killed when the test ends, and
// its stderr is logged if the test failed.
func StartCmd(tb testing.TB, args ...string) (*exec.Cmd, *testutil.SyncBuffer, chan error) {
	tb.Helper()
	stderr := &testutil.SyncBuffer{}
	done := make(chan error, 1)
	cmd := exec.Command(Binary, args...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if tb.Failed() {
			tb.Logf("agent stderr:\n%s", stderr)
		}
	})
	return cmd, stderr, done
}

// Start runs `bootinfo serve` on a free loopback port with args and waits
// until /healthz answers.
func Start(tb testing.TB, args ...string) *Agent {
	tb.Helper()
	addr := testutil.FreeAddr(tb)
	a := &Agent{Base: "http://" + addr}
	a.Cmd, a.Stderr, a.Done = StartCmd(tb, append([]string{"serve", "--web.listen-address=" + addr}, args...)...)
	for {
		resp, err := http.Get(a.Base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return a
			}
		}
		select {
		case err := <-a.Done:
			a.Done <- err // for the cleanup's wait
			tb.Fatalf("agent exited before serving: %v\n%s", err, a.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Get makes one request and returns the status, headers and body.
func (a *Agent) Get(tb testing.TB, method, path string) (int, http.Header, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, a.Base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// FixtureRoot builds a host tree to point the --path flags at: testdata/root
// of this package, plus the UEFI variables and SMBIOS tables of one real OVMF
// boot from the shared corpus (linked, not copied). Each call returns a fresh
// copy that the test may change.
func FixtureRoot(tb testing.TB) string {
	tb.Helper()
	repo, err := repoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	dst := tb.TempDir()
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(repo, "internal", "testing", "agent", "testdata", "root"))); err != nil {
		tb.Fatal(err)
	}
	boot := testutil.Shared(tb, "boots", "ovmf-q35-shellboot")
	efiDir := filepath.Join(dst, "sys", "firmware", "efi")
	if err := os.MkdirAll(filepath.Join(efiDir, "efivars"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(boot, "sys-firmware-efi-fw_platform_size"), filepath.Join(efiDir, "fw_platform_size")); err != nil {
		tb.Fatal(err)
	}
	vars, err := os.ReadDir(filepath.Join(boot, "efivars"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, v := range vars {
		if err := os.Symlink(filepath.Join(boot, "efivars", v.Name()), filepath.Join(efiDir, "efivars", v.Name())); err != nil {
			tb.Fatal(err)
		}
	}
	// The same machine's SMBIOS tables, as the kernel exported them.
	tables := testutil.Shared(tb, "smbios", "sysfs", "qemu-ovmf-q35-shellboot")
	dmiDir := filepath.Join(dst, "sys", "firmware", "dmi", "tables")
	if err := os.MkdirAll(dmiDir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		if err := os.Symlink(filepath.Join(tables, f), filepath.Join(dmiDir, f)); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Clean(dst)
}
