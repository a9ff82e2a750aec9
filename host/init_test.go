package host_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/host"
)

func TestInit(t *testing.T) {
	for _, c := range []struct {
		name, comm, exe string
		want            host.Init
		errKey          string
	}{
		{"systemd", "systemd\n", "/usr/lib/systemd/systemd", host.Init{Name: "systemd", Path: "/usr/lib/systemd/systemd"}, ""},
		{"upgraded", "systemd\n", "/usr/lib/systemd/systemd (deleted)", host.Init{Name: "systemd", Path: "/usr/lib/systemd/systemd", Deleted: true}, ""},
		{"sysvinit", "init\n", "/sbin/init", host.Init{Name: "init", Path: "/sbin/init"}, ""},
		{"no exe link", "tini\n", "", host.Init{Name: "tini"}, ""},
		{"no comm", "", "", host.Init{}, "init"},
	} {
		t.Run(c.name, func(t *testing.T) {
			proc := t.TempDir()
			if err := os.MkdirAll(filepath.Join(proc, "1"), 0o755); err != nil {
				t.Fatal(err)
			}
			if c.comm != "" {
				if err := os.WriteFile(filepath.Join(proc, "1", "comm"), []byte(c.comm), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.exe != "" {
				if err := os.Symlink(c.exe, filepath.Join(proc, "1", "exe")); err != nil {
					t.Fatal(err)
				}
			}
			fs, err := host.NewFS(proc, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			got, errs := fs.Init()
			if got != c.want {
				t.Errorf("Init() = %+v, want %+v", got, c.want)
			}
			if _, ok := errs[c.errKey]; c.errKey != "" && !ok || c.errKey == "" && len(errs) != 0 {
				t.Errorf("errors %v, want one under %q", errs, c.errKey)
			}
		})
	}
}

// TestInitLive reads this machine's PID 1 and checks it against procfs
// read directly.
func TestInitLive(t *testing.T) {
	fs, err := host.NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	got, errs := fs.Init()
	comm, err := os.ReadFile("/proc/1/comm")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name == "" || got.Name+"\n" != string(comm) {
		t.Errorf("name %q, /proc/1/comm %q (errors %v)", got.Name, comm, errs)
	}
	exe, err := os.Readlink("/proc/1/exe")
	if err != nil {
		if len(errs) != 0 || got.Path != "" {
			t.Errorf("readlink failed here (%v), which needs no error, but Init says path %q, errors %v", err, got.Path, errs)
		}
		return
	}
	if got.Path != exe {
		t.Errorf("path %q, readlink %q", got.Path, exe)
	}
}
