package grub

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// hostileTree builds a root and, beside it, a directory "outside" holding
// a whole boot configuration that nothing below the root may reach (issue
// 13, item 10).
func hostileTree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "root"), filepath.Join(base, "outside")
	env, err := (&Env{Vars: []EnvVar{{"next_entry", "EVIL"}}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	testutil.WriteTree(t, outside, map[string]string{
		"evil.cfg":                 "menuentry EVIL { linux /evil }\n",
		"EFI/x/grub.cfg":           "menuentry ESCAPED { linux /escaped }\n",
		"loader/entries/evil.conf": "title EVIL\nlinux /evil\n",
		"grubenv":                  string(env),
		"grub":                     "GRUB_DEFAULT=EVIL\n",
		"vmlinuz-9.9-evil":         "kernel",
	})
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return root, outside
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestSourceStaysInRoot: source through a directory symbolic link, absolute
// or relative, or through "..", never reads outside the root; an absolute
// link inside the root means the same path below it. The old reader
// re-rooted only the last component, so /boot/lnk/evil.cfg with boot/lnk a
// link to the outside directory was read.
func TestSourceStaysInRoot(t *testing.T) {
	root, outside := hostileTree(t)
	testutil.WriteTree(t, root, map[string]string{
		"boot/grub/grub.cfg": "menuentry inside { linux /vmlinuz-1 }\n" +
			"source /boot/lnk/evil.cfg\n" + // absolute host path of outside
			"source /boot/rel/evil.cfg\n" + // relative, climbing past the root
			"source /boot/../../outside/evil.cfg\n" +
			"source ../outside/evil.cfg\n" +
			"source /boot/grub/custom/custom.cfg\n", // absolute link inside the root
		"boot/inside/custom.cfg": "menuentry custom { linux /vmlinuz-1 }\n",
	})
	symlink(t, outside, filepath.Join(root, "boot/lnk"))
	symlink(t, "../../../outside", filepath.Join(root, "boot/rel"))
	symlink(t, "/boot/inside", filepath.Join(root, "boot/grub/custom"))
	cfg, err := NewFS(root).Load("")
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, e := range cfg.Entries {
		titles = append(titles, e.Title)
	}
	if got := strings.Join(titles, ","); got != "inside,custom" {
		t.Errorf("entries %s, want inside,custom (warnings %q)", got, cfg.Warnings)
	}
}

// TestLookupsStayInRoot: every other file the package looks for (grub.cfg
// found by a glob, BLS entries, grubenv, /etc/default/grub, the installed
// kernels) is looked for inside the root, whatever directory links say.
func TestLookupsStayInRoot(t *testing.T) {
	root, outside := hostileTree(t)
	symlink(t, outside, filepath.Join(root, "boot/efi"))                   // boot/efi/EFI/*/grub.cfg
	symlink(t, "../../outside/loader", filepath.Join(root, "boot/loader")) // boot/loader/entries/*.conf
	symlink(t, "/../"+outside, filepath.Join(root, "boot/grub2"))          // boot/grub2/grubenv
	symlink(t, outside, filepath.Join(root, "etc/default"))                // etc/default/grub
	fsys := NewFS(root)
	if cfg, err := fsys.Load(""); !errors.Is(err, ErrNoConfig) {
		t.Errorf("Load: %+v, %v; want no configuration", cfg, err)
	}
	if es, err := fsys.BLSEntries(); len(es) != 0 || err != nil {
		t.Errorf("BLS entries %+v, %v", es, err)
	}
	if env, p, err := fsys.Env(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Env read %s: %+v, %v", p, env, err)
	}
	if d, err := fsys.Defaults(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Defaults: %+v, %v", d, err)
	}

	// The whole of /boot a link out of the root.
	root2, _ := hostileTree(t)
	symlink(t, outside, filepath.Join(root2, "boot"))
	if ks, _ := NewFS(root2).InstalledKernels(); len(ks) != 0 {
		t.Errorf("installed kernels %v", ks)
	}
}

// TestFIFOConfig: a FIFO where grub.cfg is expected is an error naming the
// file, at once; the old reader blocked in open for good.
func TestFIFOConfig(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "boot/grub/grub.cfg")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewFS(root).Load("")
	if !errors.Is(err, hostfile.ErrNotRegular) || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v, want one naming %s as not a regular file", err, p)
	}
}

// TestSourceLoopBounded: two large files on disk that source each other.
// The old evaluator parsed each again at every level, 16 deep (two 4 MB
// files took 3.7 GB); now the run's memory budget stops it, and the error
// names the limit.
func TestSourceLoopBounded(t *testing.T) {
	root := t.TempDir()
	body := strings.Repeat("set v=1\n", 1<<18)
	testutil.WriteTree(t, root, map[string]string{
		"boot/grub/grub.cfg": "source /boot/grub/a.cfg\nmenuentry a { linux /a }\n",
		"boot/grub/a.cfg":    body + "source /boot/grub/b.cfg\n",
		"boot/grub/b.cfg":    body + "source /boot/grub/a.cfg\n",
	})
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, err := NewFS(root).Load("")
	runtime.ReadMemStats(&m1)
	n := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("%v; %d bytes allocated", err, n)
	if !errors.Is(err, ErrTooComplex) || !strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), "boot/grub/grub.cfg") {
		t.Errorf("error %v, want too complex naming the file and the limit", err)
	}
	if n > 80<<20 {
		t.Errorf("%d bytes allocated, want at most 80 MiB", n)
	}
}

// TestLoadContext: an evaluation whose context is done stops, and says so.
func TestLoadContext(t *testing.T) {
	root := t.TempDir()
	testutil.WriteTree(t, root, map[string]string{"boot/grub/grub.cfg": "menuentry a { linux /a }\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewFS(root).WithContext(ctx).Load("")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTooComplex) {
		t.Errorf("error %v", err)
	}
}

// TestSeen: what a Load looked at is unchanged until a file it read, or
// one it looked for, changes.
func TestSeen(t *testing.T) {
	root := t.TempDir()
	testutil.WriteTree(t, root, map[string]string{
		"boot/grub2/grub.cfg": "load_env\nmenuentry a { linux /a }\n",
		"boot/grub2/grubenv":  "# GRUB Environment Block\nnext_entry=a\n",
	})
	load := func() *Seen {
		var s Seen
		if _, err := NewFS(root).WithSeen(&s).Load(""); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	s := load()
	if !s.Unchanged() || s.Len() == 0 {
		t.Fatalf("unchanged %v after %d paths", s.Unchanged(), s.Len())
	}
	for _, change := range []struct {
		name string
		do   func() error
	}{
		{"grub.cfg appended to", func() error {
			f, err := os.OpenFile(filepath.Join(root, "boot/grub2/grub.cfg"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("menuentry b { linux /b }\n")
			return err
		}},
		{"grubenv rewritten, same size", func() error {
			return os.WriteFile(filepath.Join(root, "boot/grub2/grubenv"), []byte("# GRUB Environment Block\nnext_entry=b\n"), 0o644)
		}},
		{"grub.cfg appears where it is looked for first", func() error {
			return os.WriteFile(filepath.Join(root, "boot/grub", "grub.cfg"), nil, 0o644)
		}},
	} {
		if change.name == "grub.cfg appears where it is looked for first" {
			if err := os.MkdirAll(filepath.Join(root, "boot/grub"), 0o755); err != nil {
				t.Fatal(err)
			}
			s = load()
		}
		if err := change.do(); err != nil {
			t.Fatal(err)
		}
		if s.Unchanged() {
			t.Errorf("%s: still unchanged", change.name)
		}
		s = load()
	}
	if !s.Unchanged() {
		t.Error("changed without a change")
	}
}
