package host

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/hostile"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// maxHostileAlloc bounds what reading a tree with one hostile file may
// allocate: a few times the largest limit the package reads with
// (hostfile.LimitConfig, for /proc/stat), and a thousandth of the 1 GiB file.
const maxHostileAlloc = 8 << 20

// TestBootHostileFiles makes each file FS.Boot reads hostile in turn and
// checks that Boot reports that fact's error, naming the file, and reads
// every other fact, without blocking and without allocating the file.
func TestBootHostileFiles(t *testing.T) {
	type fact struct {
		name, path, value string // path below the fixture
		get               func(*Boot) string
	}
	facts := []fact{
		{"hostname", "proc/sys/kernel/hostname", "node-17", func(b *Boot) string { return b.Hostname }},
		{"boot_id", "proc/sys/kernel/random/boot_id", "2f6a1b3c-1111-4222-8333-444455556666", func(b *Boot) string { return b.BootID }},
		{"kernel_release", "proc/sys/kernel/osrelease", "6.1.0-13-amd64", func(b *Boot) string { return b.KernelRelease }},
		{"architecture", "proc/sys/kernel/arch", "x86_64", func(b *Boot) string { return b.Architecture }},
		{"cmdline", "proc/cmdline", "root=/dev/sda1 ro", func(b *Boot) string { return b.CmdlineRaw }},
		{"boot_time", "proc/stat", "1700000000", func(b *Boot) string {
			if b.BootTime.IsZero() {
				return ""
			}
			return strconv.FormatInt(b.BootTime.Unix(), 10)
		}},
		{"machine_id", "etc/machine-id", "0123456789abcdef0123456789abcdef", func(b *Boot) string { return b.MachineID }},
		{"os", "etc/os-release", "etc", func(b *Boot) string { return b.OS.ID }},
	}
	tree := map[string]string{
		"proc/sys/kernel/version": "#1 SMP\n",
		"usr/lib/os-release":      "ID=usrlib\n",
	}
	for _, f := range facts {
		switch f.name {
		case "boot_time":
			tree[f.path] = "cpu  1 2 3 4 5 6 7 8 9 10\nbtime " + f.value + "\n"
		case "os":
			tree[f.path] = "ID=" + f.value + "\n"
		default:
			tree[f.path] = f.value + "\n"
		}
	}
	for _, target := range facts {
		for _, kind := range hostile.Kinds {
			// The root the file is read in: the fixture, or its proc.
			sub, rel := "", target.path
			if r, ok := strings.CutPrefix(rel, "proc/"); ok {
				sub, rel = "proc", r
			}
			if kind == hostile.DirOut && path.Dir(rel) == "." {
				continue // the root's own directory: the operator's choice
			}
			t.Run(target.name+"/"+kind, func(t *testing.T) {
				root := t.TempDir()
				testutil.WriteTree(t, root, tree)
				hostile.Make(t, filepath.Join(root, sub), rel, kind)
				f, err := NewFS(filepath.Join(root, "proc"), root)
				if err != nil {
					t.Fatal(err)
				}
				var b *Boot
				var errs FieldErrors
				n := hostile.Allocated(func() { b, errs = f.Boot() })
				if n > maxHostileAlloc {
					t.Errorf("Boot allocated %d bytes", n)
				}
				for _, o := range facts {
					hit := o.path == target.path ||
						(kind == hostile.DirOut && strings.HasPrefix(o.path, path.Dir(target.path)+"/"))
					got := o.get(b)
					switch {
					case o.name == "architecture" && hit:
						// Unreadable kernel/arch: uname(2) answers instead.
						if m, _ := unameMachine(); got != m || errs[o.name] != nil {
							t.Errorf("architecture = %.60q, %v; want uname's %q", got, errs[o.name], m)
						}
					case o.name == "os" && hit:
						// Unreadable etc/os-release: usr/lib/os-release is
						// decoded all the same; only a missing one is no error.
						if got != "usrlib" {
							t.Errorf("os: ID %.60q, want usr/lib's", got)
						}
						if kind == hostile.DirOut {
							if errs["os"] != nil {
								t.Errorf("os: %v", errs["os"])
							}
						} else {
							hostile.CheckErr(t, errs["os"], kind, filepath.Join(root, o.path))
						}
					case hit:
						hostile.CheckErr(t, errs[o.name], kind, filepath.Join(root, o.path))
						if got != "" {
							t.Errorf("%s = %.60q (%d bytes) from a hostile file", o.name, got, len(got))
						}
					default:
						if errs[o.name] != nil || got != o.value {
							t.Errorf("%s = %.60q, %v; want %q: one hostile file lost another fact", o.name, got, errs[o.name], o.value)
						}
					}
				}
				if u, err := f.Uptime(); err == nil {
					t.Errorf("uptime %v from a tree without one", u)
				}
			})
		}
	}
}

// TestBootLinksToDevZeroStayInRoot: links to /dev/zero in a proc root with
// no dev below it, absolute or climbing out with "..", name no file: they
// are resolved inside the root, never on the host, where the old reader
// read the real /dev/zero until memory ran out.
func TestBootLinksToDevZeroStayInRoot(t *testing.T) {
	proc := t.TempDir()
	for _, p := range []string{"cmdline", "stat", "uptime", "sys/kernel/hostname"} {
		full := filepath.Join(proc, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.Symlink("/dev/zero", full); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../../../../../../../../dev/zero", filepath.Join(proc, "sys/kernel/osrelease")); err != nil {
		t.Fatal(err)
	}
	f, err := NewFS(proc, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var errs FieldErrors
	n := hostile.Allocated(func() { _, errs = f.Boot() })
	if n > maxHostileAlloc {
		t.Errorf("Boot allocated %d bytes", n)
	}
	for _, k := range []string{"cmdline", "boot_time", "hostname", "kernel_release"} {
		if !errors.Is(errs[k], fs.ErrNotExist) {
			t.Errorf("%s: %v, want not-exist: there is no dev/zero below the proc root", k, errs[k])
		}
	}
	if _, err := f.Uptime(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("uptime: %v", err)
	}
}
