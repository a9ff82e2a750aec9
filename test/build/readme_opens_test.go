package build

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// tracedCalls are the system calls strace records: every call that takes a
// path (%file), connect and bind (a Unix socket's path), and those that
// change a file through a descriptor.
const tracedCalls = "trace=%file,connect,bind,fchmod,fchown,ftruncate,fallocate,fsetxattr,fremovexattr"

// writingCalls change the file system whatever their arguments.
var writingCalls = map[string]bool{
	"mkdir": true, "mkdirat": true, "rmdir": true, "unlink": true, "unlinkat": true,
	"rename": true, "renameat": true, "renameat2": true, "link": true, "linkat": true,
	"symlink": true, "symlinkat": true, "truncate": true, "ftruncate": true, "fallocate": true,
	"chmod": true, "fchmod": true, "fchmodat": true, "fchmodat2": true,
	"chown": true, "lchown": true, "fchown": true, "fchownat": true,
	"utime": true, "utimes": true, "utimensat": true, "futimesat": true,
	"mknod": true, "mknodat": true, "creat": true, "bind": true,
	"setxattr": true, "lsetxattr": true, "fsetxattr": true,
	"removexattr": true, "lremovexattr": true, "fremovexattr": true,
}

// fileCall is one traced call: its name, the path it names (resolved
// against its directory descriptor), and whether it writes.
type fileCall struct {
	name, path string
	write      bool
	line       string
}

var (
	callRE = regexp.MustCompile(`^([a-z0-9_]+)\((.*)$`)
	// argPathRE is a path argument with the descriptor before it, if any:
	// `5</root/proc>, "./stat"`, `AT_FDCWD</tmp>, "/proc"`, `"/proc"`.
	argPathRE = regexp.MustCompile(`(?:(?:AT_FDCWD|\d+)<([^>]*)>, )?"((?:[^"\\]|\\.)*)"`)
	fdPathRE  = regexp.MustCompile(`^\d+<([^>]*)>`)
	sunPathRE = regexp.MustCompile(`sun_path="((?:[^"\\]|\\.)*)"`)
)

// parseTrace reads the files `strace -ff -y -o prefix` wrote.
func parseTrace(t *testing.T, prefix, cwd string) []fileCall {
	t.Helper()
	files, err := filepath.Glob(prefix + ".*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no strace output at %s.*: %v", prefix, err)
	}
	unquote := func(s string) string {
		if u, err := strconv.Unquote(`"` + s + `"`); err == nil {
			return u
		}
		return s
	}
	var calls []fileCall
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := callRE.FindStringSubmatch(line)
			if m == nil || m[1] == "execve" {
				continue
			}
			c := fileCall{name: m[1], write: writingCalls[m[1]], line: line}
			args := m[2]
			switch {
			case m[1] == "connect" || m[1] == "bind":
				sm := sunPathRE.FindStringSubmatch(args)
				if sm == nil || strings.HasPrefix(sm[1], "@") || sm[1] == "" {
					continue // not a socket in the file system
				}
				c.path = unquote(sm[1])
			default:
				am := argPathRE.FindStringSubmatch(args)
				if am == nil || am[2] == "" {
					// A descriptor's own file: "fchmod(3</x>, ...)",
					// "newfstatat(3</x>, "", ..., AT_EMPTY_PATH)".
					fm := fdPathRE.FindStringSubmatch(args)
					if fm == nil {
						continue
					}
					c.path = fm[1]
					break
				}
				p := unquote(am[2])
				dir := am[1]
				if dir == "" {
					dir = cwd
				}
				inRoot := m[1] == "openat2" && strings.Contains(args, "RESOLVE_IN_ROOT")
				if !filepath.IsAbs(p) || inRoot {
					p = filepath.Join(dir, p)
				}
				c.path = filepath.Clean(p)
				if strings.HasPrefix(m[1], "open") || m[1] == "creat" {
					for _, fl := range []string{"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"} {
						c.write = c.write || strings.Contains(args, fl)
					}
				}
			}
			calls = append(calls, c)
		}
	}
	return calls
}

// below reports whether p is dir or inside it.
func below(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// runtimeFile reports whether p is one of the files README.md says the Go
// runtime, the libraries and the process metrics open, whatever the
// --path flags: the process's own /proc entries and /proc/stat, its
// cgroup's CPU limit, the huge page size, the listen backlog, the local
// time zone, and its own executable.
func runtimeFile(p, exe string, pid int) bool {
	for _, d := range []string{"/proc/self", "/proc/thread-self", "/proc/" + strconv.Itoa(pid), "/sys/fs/cgroup", "/sys/kernel/mm/transparent_hugepage"} {
		if below(p, d) {
			return true
		}
	}
	switch p {
	case "/proc", "/proc/stat", "/proc/sys/net/core/somaxconn", "/etc/localtime", exe:
		return true
	}
	return false
}

// dbusSockets are the fixed paths README.md names for the systemd
// collector's connection.
var dbusSockets = map[string]bool{"/run/systemd/private": true, "/run/dbus/system_bus_socket": true}

// checkOpens fails the test for a call outside the paths README.md allows,
// and for one that writes outside writable (nowhere when it is "").
func checkOpens(t *testing.T, calls []fileCall, roots []string, state, writable, exe string, pid int) {
	t.Helper()
	bad := map[string]bool{}
	for _, c := range calls {
		ok := runtimeFile(c.path, exe, pid) || (c.name == "connect" && dbusSockets[c.path])
		// The state directory's parents, looked at to create it.
		ok = ok || below(state, c.path) && !c.write && !strings.HasPrefix(c.name, "open")
		for _, r := range roots {
			ok = ok || below(c.path, r)
		}
		if !ok && !bad[c.path] {
			bad[c.path] = true
			t.Errorf("opens %s, which is below no --path flag nor among the files README.md lists: %s", c.path, c.line)
		}
		if c.write && (writable == "" || !below(c.path, writable)) {
			t.Errorf("writes %s: %s", c.path, c.line)
		}
	}
}

// straceArgs runs bin under strace, one output file per thread.
func straceArgs(t *testing.T, prefix, bin string, args ...string) *exec.Cmd {
	t.Helper()
	strace := testutil.Tool(t, "strace", "strace")
	cmd := exec.Command(strace, append([]string{"-ff", "-qq", "-y", "-s", "4096", "-e", tracedCalls, "-o", prefix, "--", bin}, args...)...)
	cmd.Dir = t.TempDir()
	return cmd
}

// openAllArgs are the --path flags for a traced run: a fixture host tree
// with every collector on, the machine's own /dev for the kernel log, and
// a state directory outside the tree.
func openAllArgs(t *testing.T) (args, roots []string, state string) {
	root := agent.FixtureRoot(t)
	state = filepath.Join(t.TempDir(), "state")
	args = []string{
		"--path.rootfs=" + root, "--path.procfs=" + filepath.Join(root, "proc"),
		"--path.sysfs=" + filepath.Join(root, "sys"), "--path.boot=" + filepath.Join(root, "boot"),
		"--path.dev=/dev", "--state.dir=" + state,
	}
	return args, []string{root, "/dev", state}, state
}

// TestShowOpensOnlyBelowItsPaths runs `bootinfo show` under strace with
// every collector on: every file it opens, stats or connects to is below
// one of the --path flags or the state directory, or is among what
// README.md lists under "Flags" (the D-Bus sockets; the Go runtime's, the
// client library's and the process's own files); and it writes nothing
// anywhere, as "history" says: no file opened for writing, nothing
// created, removed, renamed or changed, in the state directory or
// elsewhere, whether the state directory is missing or holds a history.
func TestShowOpensOnlyBelowItsPaths(t *testing.T) {
	args, roots, state := openAllArgs(t)
	bin := agent.Binary(t)
	for _, history := range []bool{false, true} {
		t.Run(fmt.Sprintf("history=%v", history), func(t *testing.T) {
			if history {
				// serve records this boot, so that show has a
				// history to read and compare.
				a := agent.Start(t, args...)
				if err := a.Stop(); err != nil {
					t.Fatalf("serve: %v", err)
				}
				if _, err := os.Stat(state); err != nil {
					t.Fatalf("serve left no state directory: %v", err)
				}
			}
			before := testutil.TreeState(t, state)
			prefix := filepath.Join(t.TempDir(), "trace")
			cmd := straceArgs(t, prefix, bin, append([]string{"show"}, args...)...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("bootinfo show: %v\n%s", err, out)
			}
			calls := parseTrace(t, prefix, cmd.Dir)
			t.Logf("%d file calls traced", len(calls))
			checkOpens(t, calls, roots, state, "", bin, -1)
			if after := testutil.TreeState(t, state); strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Errorf("show changed the state directory:\n%v\n%v", before, after)
			}
		})
	}
}

// TestServeOpensOnlyBelowItsPaths runs `bootinfo serve` under strace with
// every collector on, scrapes and stops it: what it opens is held to the
// same list as show's, and it writes only in the state directory.
func TestServeOpensOnlyBelowItsPaths(t *testing.T) {
	args, roots, state := openAllArgs(t)
	bin := agent.Binary(t)
	prefix := filepath.Join(t.TempDir(), "trace")
	addr := testutil.FreeAddr(t)
	cmd := straceArgs(t, prefix, bin, append([]string{"serve", "--web.listen-address=" + addr}, args...)...)
	p := testutil.StartProcess(t, "strace bootinfo serve", cmd)
	testutil.WaitFor(t, "the agent to serve", func() error {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}, p)
	for _, path := range []string{"/", "/metrics", "/bootinfo", "/bootinfo/kmsg/records?limit=5", "/healthz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// strace's child is the agent: stop it as systemd would, and strace
	// ends with it.
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.PID(), p.PID()))
	pid, err2 := strconv.Atoi(strings.TrimSpace(string(children)))
	if err != nil || err2 != nil {
		t.Fatalf("the agent under strace: %q %v %v", children, err, err2)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("bootinfo serve: %v", err)
	}
	calls := parseTrace(t, prefix, cmd.Dir)
	t.Logf("%d file calls traced", len(calls))
	checkOpens(t, calls, roots, state, state, bin, pid)
	wrote := false
	for _, c := range calls {
		wrote = wrote || c.write && below(c.path, state)
	}
	if !wrote {
		t.Error("serve wrote nothing in the state directory: the trace misses writes")
	}
}
