package qemulab

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// File is a file to put into the guest's initramfs.
type File struct {
	// Path is the absolute path in the guest, e.g. "/bin/bootinfo". Missing
	// parent directories are created.
	Path string
	// HostPath names a host file to copy; when empty, Data is used.
	HostPath string
	// Data is the file's contents when HostPath is empty.
	Data []byte
	// Mode holds the permission bits; zero means 0755 for a host file that is
	// executable and 0644 otherwise.
	Mode fs.FileMode
}

// Command is a shell script that the guest's /init runs with busybox sh, after
// the firmware captures, with / as working directory and stdin from /dev/null.
type Command struct {
	// Name keys the command's output in [Result.Outputs]; letters, digits and
	// "._:@+-/" only.
	Name string
	// Script is the script's text.
	Script string
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9._:@+/-]+$`)
	globRE = regexp.MustCompile(`^/[A-Za-z0-9._/*?-]+$`)
)

// guestModules is where /init finds efivarfs.ko.
const guestEfivarfs = "/lib/modules/efivarfs.ko"

// member is one file of the initramfs before it is written.
type member struct {
	path string // absolute guest path
	mode uint32
	data []byte
}

// The guest's initramfs is two newc archives back to back, which the kernel
// unpacks in turn (Documentation/driver-api/early-userspace/buffer-format.rst):
// a gzip-compressed base that is the same for every boot (directories,
// /dev/console, busybox and its applet links, efivarfs.ko), built once per
// process, and an uncompressed archive with the caller's files, the command
// scripts and /init. The binary under test stays uncompressed because
// deflating a Go binary in the test process is slow under the race
// detector, and would be paid on every boot.
//
// A boot through an [Image] is the exception: there a boot loader reads the
// initramfs through the firmware's disk services, slow under TCG, so
// the second archive is compressed too, by the host's gzip (a fraction of a
// second) when there is one.

// baseDirs are the directories the base archive creates.
var baseDirs = []string{"/bin", "/dev", "/lib", "/lib/modules", "/proc", "/root", "/run", "/sys", "/tmp"}

// baseCache holds the last base archive built, keyed by its inputs.
var baseCache struct {
	sync.Mutex
	key   string
	data  []byte
	files map[string]bool // guest paths of the files and links in it
}

// base returns the gzip-compressed base archive, padded to 4 bytes so the
// next archive starts on the boundary the kernel expects, and the guest
// paths it holds.
func (l *Lab) base() ([]byte, map[string]bool, error) {
	key := ""
	for _, p := range []string{l.Busybox, l.EfivarfsModule} {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("qemulab: %w", err)
		}
		key += fmt.Sprintf("%s:%d:%d;", p, fi.Size(), fi.ModTime().UnixNano())
	}
	baseCache.Lock()
	defer baseCache.Unlock()
	if baseCache.key == key {
		return baseCache.data, baseCache.files, nil
	}

	applets, err := busyboxApplets(l.Busybox)
	if err != nil {
		return nil, nil, err
	}
	bb, err := os.ReadFile(l.Busybox)
	if err != nil {
		return nil, nil, fmt.Errorf("qemulab: %w", err)
	}
	ko, err := os.ReadFile(l.EfivarfsModule)
	if err != nil {
		return nil, nil, fmt.Errorf("qemulab: %w", err)
	}

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, nil, err
	}
	cw := &cpioWriter{w: zw}
	for _, d := range baseDirs {
		mode := uint32(0o755)
		if d == "/tmp" {
			mode = 0o1777
		}
		cw.write(cpioEntry{name: d[1:], mode: modeDir | mode})
	}
	// The kernel opens /dev/console for /init's stdio before /init can mount
	// devtmpfs.
	cw.write(cpioEntry{name: "dev/console", mode: modeChr | 0o600, rdevMajor: 5, rdevMinor: 1})
	files := map[string]bool{"/dev/console": true}
	cw.write(cpioEntry{name: "bin/busybox", mode: modeReg | 0o755, data: bb})
	files["/bin/busybox"] = true
	for _, a := range applets {
		if p := "/bin/" + a; !files[p] {
			cw.write(cpioEntry{name: p[1:], mode: modeLink | 0o777, data: []byte("busybox")})
			files[p] = true
		}
	}
	cw.write(cpioEntry{name: guestEfivarfs[1:], mode: modeReg | 0o644, data: ko})
	files[guestEfivarfs] = true
	if err := cw.close(); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	data := pad4(buf.Bytes())
	baseCache.key, baseCache.data, baseCache.files = key, data, files
	return data, files, nil
}

// initramfs returns the initramfs image for one boot, with the /init script
// that reports through markers carrying token (or the caller's own /init).
// The caller's archive is gzip-compressed when the boot goes through an
// image.
func (l *Lab) initramfs(cfg *Config, token string) ([]byte, error) {
	init := File{Path: "/init", HostPath: cfg.Init, Mode: 0o755}
	if cfg.Init == "" {
		script, err := initScript(cfg, token)
		if err != nil {
			return nil, err
		}
		init.Data = []byte(script)
	} else if len(cfg.Capture) > 0 || len(cfg.Commands) > 0 {
		return nil, fmt.Errorf("qemulab: a boot with its own /init (%s) runs no captures or commands", cfg.Init)
	}
	base, baseFiles, err := l.base()
	if err != nil {
		return nil, err
	}
	isBaseDir := func(p string) bool { return p == "/" || slices.Contains(baseDirs, p) }

	var files []member
	for _, f := range append(slices.Clip(cfg.Files), init) {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return nil, fmt.Errorf("qemulab: guest path %q is not a clean absolute path", f.Path)
		}
		data, perm := f.Data, f.Mode.Perm()
		if f.HostPath != "" {
			fi, err := os.Stat(f.HostPath)
			if err != nil {
				return nil, fmt.Errorf("qemulab: %w", err)
			}
			if data, err = os.ReadFile(f.HostPath); err != nil {
				return nil, fmt.Errorf("qemulab: %w", err)
			}
			if perm == 0 && fi.Mode().Perm()&0o111 != 0 {
				perm = 0o755
			}
		}
		if perm == 0 {
			perm = 0o644
		}
		files = append(files, member{f.Path, modeReg | uint32(perm), data})
	}
	for i, c := range cfg.Commands {
		files = append(files, member{fmt.Sprintf("/lab/cmd/%d.sh", i), modeReg | 0o644, []byte(c.Script)})
	}

	// Directories first, parents before children, so the kernel can create
	// every member where the archive puts it.
	dirs := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(f.path); !isBaseDir(d); d = path.Dir(d) {
			dirs[d] = true
		}
	}
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList) // a parent sorts before its children

	size := len(base)
	for _, f := range files {
		size += cpioHeaderSize + len(f.path) + 8 + len(f.data)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+len(dirList)*(cpioHeaderSize+64)+cpioHeaderSize+16))
	buf.Write(base)
	cw := &cpioWriter{w: buf, ino: 1 << 20} // inode numbers apart from the base's
	for _, d := range dirList {
		if baseFiles[d] {
			return nil, fmt.Errorf("qemulab: guest path %s is a file of the lab", d)
		}
		cw.write(cpioEntry{name: d[1:], mode: modeDir | 0o755})
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.path] || dirs[f.path] || isBaseDir(f.path) || baseFiles[f.path] {
			return nil, fmt.Errorf("qemulab: guest path %s given twice", f.path)
		}
		seen[f.path] = true
		cw.write(cpioEntry{name: f.path[1:], mode: f.mode, data: f.data})
	}
	if err := cw.close(); err != nil {
		return nil, err
	}
	if cfg.Image == nil {
		return buf.Bytes(), nil
	}
	tail, err := gzipBytes(buf.Bytes()[len(base):])
	if err != nil {
		return nil, err
	}
	return append(buf.Bytes()[:len(base)], tail...), nil
}

// gzipBytes compresses b with the host's gzip, or in process when there is
// none.
func gzipBytes(b []byte) ([]byte, error) {
	if gz, err := exec.LookPath("gzip"); err == nil {
		cmd := exec.Command(gz, "-1", "-n", "-c")
		cmd.Stdin = bytes.NewReader(b)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("qemulab: gzip: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
		return out.Bytes(), nil
	}
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// busyboxApplets lists the applets that busybox was built with.
func busyboxApplets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("qemulab: %s --list: %w", busybox, err)
	}
	var applets []string
	for _, a := range strings.Fields(string(out)) {
		if nameRE.MatchString(a) && !strings.Contains(a, "/") {
			applets = append(applets, a)
		}
	}
	for _, need := range []string{"sh", "mount", "insmod", "base64", "cat", "poweroff"} {
		if !contains(applets, need) {
			return nil, fmt.Errorf("qemulab: busybox lacks the %s applet", need)
		}
	}
	return applets, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// initScript generates /init. Every output goes to the console as
//
//	@@qemulab-TOKEN BEGIN name
//	base64 of stdout
//	@@qemulab-TOKEN STDERR name
//	base64 of stderr
//	@@qemulab-TOKEN END name exit-status
//
// and "@@qemulab-TOKEN DONE" follows the last one. Captured files are named
// "file:" and their guest path.
func initScript(cfg *Config, token string) (string, error) {
	var b strings.Builder
	b.WriteString(`#!/bin/sh
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Only emergencies from the kernel on the console from here on.
echo 1 >/proc/sys/kernel/printk
if [ -d /sys/firmware/efi ]; then
	insmod ` + guestEfivarfs + `
	mount -t efivarfs efivarfs /sys/firmware/efi/efivars
fi
M='` + markerPrefix + token + `'
# Each fork and exec costs tens of milliseconds under TCG, so files are
# encoded straight from the source and empty streams are not encoded at all.
lab_file() {
	echo "$M BEGIN file:$1"
	base64 "$1" 2>/tmp/lab.err
	rc=$?
	echo "$M STDERR file:$1"
	[ -s /tmp/lab.err ] && base64 /tmp/lab.err
	echo "$M END file:$1 $rc"
}
lab_cmd() {
	sh "$2" >/tmp/lab.out 2>/tmp/lab.err </dev/null
	rc=$?
	echo "$M BEGIN $1"
	[ -s /tmp/lab.out ] && base64 /tmp/lab.out
	echo "$M STDERR $1"
	[ -s /tmp/lab.err ] && base64 /tmp/lab.err
	echo "$M END $1 $rc"
}
read -r up _ </proc/uptime
echo "$M START $up"
`)
	for _, g := range cfg.Capture {
		if !globRE.MatchString(g) {
			return "", fmt.Errorf("qemulab: capture pattern %q: want an absolute path of letters, digits and ._-/*?", g)
		}
		fmt.Fprintf(&b, "for f in %s; do [ -f \"$f\" ] && lab_file \"$f\"; done\n", g)
	}
	names := map[string]bool{}
	for i, c := range cfg.Commands {
		if !nameRE.MatchString(c.Name) || strings.HasPrefix(c.Name, "file:") {
			return "", fmt.Errorf("qemulab: command name %q: want letters, digits and ._:@+-/ (not starting with file:)", c.Name)
		}
		if names[c.Name] {
			return "", fmt.Errorf("qemulab: command name %q given twice", c.Name)
		}
		names[c.Name] = true
		fmt.Fprintf(&b, "lab_cmd %s /lab/cmd/%d.sh\n", c.Name, i)
	}
	b.WriteString(`read -r up _ </proc/uptime
echo "$M DONE $up"
sync
poweroff -f
`)
	return b.String(), nil
}
