package collectors

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"slices"
	"strings"
	"time"

	"github.com/bootinfo/bootinfo/bootdisk"
	"github.com/bootinfo/bootinfo/bootimage"
	"github.com/bootinfo/bootinfo/grub"
	"github.com/bootinfo/bootinfo/host"
	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Reasons the entry that boots next would not boot, as
// bootinfo_next_boot_problem{reason} and next_boot.problems[].reason.
const (
	problemKernelMissing         = "kernel_missing"
	problemKernelUnreadable      = "kernel_unreadable"
	problemKernelVersionMismatch = "kernel_version_mismatch"
	problemInitrdMissing         = "initrd_missing"
	problemInitrdInvalid         = "initrd_invalid"
	problemModulesMissing        = "modules_missing"
	problemRootNotFound          = "root_not_found"
	problemGrubConfigStale       = "grub_config_stale"
)

var nextBootProblems = []string{
	problemKernelMissing, problemKernelUnreadable, problemKernelVersionMismatch,
	problemInitrdMissing, problemInitrdInvalid, problemModulesMissing,
	problemRootNotFound, problemGrubConfigStale,
}

// NextBoot is the entry that boots next, why, and whether it would boot.
// The verdict comes first, so that the text view prints it first.
type NextBoot struct {
	// OK is the verdict: the entry's kernel, initrds, module tree and
	// root device are all there and look right. It is absent when no
	// entry with a Linux kernel boots next.
	OK *bool `json:"ok,omitempty"`
	// Problems lists each reason the entry would not boot.
	Problems []Problem `json:"problems,omitempty"`
	grub.Resolution
	// Checked is what the verdict looked at.
	Checked *NextBootChecked `json:"checked,omitempty"`
}

// Problem is one reason the next boot would fail.
type Problem struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// NextBootChecked is what the verdict read.
type NextBootChecked struct {
	// KernelPath is the kernel file, relative to the boot root.
	KernelPath string            `json:"kernel_path,omitempty"`
	Kernel     *bootimage.Kernel `json:"kernel,omitempty"`
	// Release is the release whose modules the kernel loads: the one its
	// image embeds, else the one its file name carries.
	Release string              `json:"release,omitempty"`
	Initrds []*bootimage.Initrd `json:"initrds,omitempty"`
	Root    *bootdisk.RootMatch `json:"root,omitempty"`
	Notes   []string            `json:"notes,omitempty"`
}

// verdict checks the entry that boots next: its kernel image, its initrds,
// the module tree of its release, its root device, and whether grub.cfg
// still says what /etc/default/grub says. It reports whether the next
// kernel is the running release built again (runningBuild is the running
// kernel's, /proc/sys/kernel/version).
func (c *bootloaderCollector) verdict(sec *BootloaderSection, cfg *grub.Config, groot, runningBuild string) (rebuilt bool) {
	nb := sec.NextBoot
	e := nb.Entry
	if e == nil || e.LinuxKernel() == "" {
		return false
	}
	ch := &NextBootChecked{}
	nb.Checked = ch
	add := func(reason, format string, args ...any) {
		nb.Problems = append(nb.Problems, Problem{Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	boot := hostfile.NewRoot(groot)
	root := hostfile.NewRoot(c.paths.RootFS)

	kpath, kerr := findBootFile(boot, e.LinuxKernel())
	switch {
	case errors.Is(kerr, iofs.ErrNotExist):
		add(problemKernelMissing, "%s: %v", e.LinuxKernel(), kerr)
	case kerr != nil:
		// There, but a directory, a FIFO or unreadable.
		add(problemKernelUnreadable, "%s: %v", e.LinuxKernel(), kerr)
	default:
		ch.KernelPath = kpath
		k, err := readImage(boot, kpath, bootimage.ReadKernel)
		ch.Kernel = k
		if err != nil {
			add(problemKernelUnreadable, "%s: %v", boot.Path(kpath), err)
		}
	}
	nameRel := grub.KernelRelease(e.LinuxKernel())
	ch.Release = nameRel
	if k := ch.Kernel; k != nil && k.Release != "" {
		ch.Release = k.Release
		if nameRel != "" && nameRel != k.Release {
			add(problemKernelVersionMismatch, "%s is named for %s but its image says %s", e.LinuxKernel(), nameRel, k.Version)
		}
		rebuilt = k.Release == sec.RunningKernel && runningBuild != "" && k.Build != "" && k.Build != runningBuild
	}

	initrds := slices.Clone(e.Initrd) // e is the cached configuration's
	if e.Kind == grub.KindMultiboot && len(e.Modules) > 1 {
		for _, m := range e.Modules[1:] {
			initrds = append(initrds, m.Path)
		}
	}
	for _, p := range initrds {
		ip, err := findBootFile(boot, p)
		if errors.Is(err, iofs.ErrNotExist) {
			add(problemInitrdMissing, "%s: %v", p, err)
			continue
		} else if err != nil {
			add(problemInitrdInvalid, "%s: %v", p, err)
			continue
		}
		in, err := readImage(boot, ip, bootimage.ReadInitrd)
		ch.Initrds = append(ch.Initrds, in)
		if err != nil {
			add(problemInitrdInvalid, "%s: %v", boot.Path(ip), err)
		}
	}

	if ch.Release != "" {
		dir := "lib/modules/" + ch.Release
		if _, err := root.Stat(dir); err != nil {
			add(problemModulesMissing, "%s: %v", root.Path(dir), err)
		} else if _, err := root.Stat(dir + "/modules.dep"); err != nil {
			add(problemModulesMissing, "%s: %v", root.Path(dir+"/modules.dep"), err)
		}
	} else {
		ch.Notes = append(ch.Notes, "modules not checked: neither the image nor the file name gives the kernel's release")
	}

	spec, _ := host.ParseCmdline(e.LinuxArgs()).Get("root")
	if kind, _ := bootdisk.ClassifyRoot(spec); len(initrds) == 0 && (kind == bootdisk.RootUUID || kind == bootdisk.RootLabel) {
		// The kernel itself resolves PARTUUID= and /dev names, but only an
		// initramfs resolves a file system UUID or label.
		add(problemInitrdMissing, "the entry loads no initrd, and only an initramfs can find root=%s", spec)
	}
	if bfs, err := bootdisk.NewFS(bootdisk.Paths{ProcFS: c.paths.ProcFS, SysFS: c.paths.SysFS, DevFS: c.paths.DevFS, RootFS: c.paths.RootFS}); err == nil {
		m := bfs.FindRoot(spec)
		ch.Root = &m
		if !m.Found && m.Skipped == "" {
			add(problemRootNotFound, "root=%s matches no block device (looked in %s)", spec, strings.Join(m.Looked, ", "))
		}
		if m.Skipped != "" {
			ch.Notes = append(ch.Notes, "root= not checked: "+m.Skipped)
		}
	} else {
		ch.Notes = append(ch.Notes, "root= not checked: "+err.Error())
	}

	if cfg != nil && cfg.Loader == grub.LoaderGRUB && cfg.ConfigPath != "" {
		for _, d := range c.staleConfig(cfg, e, boot, root) {
			add(problemGrubConfigStale, "%s", d)
		}
	}
	ok := len(nb.Problems) == 0
	nb.OK = &ok
	return rebuilt
}

// findBootFile finds the file a boot entry names below the boot root. The
// error wraps fs.ErrNotExist when there is none, or says what is there
// instead of a regular file.
func findBootFile(boot hostfile.Root, p string) (string, error) {
	cands := grub.BootPathCandidates(p)
	for _, c := range cands {
		fi, err := boot.Stat(c)
		if err == nil && fi.Mode().IsRegular() {
			return c, nil
		}
		if err == nil {
			err = fmt.Errorf("%s %w", boot.Path(c), &hostfile.TypeError{Mode: fi.Mode(), Want: "regular file"})
		}
		if !errors.Is(err, iofs.ErrNotExist) {
			return c, err
		}
	}
	return "", fmt.Errorf("not found below %s (looked for %s): %w", boot.Dir(), strings.Join(cands, ", "), iofs.ErrNotExist)
}

// readImage opens rel below root without blocking and hands it to read,
// which reads only as much as it needs (bootimage.MaxRead at most).
func readImage[T any](root hostfile.Root, rel string, read func(io.ReaderAt, int64) (T, error)) (T, error) {
	var zero T
	f, err := root.Open(rel)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return zero, err
	}
	return read(f, fi.Size())
}

// staleConfig compares grub.cfg with /etc/default/grub and its grub.d
// fragments when one of them is newer than grub.cfg: an edit that
// update-grub has not yet turned into grub.cfg changes nothing at the
// next boot, which is what the operator did not expect.
func (c *bootloaderCollector) staleConfig(cfg *grub.Config, e *grub.Entry, boot, root hostfile.Root) []string {
	gi, err := boot.Stat(cfg.ConfigPath)
	if err != nil {
		return nil
	}
	files := []string{"etc/default/grub"}
	if ents, err := root.ReadDir("etc/default/grub.d"); err == nil {
		for _, de := range ents {
			if strings.HasSuffix(de.Name(), ".cfg") {
				files = append(files, "etc/default/grub.d/"+de.Name())
			}
		}
	}
	var newest time.Time
	var newestFile string
	for _, f := range files {
		if fi, err := root.Stat(f); err == nil && fi.ModTime().After(newest) {
			newest, newestFile = fi.ModTime(), f
		}
	}
	if !newest.After(gi.ModTime()) {
		// The usual case: grub.cfg was made after the last edit.
		return nil
	}
	var src []byte
	for _, f := range files {
		if b, err := root.ReadFile(f, hostfile.LimitConfig); err == nil {
			// grub-mkconfig sources the fragments after the file.
			src = append(append(src, b...), '\n')
		}
	}
	if src == nil {
		return nil
	}
	d, _ := grub.ParseDefaults(src)
	if d == nil {
		return nil
	}
	when := fmt.Sprintf("/%s is newer than %s (%s, %s)", newestFile, boot.Path(cfg.ConfigPath),
		newest.UTC().Format(time.RFC3339), gi.ModTime().UTC().Format(time.RFC3339))
	var out []string
	want := strings.Fields(d.CmdlineLinux)
	if !strings.Contains(strings.ToLower(e.Title), "recovery mode") {
		want = append(want, strings.Fields(d.CmdlineLinuxDefault)...)
	}
	have := strings.Fields(e.LinuxArgs())
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(have, w) && !strings.Contains(w, "$") {
			missing = append(missing, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) && !mkconfigArg(h) {
			extra = append(extra, h)
		}
	}
	var diff []string
	if len(missing) > 0 {
		diff = append(diff, fmt.Sprintf("lacks %q", missing))
	}
	if len(extra) > 0 {
		diff = append(diff, fmt.Sprintf("has %q", extra))
	}
	if len(diff) > 0 {
		out = append(out, fmt.Sprintf("%s, and the next entry's command line %s, unlike GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT: run update-grub",
			when, strings.Join(diff, " and ")))
	}
	switch {
	case cfg.DefaultFrom == "next_entry":
	case d.DefaultKind == "saved" && cfg.DefaultFrom == "config":
		out = append(out, fmt.Sprintf("%s, and GRUB_DEFAULT=saved but grub.cfg sets default %q: run update-grub", when, cfg.DefaultEntry))
	case d.DefaultKind != "saved" && cfg.DefaultFrom == "saved_entry":
		out = append(out, fmt.Sprintf("%s, and GRUB_DEFAULT=%s but grub.cfg boots the saved entry %q: run update-grub", when, d.Default, cfg.SavedEntry))
	case d.DefaultKind != "saved" && cfg.DefaultFrom == "config" && cfg.DefaultEntry != d.Default:
		out = append(out, fmt.Sprintf("%s, and GRUB_DEFAULT=%s but grub.cfg sets default %q: run update-grub", when, d.Default, cfg.DefaultEntry))
	}
	return out
}

// mkconfigArg tells the command-line words grub-mkconfig's scripts add
// themselves (10_linux: root=, ro, rootflags= for btrfs; single and the
// recovery words; Ubuntu's $vt_handoff) from those that come from
// /etc/default/grub.
func mkconfigArg(a string) bool {
	for _, p := range []string{"root=", "rootflags=", "BOOT_IMAGE=", "vt.handoff=", "$"} {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return a == "ro" || a == "rw" || a == "single" || a == "recovery" || a == "nomodeset" || a == "dis_ucode_ldr"
}
