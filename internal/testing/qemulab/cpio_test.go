package qemulab

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// extractCPIO unpacks a newc archive with GNU cpio, the oracle for the format.
func extractCPIO(t *testing.T, archive []byte) string {
	t.Helper()
	dir := t.TempDir()
	extractCPIOInto(t, dir, archive)
	return dir
}

func extractCPIOInto(t *testing.T, dir string, archive []byte) {
	t.Helper()
	testutil.Run(t, string(archive), testutil.Tool(t, "cpio", "cpio"), "-i", "-d", "-m", "--quiet", "--no-absolute-filenames", "-H", "newc", "-D", dir)
}

func TestCPIOWriter(t *testing.T) {
	var buf bytes.Buffer
	w := &cpioWriter{w: &buf}
	// Lengths 0..5 cover every padding case of names and data.
	entries := []cpioEntry{
		{name: "d", mode: modeDir | 0o755},
		{name: "d/e", mode: modeDir | 0o700},
		{name: "d/e/f", mode: modeReg | 0o644, data: []byte("hello\n")},
		{name: "d/x", mode: modeReg | 0o755, data: []byte{}},
		{name: "d/ab", mode: modeReg | 0o600, data: []byte{0, 1, 2}},
		{name: "d/abc", mode: modeReg | 0o644, data: []byte("1234")},
		{name: "d/abcd", mode: modeReg | 0o644, data: []byte("12345")},
		{name: "d/link", mode: modeLink | 0o777, data: []byte("e/f")},
	}
	for _, e := range entries {
		if err := w.write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive length %d not a multiple of 4", buf.Len())
	}
	dir := extractCPIO(t, buf.Bytes())
	for _, e := range entries {
		p := filepath.Join(dir, e.name)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", e.name, err)
			continue
		}
		if got, want := uint32(fi.Mode().Perm()), e.mode&0o777; got != want {
			t.Errorf("%s: mode %o, want %o", e.name, got, want)
		}
		switch e.mode & 0o170000 {
		case modeDir:
			if !fi.IsDir() {
				t.Errorf("%s: not a directory", e.name)
			}
		case modeLink:
			target, err := os.Readlink(p)
			if err != nil || target != string(e.data) {
				t.Errorf("%s: link to %q (%v), want %q", e.name, target, err, e.data)
			}
		case modeReg:
			got, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(got, e.data) {
				t.Errorf("%s: contents %q (%v), want %q", e.name, got, err, e.data)
			}
		}
	}
}

func TestCPIOWriterRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "/abs", "a\x00b"} {
		w := &cpioWriter{w: io.Discard}
		if err := w.write(cpioEntry{name: name, mode: modeReg}); err == nil {
			t.Errorf("name %q accepted", name)
		}
		if err := w.close(); err == nil {
			t.Errorf("close after a bad name succeeded")
		}
	}
}

func TestInitramfs(t *testing.T) {
	l := initramfsLab(t, "not really a module")
	bb := l.Busybox
	cfg := &Config{
		Files: []File{
			{Path: "/bin/agent", HostPath: bb},
			{Path: "/etc/deep/dir/conf", Data: []byte("k=v\n")},
			{Path: "/etc/secret", Data: []byte("s"), Mode: 0o600},
		},
		Capture:  FirmwareCapture,
		Commands: []Command{{Name: "show", Script: "agent show --format json\n"}},
	}
	img, err := l.initramfs(cfg, "feedface")
	if err != nil {
		t.Fatal(err)
	}
	// A gzip-compressed archive, zeros up to a 4-byte boundary, then an
	// uncompressed one.
	archives := splitArchives(t, img)
	if len(archives) != 2 || !archives[0].compressed || archives[1].compressed {
		t.Fatalf("%d archives (%+v), want a compressed one and a plain one", len(archives), archives)
	}
	rest := archives[1]
	if rest.offset%4 != 0 {
		t.Errorf("second archive starts at offset %d, not on a 4-byte boundary", rest.offset)
	}
	if rest.pad > 3 {
		t.Errorf("%d bytes of padding", rest.pad)
	}
	dir := unpack(t, archives)
	// The caller's files travel uncompressed.
	if bb, _ := os.ReadFile(bb); !bytes.Contains(rest.data, bb) {
		t.Error("the host binary is not stored uncompressed in the second archive")
	}

	want := map[string]string{
		"etc/deep/dir/conf":       "k=v\n",
		"etc/secret":              "s",
		"lib/modules/efivarfs.ko": "not really a module",
		"lab/cmd/0.sh":            "agent show --format json\n",
	}
	got := map[string]string{}
	for p := range want {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		got[p] = string(b)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	for p, perm := range map[string]os.FileMode{"init": 0o755, "bin/agent": 0o755, "bin/busybox": 0o755, "etc/secret": 0o600, "etc/deep/dir/conf": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil || fi.Mode().Perm() != perm {
			t.Errorf("%s: %v %v, want mode %o", p, fi.Mode(), err, perm)
		}
	}
	for _, a := range []string{"sh", "mount", "base64", "poweroff"} {
		if target, err := os.Readlink(filepath.Join(dir, "bin", a)); err != nil || target != "busybox" {
			t.Errorf("bin/%s links to %q (%v)", a, target, err)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dir, "dev", "console")); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("dev/console: %v %v", fi, err)
	}
	initText, err := os.ReadFile(filepath.Join(dir, "init"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"@@qemulab-feedface", "lab_cmd show /lab/cmd/0.sh", "for f in /sys/firmware/efi/efivars/*;", "poweroff -f"} {
		if !strings.Contains(string(initText), s) {
			t.Errorf("/init lacks %q:\n%s", s, initText)
		}
	}
	// The generated script must at least parse.
	testutil.Run(t, "", bb, "sh", "-n", filepath.Join(dir, "init"))
}

// initramfsLab is a lab with this machine's busybox and an efivarfs module
// holding module, enough to build initramfs images.
func initramfsLab(t *testing.T, module string) *Lab {
	t.Helper()
	bb, err := findBusybox()
	if errors.Is(err, ErrNotSetUp) {
		testutil.SkipOrFail(t, "%v", err)
	}
	ko := filepath.Join(t.TempDir(), "efivarfs.ko")
	if err := os.WriteFile(ko, []byte(module), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Lab{Busybox: bb, EfivarfsModule: ko}
}

// TestInitramfsOwnInit: with Config.Init the caller's program is /init,
// and no script of the lab's is in the image.
func TestInitramfsOwnInit(t *testing.T) {
	l := initramfsLab(t, "")
	img, err := l.initramfs(&Config{Init: l.Busybox, Files: []File{{Path: "/etc/x", Data: []byte("x")}}}, "00")
	if err != nil {
		t.Fatal(err)
	}
	dir := unpack(t, splitArchives(t, img))
	if got, err := os.ReadFile(filepath.Join(dir, "init")); err != nil || !bytes.Equal(got, mustRead(t, l.Busybox)) {
		t.Errorf("/init is not the program given (%v)", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "init")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("/init mode: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "lab")); err == nil {
		t.Error("the image holds the lab's command scripts")
	}
	for _, bad := range []Config{
		{Init: l.Busybox, Commands: []Command{{Name: "a", Script: "true\n"}}},
		{Init: l.Busybox, Capture: FirmwareCapture},
		{Init: "/nonexistent/qemulab"},
	} {
		if _, err := l.initramfs(&bad, "00"); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestInitramfsRejects(t *testing.T) {
	l := initramfsLab(t, "")
	tests := []struct {
		name string
		cfg  Config
	}{
		{"relative path", Config{Files: []File{{Path: "bin/x"}}}},
		{"unclean path", Config{Files: []File{{Path: "/bin/../x"}}}},
		{"root", Config{Files: []File{{Path: "/"}}}},
		{"twice", Config{Files: []File{{Path: "/x"}, {Path: "/x"}}}},
		{"over busybox", Config{Files: []File{{Path: "/bin/busybox"}}}},
		{"file over a directory", Config{Files: []File{{Path: "/proc"}}}},
		{"over an applet", Config{Files: []File{{Path: "/bin/sh"}}}},
		{"over the module", Config{Files: []File{{Path: guestEfivarfs}}}},
		{"below a lab file", Config{Files: []File{{Path: "/bin/sh/x"}}}},
		{"over /init", Config{Files: []File{{Path: "/init"}}}},
		{"missing host file", Config{Files: []File{{Path: "/x", HostPath: "/nonexistent/qemulab"}}}},
		{"bad command name", Config{Commands: []Command{{Name: "a b"}}}},
		{"command named like a file", Config{Commands: []Command{{Name: "file:/x"}}}},
		{"command twice", Config{Commands: []Command{{Name: "a"}, {Name: "a"}}}},
		{"capture with a space", Config{Capture: []string{"/sys/a b"}}},
		{"capture with shell syntax", Config{Capture: []string{"/sys/$(reboot)"}}},
		{"relative capture", Config{Capture: []string{"sys/x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := l.initramfs(&tt.cfg, "00"); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestInitramfsImage checks the initramfs of a boot through an image: two
// gzip members, the second (the caller's files, the scripts and /init)
// compressed too because a boot loader reads it through slow firmware disk
// services, each unpacking to a newc archive.
func TestInitramfsImage(t *testing.T) {
	l := initramfsLab(t, "module")
	bb := l.Busybox
	cfg := &Config{
		Image:    &Image{Media: CDROM},
		Files:    []File{{Path: "/bin/agent", HostPath: bb}, {Path: "/boot/grub/grub.cfg", Data: []byte("set timeout=0\n")}},
		Commands: []Command{{Name: "c", Script: "cat /proc/cmdline\n"}},
	}
	img, err := l.initramfs(cfg, "beef")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := l.initramfs(&Config{Files: cfg.Files, Commands: cfg.Commands}, "beef")
	if err != nil {
		t.Fatal(err)
	}
	if len(img) >= len(plain) {
		t.Errorf("image initramfs is %d bytes, the direct boot's %d: not compressed", len(img), len(plain))
	}
	archives := splitArchives(t, img)
	if len(archives) != 2 || !archives[0].compressed || !archives[1].compressed {
		t.Fatalf("%d archives (%+v), want 2 gzip members", len(archives), archives)
	}
	dir := unpack(t, archives)
	for p, want := range map[string]string{"boot/grub/grub.cfg": "set timeout=0\n", "lab/cmd/0.sh": "cat /proc/cmdline\n", "lib/modules/efivarfs.ko": "module"} {
		if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != want {
			t.Errorf("%s = %q (%v), want %q", p, b, err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "init")); err != nil || !strings.Contains(string(b), "@@qemulab-beef") {
		t.Errorf("/init: %v\n%s", err, b)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "bin", "agent")); !bytes.Equal(got, mustRead(t, bb)) {
		t.Error("bin/agent differs from the host file")
	}
}

// archive is one newc archive of an initramfs image.
type archive struct {
	offset, pad int // where it starts, and the zeros before it
	compressed  bool
	data        []byte
}

// splitArchives splits an initramfs image into its archives, each a gzip
// member or, at the end, an uncompressed archive, as the kernel reads them
// (Documentation/driver-api/early-userspace/buffer-format.rst).
func splitArchives(t *testing.T, img []byte) []archive {
	t.Helper()
	var out []archive
	br := bytes.NewReader(img)
	for br.Len() > 0 {
		a := archive{offset: len(img) - br.Len()}
		for br.Len() > 0 {
			if c, _ := br.ReadByte(); c != 0 {
				br.UnreadByte()
				break
			}
			a.offset++
			a.pad++
		}
		if !bytes.HasPrefix(img[a.offset:], []byte{0x1f, 0x8b}) {
			a.data = img[a.offset:]
			return append(out, a)
		}
		zr, err := gzip.NewReader(br) // a bytes.Reader: gzip reads no further than its member
		if err != nil {
			t.Fatalf("archive %d: %v", len(out), err)
		}
		zr.Multistream(false)
		if a.data, err = io.ReadAll(zr); err != nil {
			t.Fatalf("archive %d: %v", len(out), err)
		}
		a.compressed = true
		out = append(out, a)
	}
	return out
}

// unpack extracts archives into one tree, as the kernel does.
func unpack(t *testing.T, archives []archive) string {
	t.Helper()
	dir := t.TempDir()
	for _, a := range archives {
		extractCPIOInto(t, dir, a.data)
	}
	return dir
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
