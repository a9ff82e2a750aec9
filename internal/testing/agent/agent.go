// Package agent runs the real bootinfo binary for tests. It builds the
// binary once per test process, starts `bootinfo serve` on a free loopback
// port with the flags, credentials and capabilities a test asks for
// (usually against a fixture host tree), and reads what the agent serves
// and what the kernel says it holds.
package agent

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// guestArch is the architecture of the QEMU guests of
// internal/testing/qemulab (qemu-system-x86_64).
const guestArch = "amd64"

// builds are this test process's binaries, by GOARCH ("" for the host's).
var builds struct {
	sync.Mutex
	main  bool   // Main runs the tests
	dir   string // where the binaries are, removed by Main
	paths map[string]string
	errs  map[string]error
}

// Main runs the tests and then removes the binaries they built. A package
// whose tests run the binary calls it from TestMain.
func Main(m *testing.M) {
	builds.Lock()
	builds.main = true
	builds.Unlock()
	code := m.Run()
	builds.Lock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.Unlock()
	os.Exit(code)
}

// Binary returns the path of bootinfo built for this machine as
// scripts/build builds the release binary, building it at the first call
// of the test process.
func Binary(tb testing.TB) string {
	tb.Helper()
	return build(tb, "")
}

// GuestBinary returns the path of bootinfo built alike for the QEMU guests
// of internal/testing/qemulab (linux/amd64): on an amd64 Linux host, the
// binary Binary returns.
func GuestBinary(tb testing.TB) string {
	tb.Helper()
	if runtime.GOOS == "linux" && runtime.GOARCH == guestArch {
		return build(tb, "")
	}
	return build(tb, guestArch)
}

func build(tb testing.TB, goarch string) string {
	tb.Helper()
	builds.Lock()
	defer builds.Unlock()
	if !builds.main {
		tb.Fatal("agent: the package's TestMain must call agent.Main to build the binary")
	}
	if p, ok := builds.paths[goarch]; ok {
		return p
	}
	if err, ok := builds.errs[goarch]; ok {
		tb.Fatal(err)
	}
	err := func() error {
		if builds.dir == "" {
			dir, err := os.MkdirTemp("", "bootinfo-test-")
			if err != nil {
				return err
			}
			builds.dir = dir
		}
		out := filepath.Join(builds.dir, "bootinfo")
		if goarch != "" {
			out += "-" + goarch
		}
		if err := (testutil.StaticBuild{Dir: filepath.Join(testutil.RepoRoot(tb), "cmd", "bootinfo"), GOARCH: goarch}).Run(out); err != nil {
			return err
		}
		if builds.paths == nil {
			builds.paths = map[string]string{}
		}
		builds.paths[goarch] = out
		return nil
	}()
	if err != nil {
		if builds.errs == nil {
			builds.errs = map[string]error{}
		}
		builds.errs[goarch] = fmt.Errorf("agent: building bootinfo: %w", err)
		tb.Fatal(builds.errs[goarch])
	}
	return builds.paths[goarch]
}

// FixtureArgs points every --path flag and the state directory into root,
// with the kernel log and systemd off: the first is a character device and
// the second a live service, which a fixture tree cannot hold. The flags
// of extra come last and replace those of the same name (with or without
// "no-"), since the agent refuses a flag given twice: "--collector.kmsg"
// turns the kernel log back on, "--path.dev=/dev" reads the machine's.
func FixtureArgs(root string, extra ...string) []string {
	return override([]string{
		"--no-collector.kmsg",
		"--no-collector.systemd",
		"--state.dir=" + filepath.Join(root, "var", "lib", "bootinfo"),
		"--path.rootfs=" + root,
		"--path.procfs=" + filepath.Join(root, "proc"),
		"--path.sysfs=" + filepath.Join(root, "sys"),
		"--path.dev=" + filepath.Join(root, "dev"),
		"--path.boot=" + filepath.Join(root, "boot"),
	}, extra...)
}

// override returns args without the flags that extra sets again, followed
// by extra. A flag's name is what stands between its dashes (and a "no-"
// prefix) and its "=".
func override(args []string, extra ...string) []string {
	name := func(arg string) string {
		n, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		return strings.TrimPrefix(n, "no-")
	}
	replaced := map[string]bool{}
	for _, e := range extra {
		replaced[name(e)] = true
	}
	var out []string
	for _, a := range args {
		if !replaced[name(a)] {
			out = append(out, a)
		}
	}
	return append(out, extra...)
}

// Options say how to start the agent.
type Options struct {
	// Args follow `serve --web.listen-address=ADDR`.
	Args []string
	// Binary is the executable to run; empty means Binary's.
	Binary string
	// SysProcAttr applies to the process: the credentials and ambient
	// capabilities to run with (nil: the test's own).
	SysProcAttr *syscall.SysProcAttr
	// TLS is for an agent whose --web.config.file turns TLS on: its base
	// URL is https and its client trusts what TLS says.
	TLS *tls.Config
}

// Agent is a running `bootinfo serve`.
type Agent struct {
	*testutil.Process
	// Base is the URL the agent serves: http://127.0.0.1:PORT.
	Base string
	// Client talks to the agent, over connections of its own.
	Client *http.Client
}

// Start runs `bootinfo serve` with args; see StartWith.
func Start(tb testing.TB, args ...string) *Agent {
	tb.Helper()
	return StartWith(tb, Options{Args: args})
}

// StartWith runs `bootinfo serve` on a free loopback port as o says and
// waits until it answers /healthz (with any status: a web configuration
// may ask for credentials). It fails the test, with the agent's log, if the
// agent exits first; the agent is killed when the test ends.
func StartWith(tb testing.TB, o Options) *Agent {
	tb.Helper()
	bin := o.Binary
	if bin == "" {
		bin = Binary(tb)
	}
	addr := testutil.FreeAddr(tb)
	cmd := exec.Command(bin, append([]string{"serve", "--web.listen-address=" + addr}, o.Args...)...)
	cmd.SysProcAttr = o.SysProcAttr
	transport := http.DefaultTransport.(*http.Transport).Clone()
	a := &Agent{Base: "http://" + addr, Client: &http.Client{Transport: transport}}
	if o.TLS != nil {
		a.Base = "https://" + addr
		transport.TLSClientConfig = o.TLS
	}
	a.Process = testutil.StartProcess(tb, "bootinfo", cmd)
	testutil.WaitFor(tb, "the agent to serve", func() error {
		resp, err := a.Client.Get(a.Base + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}, a.Process)
	return a
}

// Get makes one request and returns the status, headers and body.
func (a *Agent) Get(tb testing.TB, method, path string) (int, http.Header, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, a.Base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := a.Client.Do(req)
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

// Metrics scrapes /metrics and parses it, failing the test unless it
// answers 200 with the text format.
func (a *Agent) Metrics(tb testing.TB) Metrics {
	tb.Helper()
	code, _, body := a.Get(tb, http.MethodGet, "/metrics")
	if code != http.StatusOK {
		tb.Fatalf("/metrics: %d %s", code, body)
	}
	m, err := ParseMetrics(body)
	if err != nil {
		tb.Fatalf("/metrics: %v", err)
	}
	return m
}
