package grub

import (
	"path"
	"strings"
)

// KernelCheck says whether a kernel an entry loads exists under the boot
// root.
type KernelCheck struct {
	// Kernel is the path as the entry writes it.
	Kernel string `json:"kernel"`
	// Path is the installed kernel it maps to ("" when missing).
	Path string `json:"path,omitempty"`
	// Missing is set when no installed kernel matches: the "broken
	// default" case, where the boot loader would fail to load it.
	Missing bool `json:"missing"`
	// Candidates are the paths (relative to the root of the file system,
	// starting with "/") the kernel path was looked up as.
	Candidates []string `json:"candidates"`
}

// CheckKernel tells whether the Linux kernel e loads is among installed,
// the kernels present (paths such as "/boot/vmlinuz-6.1.0-13-amd64",
// relative to the file system root; see FS.InstalledKernels). GRUB paths are
// relative to the partition GRUB's root is set to, which is either the root
// file system ("/boot/vmlinuz-...") or a separate /boot ("/vmlinuz-..."),
// and may start with a device ("($root)/...", "(hd0,gpt2)/..."); both
// readings are tried. Entries that load no Linux kernel return nil.
func CheckKernel(e *Entry, installed []string) *KernelCheck {
	k := e.LinuxKernel()
	if k == "" {
		return nil
	}
	kc := &KernelCheck{Kernel: k, Candidates: kernelCandidates(k)}
	have := map[string]bool{}
	for _, p := range installed {
		have[path.Clean("/"+p)] = true
	}
	for _, c := range kc.Candidates {
		if have[c] {
			kc.Path = c
			return kc
		}
	}
	kc.Missing = true
	return kc
}

// BootPathCandidates maps a path a boot entry loads (a kernel or an initrd,
// as GRUB or a BLS entry writes it) to the paths below the root of the file
// system it can name, starting with "/": "/boot/..." first, then the path as
// written for a separate /boot partition.
func BootPathCandidates(p string) []string { return kernelCandidates(p) }

// kernelCandidates maps a GRUB or BLS kernel path to the file system paths
// it can name.
func kernelCandidates(k string) []string {
	p := path.Clean("/" + withoutDevice(k))
	if strings.HasPrefix(p, "/boot/") {
		return []string{p}
	}
	return []string{"/boot" + p, p}
}

// withoutDevice drops the GRUB device a path starts with, as in
// "(hd0,gpt2)/vmlinuz" or "($root)/boot/grub/grub.cfg", leaving the path
// on that device.
func withoutDevice(p string) string {
	if strings.HasPrefix(p, "(") {
		if i := strings.IndexByte(p, ')'); i >= 0 {
			return p[i+1:]
		}
	}
	return p
}

// kernelPrefixes start the file names of kernel images; the release
// follows.
var kernelPrefixes = []string{"vmlinuz-", "vmlinux-", "kernel-", "bzImage-", "Image-"}

// KernelRelease returns the release a kernel image's file name carries:
// "6.1.0-27-amd64" for "/boot/vmlinuz-6.1.0-27-amd64". Backslashes
// separate directories too, as in EFI paths. It returns "" when the file
// name does not start with a kernel image prefix.
func KernelRelease(p string) string {
	base := path.Base(strings.ReplaceAll(p, "\\", "/"))
	for _, prefix := range kernelPrefixes {
		if rel, ok := strings.CutPrefix(base, prefix); ok {
			return rel
		}
	}
	return ""
}

// NewestKernel returns the newest release, by CompareVersions, among the
// kernel images at paths (as FS.InstalledKernels lists them); the first
// of equal ones; "" when none is a kernel image.
func NewestKernel(paths []string) string {
	best := ""
	for _, p := range paths {
		rel := KernelRelease(p)
		if rel != "" && (best == "" || CompareVersions(rel, best) > 0) {
			best = rel
		}
	}
	return best
}
