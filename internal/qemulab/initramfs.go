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
	"sort"
	"strings"
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

// initramfs returns the gzip-compressed newc archive for one boot, with the
// /init script that reports through markers carrying token.
func (l *Lab) initramfs(cfg *Config, token string) ([]byte, error) {
	applets, err := busyboxApplets(l.Busybox)
	if err != nil {
		return nil, err
	}
	type member struct {
		path string
		mode uint32
		data []byte
	}
	var files []member
	add := func(p string, mode uint32, data []byte) { files = append(files, member{p, mode, data}) }

	bb, err := os.ReadFile(l.Busybox)
	if err != nil {
		return nil, fmt.Errorf("qemulab: %w", err)
	}
	add("/bin/busybox", modeReg|0o755, bb)
	for _, a := range applets {
		if a != "busybox" {
			add("/bin/"+a, modeLink|0o777, []byte("busybox"))
		}
	}
	ko, err := os.ReadFile(l.EfivarfsModule)
	if err != nil {
		return nil, fmt.Errorf("qemulab: %w", err)
	}
	add(guestEfivarfs, modeReg|0o644, ko)

	for _, f := range cfg.Files {
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
		add(f.Path, modeReg|uint32(perm), data)
	}

	script, err := initScript(cfg, token)
	if err != nil {
		return nil, err
	}
	for i, c := range cfg.Commands {
		add(fmt.Sprintf("/lab/cmd/%d.sh", i), modeReg|0o644, []byte(c.Script))
	}
	add("/init", modeReg|0o755, []byte(script))

	// Directories first, parents before children, so the kernel can create
	// every member where the archive puts it.
	dirs := map[string]bool{"/dev": true, "/proc": true, "/sys": true, "/tmp": true, "/root": true, "/run": true}
	for _, f := range files {
		for d := path.Dir(f.path); d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList) // a parent sorts before its children

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	cw := &cpioWriter{w: zw}
	for _, d := range dirList {
		mode := uint32(0o755)
		if d == "/tmp" {
			mode = 0o1777
		}
		cw.write(cpioEntry{name: d[1:], mode: modeDir | mode})
	}
	// The kernel opens /dev/console for /init's stdio before /init can mount
	// devtmpfs.
	cw.write(cpioEntry{name: "dev/console", mode: modeChr | 0o600, rdevMajor: 5, rdevMinor: 1})
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.path] || dirs[f.path] {
			return nil, fmt.Errorf("qemulab: guest path %s given twice", f.path)
		}
		seen[f.path] = true
		cw.write(cpioEntry{name: f.path[1:], mode: f.mode, data: f.data})
	}
	if err := cw.close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
