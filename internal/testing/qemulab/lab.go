package qemulab

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EnvCache names the environment variable that overrides where scripts/lab-setup
// left the kernel; its default is [DefaultCache].
const EnvCache = "BOOTINFO_LAB_CACHE"

// DefaultCache is where scripts/lab-setup keeps the kernel when [EnvCache] is unset.
const DefaultCache = "/var/cache/bootinfo-lab"

// ErrNotSetUp reports that a part of the lab is missing: scripts/lab-setup has
// not run on this machine.
var ErrNotSetUp = errors.New("qemulab: firmware lab not set up (run scripts/lab-setup as root)")

// OVMFDir is where Debian's ovmf package installs the firmware images.
const OVMFDir = "/usr/share/OVMF"

// Lab holds the host paths of everything a boot needs.
type Lab struct {
	// Cache is the directory holding the kernel (the "current" link inside it
	// resolved).
	Cache string
	// KernelRelease is the guest kernel's `uname -r`, e.g. "6.1.0-56-amd64".
	KernelRelease string
	// Kernel is Debian's signed bzImage; KernelSnakeoil is the same kernel
	// signed only with OVMF's snakeoil key, the one OVMF's Secure Boot vars trust.
	Kernel, KernelSnakeoil string
	// EfivarfsModule is efivarfs.ko from the same kernel package.
	EfivarfsModule string
	// Modules is a directory holding lib/modules/KernelRelease: the
	// modules a guest needs to mount an ext4 root file system from a SATA
	// disk, and loop, with their modules.dep. It is empty when
	// scripts/lab-setup ran before it kept them.
	Modules string
	// Busybox is a statically linked busybox, the guest's whole userland.
	Busybox string
	// QEMU is qemu-system-x86_64.
	QEMU string
	// OVMFCode and OVMFVars are the 4 MiB UEFI images without Secure Boot keys;
	// the Snakeoil pair enrols the snakeoil key and turns Secure Boot on.
	OVMFCode, OVMFVars, OVMFCodeSnakeoil, OVMFVarsSnakeoil string
	// OVMFCodeMicrosoft and OVMFVarsMicrosoft are the 4 MiB images whose
	// variable store enrols Microsoft's keys (see [OVMFMicrosoft]).
	OVMFCodeMicrosoft, OVMFVarsMicrosoft string
}

// Find locates the lab that scripts/lab-setup prepared. Every part it needs is
// checked, and a missing one is reported as an error wrapping [ErrNotSetUp].
func Find() (*Lab, error) {
	cache := os.Getenv(EnvCache)
	if cache == "" {
		cache = DefaultCache
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(cache, "current"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSetUp, err)
	}
	rel, err := os.ReadFile(filepath.Join(dir, "release"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSetUp, err)
	}
	l := &Lab{
		Cache:            dir,
		KernelRelease:    strings.TrimSpace(string(rel)),
		Kernel:           filepath.Join(dir, "vmlinuz"),
		KernelSnakeoil:   filepath.Join(dir, "vmlinuz.snakeoil"),
		EfivarfsModule:   filepath.Join(dir, "efivarfs.ko"),
		OVMFCode:         filepath.Join(OVMFDir, "OVMF_CODE_4M.fd"),
		OVMFVars:         filepath.Join(OVMFDir, "OVMF_VARS_4M.fd"),
		OVMFCodeSnakeoil: filepath.Join(OVMFDir, "OVMF_CODE_4M.snakeoil.fd"),
		OVMFVarsSnakeoil: filepath.Join(OVMFDir, "OVMF_VARS_4M.snakeoil.fd"),

		OVMFCodeMicrosoft: filepath.Join(OVMFDir, "OVMF_CODE_4M.ms.fd"),
		OVMFVarsMicrosoft: filepath.Join(OVMFDir, "OVMF_VARS_4M.ms.fd"),
	}
	if _, err := os.Stat(filepath.Join(dir, "modules", "lib", "modules", l.KernelRelease, "modules.dep")); err == nil {
		l.Modules = filepath.Join(dir, "modules")
	}
	if l.QEMU, err = exec.LookPath("qemu-system-x86_64"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSetUp, err)
	}
	if l.Busybox, err = findBusybox(); err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range []string{l.Kernel, l.KernelSnakeoil, l.EfivarfsModule,
		l.OVMFCode, l.OVMFVars, l.OVMFCodeSnakeoil, l.OVMFVarsSnakeoil,
		l.OVMFCodeMicrosoft, l.OVMFVarsMicrosoft} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing %s", ErrNotSetUp, strings.Join(missing, ", "))
	}
	return l, nil
}

// findBusybox returns a statically linked busybox: the guest has no libc, so a
// dynamically linked one (Debian's plain busybox package) would not run there.
func findBusybox() (string, error) {
	cands := []string{"/bin/busybox", "/usr/bin/busybox"}
	if p, err := exec.LookPath("busybox"); err == nil {
		cands = append([]string{p}, cands...)
	}
	for _, p := range cands {
		static, err := isStatic(p)
		if err == nil && static {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no statically linked busybox (install busybox-static)", ErrNotSetUp)
}

// isStatic reports whether the ELF file at path asks for no program interpreter.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}
