package grub

import (
	"path"
	"strings"
)

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
