package collectors

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bootinfo/bootinfo/host"
	"github.com/prometheus/client_golang/prometheus"
)

// HostSection is the JSON section "host".
type HostSection struct {
	Hostname      string            `json:"hostname"`
	BootID        string            `json:"boot_id"`
	BootTime      string            `json:"boot_time,omitempty"`
	UptimeSeconds float64           `json:"uptime_seconds"`
	KernelRelease string            `json:"kernel_release"`
	KernelVersion string            `json:"kernel_version"`
	Architecture  string            `json:"architecture"`
	MachineID     string            `json:"machine_id"`
	OS            HostOS            `json:"os"`
	Cmdline       string            `json:"cmdline"`
	CmdlineParams map[string]string `json:"cmdline_params"`
	InitArgs      []string          `json:"cmdline_init_args,omitempty"`
	// Init is what PID 1 is: name, executable, and the manager's version
	// when it is systemd (from the systemd collector, when it watches
	// the system manager).
	Init   *host.Init        `json:"init,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`
}

// HostOS identifies the operating system from os-release.
type HostOS struct {
	ID         string `json:"id"`
	VersionID  string `json:"version_id"`
	PrettyName string `json:"pretty_name"`
}

type hostCollector struct {
	fs host.FS

	mu       sync.Mutex // guards boot and bootErrs; never held while reading
	boot     *host.Boot
	bootErrs host.FieldErrors

	// initVersion, when set, is the system manager's version as the
	// systemd collector last saw it ("" when unknown); see Link.
	initVersion func() string

	info, bootTime, initInfo *prometheus.Desc
}

// NewHostCollector reports the host's identity and its current boot.
func NewHostCollector(cfg Config) (Collector, error) {
	fs, err := host.NewFS(cfg.Paths.ProcFS, cfg.Paths.RootFS)
	if err != nil {
		return nil, err
	}
	return &hostCollector{
		fs: fs,
		info: desc("host_info", "Host identity: kernel, architecture and operating system; value 1.",
			"hostname", "kernel_release", "kernel_version", "architecture", "os_id", "os_version_id", "os_pretty_name"),
		bootTime: desc("boot_time_seconds", "When the host booted, in seconds since the Unix epoch."),
		initInfo: desc("init_info", "What PID 1 is (its command name: systemd, init, runit, tini, ...); value 1.", "name"),
	}, nil
}

// bootFacts reads the per-boot facts once; they cannot change before the
// next boot. A read in which nothing at all could be read is retried. The
// lock is not held while reading: a read blocked in the source (a hung
// mount) is abandoned by the Set at its deadline, and the next collection
// must read afresh rather than wait behind it.
func (c *hostCollector) bootFacts() (*host.Boot, host.FieldErrors, bool) {
	c.mu.Lock()
	b, errs := c.boot, c.bootErrs
	c.mu.Unlock()
	if b != nil {
		return b, errs, true
	}
	b, errs = c.fs.Boot()
	if b.BootID == "" && b.KernelRelease == "" && b.CmdlineRaw == "" {
		return b, errs, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.boot == nil {
		c.boot, c.bootErrs = b, errs
	}
	return c.boot, c.bootErrs, true
}

func (c *hostCollector) Collect(ctx context.Context) (*Snapshot, error) {
	b, errs, ok := c.bootFacts()
	if !ok {
		return nil, fmt.Errorf("host: nothing readable below the procfs root: %w", errs)
	}
	sec := &HostSection{
		Hostname:      b.Hostname,
		BootID:        b.BootID,
		KernelRelease: b.KernelRelease,
		KernelVersion: b.KernelVersion,
		Architecture:  b.Architecture,
		MachineID:     b.MachineID,
		OS:            HostOS{ID: b.OS.ID, VersionID: b.OS.VersionID, PrettyName: b.OS.PrettyName},
		Cmdline:       b.CmdlineRaw,
		CmdlineParams: b.Cmdline.Map(),
		InitArgs:      b.Cmdline.InitArgs,
	}
	if b.Init.Name != "" {
		in := b.Init
		if in.Name == "systemd" && c.initVersion != nil {
			in.Version = c.initVersion()
		}
		sec.Init = &in
	}
	fieldErrs := map[string]string{}
	for k, e := range errs {
		fieldErrs[k] = e.Error()
	}
	// The host name can be changed at run time; it is one small read.
	if hn, err := c.fs.Hostname(); err == nil {
		sec.Hostname = hn
	}
	if up, err := c.fs.Uptime(); err != nil {
		fieldErrs["uptime_seconds"] = err.Error()
	} else {
		sec.UptimeSeconds = up.Seconds()
	}
	if !b.BootTime.IsZero() {
		sec.BootTime = b.BootTime.Format(time.RFC3339)
	}
	if len(fieldErrs) > 0 {
		sec.Errors = fieldErrs
	}
	key := hostMetricsKey{
		info: [...]string{sec.Hostname, sec.KernelRelease, sec.KernelVersion, sec.Architecture, sec.OS.ID, sec.OS.VersionID, sec.OS.PrettyName},
	}
	ms := []prometheus.Metric{gauge(c.info, 1, key.info[:]...)}
	if sec.Init != nil {
		key.init = sec.Init.Name
		ms = append(ms, gauge(c.initInfo, 1, sec.Init.Name))
	}
	if !b.BootTime.IsZero() {
		key.bootTime, key.hasBootTime = b.BootTime.Unix(), true
		ms = append(ms, gauge(c.bootTime, float64(key.bootTime)))
	}
	return &Snapshot{Section: sec, Metrics: ms, Faults: sec.Errors, MetricsKey: key}, nil
}

// hostMetricsKey is everything the host collector's series are made of:
// the section changes at every collection (uptime), the series only when
// the host is renamed.
type hostMetricsKey struct {
	info        [7]string // host_info's label values
	init        string
	bootTime    int64
	hasBootTime bool
}

// Link lets collectors that report the same fact from two sources share
// it: the host section's init version is the system manager's, which the
// systemd collector knows. Collectors that are not built are left alone.
func Link(built map[string]Collector) {
	h, _ := built["host"].(*hostCollector)
	sd, _ := built["systemd"].(*systemdCollector)
	if h != nil && sd != nil {
		h.initVersion = sd.systemVersion
	}
}
