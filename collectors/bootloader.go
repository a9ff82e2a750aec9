package collectors

import (
	"context"
	"errors"
	iofs "io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bootinfo/bootinfo/bootdisk"
	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/grub"
	"github.com/bootinfo/bootinfo/host"
	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a reboot may be required, as bootinfo_reboot_required{reason}.
var rebootReasons = []string{"kernel_update", "kernel_rebuilt", "reboot_required_file", "default_kernel_missing"}

// BootloaderSection is the JSON section "bootloader".
type BootloaderSection struct {
	// NextBoot is the entry that boots next and the verdict on it; first,
	// so that the text view prints the verdict first.
	NextBoot         *NextBoot         `json:"next_boot,omitempty"`
	Loader           string            `json:"loader"`
	ConfigPath       string            `json:"config_path,omitempty"`
	Entries          []grub.Entry      `json:"entries"`
	DefaultEntry     string            `json:"default_entry"`
	NextEntry        string            `json:"next_entry,omitempty"`
	SavedEntry       string            `json:"saved_entry,omitempty"`
	NextKernel       *grub.KernelCheck `json:"next_kernel,omitempty"`
	RunningKernel    string            `json:"running_kernel"`
	InstalledKernels []string          `json:"installed_kernels"`
	ModuleTrees      []string          `json:"module_trees"`
	NewestKernel     string            `json:"newest_kernel,omitempty"`
	Cmdline          host.CmdlineFacts `json:"cmdline"`
	RebootRequired   bool              `json:"reboot_required"`
	RebootReasons    []string          `json:"reboot_reasons"`
	RebootPackages   []string          `json:"reboot_required_packages,omitempty"`
	// ScheduledShutdown is logind's scheduled shutdown or reboot, if any.
	ScheduledShutdown *systemd.ScheduledShutdown `json:"scheduled_shutdown,omitempty"`
	// BootDisk is the disk holding /boot, its partition table and where
	// the EFI system partition is mounted; absent without procfs/sysfs.
	BootDisk *bootdisk.BootDisk `json:"boot_disk,omitempty"`
	Warnings []string           `json:"warnings,omitempty"`
	Errors   map[string]string  `json:"errors,omitempty"`
}

// BootloaderConfig holds the bootloader collector's options.
type BootloaderConfig struct {
	// LogindAddress is the D-Bus address where logind answers; "" is the
	// system bus.
	LogindAddress string
}

type bootloaderCollector struct {
	paths  Paths
	logind string
	// refresh is how long a snapshot without errors is served again.
	refresh time.Duration

	// mu guards snap, at and loaded. It is never held across I/O: a
	// collection stuck in a read (a hung NFS /boot) holds nothing, so the
	// next attempt proceeds on its own.
	mu     sync.Mutex
	snap   *Snapshot
	at     time.Time
	loaded *loadedConfig

	// evaluations counts the evaluations of the boot loader configuration.
	evaluations atomic.Int64
	// beforeLoad, when set (by tests), runs before each evaluation.
	beforeLoad func()

	info, reboot, kernels, missing, shutdown *prometheus.Desc
	nextOK, nextProblem                      *prometheus.Desc
	diskInfo, espPresent, espMounted         *prometheus.Desc
}

// NewBootloaderCollector reports what will boot next and whether a reboot
// is pending.
func NewBootloaderCollector(cfg Config) (Collector, error) {
	return &bootloaderCollector{
		paths:       cfg.Paths,
		logind:      cfg.Bootloader.LogindAddress,
		refresh:     time.Minute,
		shutdown:    desc("scheduled_shutdown_timestamp_seconds", "When logind's scheduled shutdown or reboot happens (shutdown -r +10), in seconds since the Unix epoch; absent when none is scheduled.", "kind"),
		info:        desc("bootloader_info", "The boot loader and the title of the entry that boots next; value 1.", "loader", "default_entry"),
		reboot:      desc("reboot_required", "Whether a reboot is pending for a reason: the next boot's kernel differs from the running one (kernel_update), is the running release built again, with another build string than the running kernel's (kernel_rebuilt), /run/reboot-required exists (reboot_required_file), or the default entry's kernel is not installed (default_kernel_missing).", "reason"),
		nextOK:      desc("next_boot_ok", "Whether the entry that boots next would boot (1): its kernel and initrds are there and are what they claim, its module tree is installed, its root device exists and grub.cfg is not older than an edit of /etc/default/grub that changes it. Absent when no entry with a Linux kernel boots next."),
		nextProblem: desc("next_boot_problem", "Whether the entry that boots next has a problem of this kind (1): kernel_missing, kernel_unreadable, kernel_version_mismatch, initrd_missing, initrd_invalid, modules_missing, root_not_found, grub_config_stale. Absent with bootinfo_next_boot_ok.", "reason"),
		kernels:     desc("kernels_installed", "Kernel images installed under the boot directory."),
		missing:     desc("default_entry_kernel_missing", "Whether the kernel of the entry that boots next is missing (1): the host would not come back from a reboot."),
		diskInfo:    desc("boot_disk_info", "The disk holding /boot (disk=\"\" when /boot is not on a disk partition: overlay, LVM over several disks, RAID), its partition table (gpt, mbr, none, unknown) and where the table was read (device, udev, sysfs); value 1.", "disk", "table", "source"),
		espPresent:  desc("esp_present", "Whether the boot disk has an EFI system partition (1)."),
		espMounted:  desc("esp_mounted", "Whether the boot disk's EFI system partition is mounted at /boot/efi, /efi or /boot (1); 0 when it is not, or there is none."),
	}, nil
}

// loadedConfig is the boot loader configuration last evaluated, with what
// its evaluation read.
type loadedConfig struct {
	root, platform string
	seen           *grub.Seen
	cfg            *grub.Config
	err            error
}

// Collect serves a snapshot without errors again for a minute: package
// upgrades change the boot loader files while the host runs, but not
// between two scrapes. A snapshot with errors is not kept, so that a fixed
// fault shows at the next scrape. Past the minute the section is built
// again, but grub.cfg is evaluated again only when a file the last
// evaluation looked at has changed (see config).
func (c *bootloaderCollector) Collect(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	if c.snap != nil && time.Since(c.at) < c.refresh {
		s := c.snap
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	sec := c.build(ctx)
	snap := &Snapshot{Section: sec, Metrics: c.metrics(sec), Faults: sec.Errors}
	if len(sec.Errors) == 0 && ctx.Err() == nil {
		c.mu.Lock()
		c.snap, c.at = snap, time.Now()
		c.mu.Unlock()
	}
	return snap, nil
}

// config returns the boot loader configuration below gfs's root, evaluating
// it only when no evaluation is kept for this root and platform, or when a
// file, directory or missing path the kept one looked at has changed
// (grub.Seen: device, inode, size, modification and change times, checked
// with one stat each). An evaluation that ctx cut short is not kept.
func (c *bootloaderCollector) config(ctx context.Context, gfs grub.FS, root, platform string) (*grub.Config, error) {
	c.mu.Lock()
	l := c.loaded
	c.mu.Unlock()
	if l != nil && l.root == root && l.platform == platform && l.seen.Unchanged() {
		return l.cfg, l.err
	}
	if c.beforeLoad != nil {
		c.beforeLoad()
	}
	c.evaluations.Add(1)
	seen := &grub.Seen{}
	cfg, err := gfs.WithContext(ctx).WithSeen(seen).Load(platform)
	if ctx.Err() == nil {
		c.mu.Lock()
		c.loaded = &loadedConfig{root: root, platform: platform, seen: seen, cfg: cfg, err: err}
		c.mu.Unlock()
	}
	return cfg, err
}

// grubFS chooses the root the boot loader files are read below: the whole
// root file system when --path.boot is its /boot, else --path.boot alone
// (a separate boot partition mounted elsewhere).
func (c *bootloaderCollector) grubFS() (grub.FS, string) {
	if filepath.Clean(c.paths.Boot) == filepath.Join(c.paths.RootFS, "boot") {
		return grub.NewFS(c.paths.RootFS), c.paths.RootFS
	}
	return grub.NewFS(c.paths.Boot), c.paths.Boot
}

func (c *bootloaderCollector) build(ctx context.Context) *BootloaderSection {
	sec := &BootloaderSection{Loader: grub.LoaderUnknown, Entries: []grub.Entry{}, InstalledKernels: []string{}, ModuleTrees: []string{}, RebootReasons: []string{}}
	errs := map[string]string{}
	var runningBuild string
	if hfs, err := host.NewFS(c.paths.ProcFS, c.paths.RootFS); err == nil {
		b, _ := hfs.Boot()
		sec.RunningKernel, runningBuild = b.KernelRelease, b.KernelVersion
		sec.Cmdline = b.Cmdline.Facts()
	}
	gfs, groot := c.grubFS()
	cfg, err := c.config(ctx, gfs, groot, c.platform())
	switch {
	case err == nil:
	case errors.Is(err, iofs.ErrNotExist):
		// No boot loader configuration here (containers, direct kernel
		// boots): not a failure.
	default:
		errs["config"] = err.Error()
	}
	if cfg != nil {
		sec.Loader, sec.ConfigPath, sec.Entries = cfg.Loader, cfg.ConfigPath, cfg.Entries
		sec.DefaultEntry, sec.NextEntry, sec.SavedEntry, sec.Warnings = cfg.DefaultEntry, cfg.NextEntry, cfg.SavedEntry, cfg.Warnings
		if sec.Entries == nil {
			sec.Entries = []grub.Entry{}
		}
		sec.NextBoot = &NextBoot{Resolution: grub.Resolve(cfg, c.loaderVars())}
	}
	switch ks, err := gfs.InstalledKernels(); {
	case err == nil && ks != nil:
		sec.InstalledKernels = ks
	case err != nil && !errors.Is(err, iofs.ErrNotExist):
		errs["installed_kernels"] = err.Error()
	}
	sec.NewestKernel = newestKernel(sec.InstalledKernels)
	root := hostfile.NewRoot(c.paths.RootFS)
	switch ents, err := root.ReadDir("lib/modules"); {
	case err == nil:
		for _, e := range ents {
			if e.IsDir() {
				sec.ModuleTrees = append(sec.ModuleTrees, e.Name())
			}
		}
	case !errors.Is(err, iofs.ErrNotExist):
		errs["module_trees"] = err.Error()
	}

	if sec.NextBoot != nil && sec.NextBoot.Entry != nil && sec.NextBoot.Entry.LinuxKernel() != "" {
		sec.NextKernel = grub.CheckKernel(sec.NextBoot.Entry, sec.InstalledKernels)
		if sec.NextKernel.Missing {
			sec.RebootReasons = append(sec.RebootReasons, "default_kernel_missing")
		} else if rel := kernelRelease(sec.NextKernel.Kernel); rel != "" && sec.RunningKernel != "" && rel != sec.RunningKernel {
			sec.RebootReasons = append(sec.RebootReasons, "kernel_update")
		}
		if c.verdict(sec, cfg, groot, runningBuild) {
			sec.RebootReasons = append(sec.RebootReasons, "kernel_rebuilt")
		}
	}
	// Debian's update-notifier flag file, and the packages that asked
	// for the reboot: a list a package manager writes (LimitConfig).
	switch _, err := root.Stat("run/reboot-required"); {
	case err == nil:
		sec.RebootReasons = append(sec.RebootReasons, "reboot_required_file")
		switch b, err := root.ReadFile("run/reboot-required.pkgs", hostfile.LimitConfig); {
		case err == nil:
			sec.RebootPackages = uniqueLines(string(b))
		case !errors.Is(err, iofs.ErrNotExist):
			errs["reboot_required_packages"] = err.Error()
		}
	case !errors.Is(err, iofs.ErrNotExist):
		errs["reboot_required"] = err.Error()
	}
	sort.Strings(sec.RebootReasons)
	sec.RebootRequired = len(sec.RebootReasons) > 0
	c.scheduledShutdown(ctx, sec, errs)
	c.bootDisk(sec, errs)
	if len(errs) > 0 {
		sec.Errors = errs
	}
	return sec
}

// bootDisk finds the boot disk on every refresh with the rest of the
// section: mounts change while the host runs (an automounted /efi, a
// remounted /boot) and disks get repartitioned, and finding it costs one
// mountinfo parse, a few sysfs files and a read of the partition table's
// sectors.
func (c *bootloaderCollector) bootDisk(sec *BootloaderSection, errs map[string]string) {
	fs, err := bootdisk.NewFS(bootdisk.Paths{ProcFS: c.paths.ProcFS, SysFS: c.paths.SysFS, DevFS: c.paths.DevFS, RootFS: c.paths.RootFS})
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		// No procfs or sysfs: not Linux, or a tree without them.
		return
	case err != nil:
		errs["boot_disk"] = err.Error()
		return
	}
	bd, err := fs.Discover()
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		// A procfs without self/mountinfo is a test tree, not a host.
		return
	case err != nil:
		errs["boot_disk"] = err.Error()
	}
	sec.BootDisk = bd
}

// platform tells GRUB's grub_platform from how this boot came up.
func (c *bootloaderCollector) platform() string {
	if efs, err := efi.NewFS(c.paths.SysFS); err == nil {
		if m, err := efs.Mode(); err == nil && m == efi.ModeUEFI {
			return "efi"
		} else if err == nil {
			return "pc"
		}
	}
	return ""
}

func (c *bootloaderCollector) loaderVars() grub.LoaderVars {
	var lv grub.LoaderVars
	if efs, err := efi.NewFS(c.paths.SysFS); err == nil {
		lv.Default, _ = efs.LoaderEntryDefault()
		lv.Selected, _ = efs.LoaderEntrySelected()
	}
	return lv
}

// kernelRelease takes the release out of a kernel file name
// ("/vmlinuz-6.1.0-27-amd64" → "6.1.0-27-amd64").
func kernelRelease(p string) string { return grub.KernelRelease(p) }

// newestKernel picks the highest release among installed kernels, in the
// one kernel version order the grub package keeps ("6.1.0-10" after
// "6.1.0-9").
func newestKernel(paths []string) string { return grub.NewestKernel(paths) }

func uniqueLines(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

func (c *bootloaderCollector) metrics(sec *BootloaderSection) []prometheus.Metric {
	next := ""
	if sec.NextBoot != nil && sec.NextBoot.Entry != nil {
		next = sec.NextBoot.Entry.Title
	}
	ms := []prometheus.Metric{
		gauge(c.info, 1, sec.Loader, next),
		gauge(c.kernels, float64(len(sec.InstalledKernels))),
		gauge(c.missing, boolFloat(sec.NextKernel != nil && sec.NextKernel.Missing)),
	}
	if bd := sec.BootDisk; bd != nil {
		ms = append(ms,
			gauge(c.diskInfo, 1, bd.Disk, string(bd.Table), bd.Source),
			gauge(c.espPresent, boolFloat(bd.ESPPartition != 0)),
			gauge(c.espMounted, boolFloat(bd.ESPMount != "")))
	}
	if ss := sec.ScheduledShutdown; ss != nil {
		ms = append(ms, gauge(c.shutdown, float64(ss.At.UnixMicro())/1e6, ss.Kind))
	}
	if nb := sec.NextBoot; nb != nil && nb.OK != nil {
		ms = append(ms, gauge(c.nextOK, boolFloat(*nb.OK)))
		for _, r := range nextBootProblems {
			ms = append(ms, gauge(c.nextProblem, boolFloat(slices.ContainsFunc(nb.Problems, func(p Problem) bool { return p.Reason == r })), r))
		}
	}
	for _, r := range rebootReasons {
		on := false
		for _, have := range sec.RebootReasons {
			on = on || have == r
		}
		ms = append(ms, gauge(c.reboot, boolFloat(on), r))
	}
	return ms
}
