package host

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// FS reads host facts below a procfs mount point and a root filesystem.
// Every file is read through hostfile: bounded (a one-value file to
// hostfile.LimitAttr, /proc/stat to hostfile.LimitConfig), refused without
// blocking when it is not a regular file, and resolved inside its root.
type FS struct {
	proc hostfile.Root
	root hostfile.Root
}

// NewFS returns an FS reading /proc facts below procRoot and /etc files below
// rootFS (for example "/proc" and "/", or "/host/proc" and "/host"). It
// fails when procRoot is not a directory.
func NewFS(procRoot, rootFS string) (FS, error) {
	fi, err := hostfile.NewRoot(procRoot).Stat(".")
	if err != nil {
		return FS{}, fmt.Errorf("host: %w", err)
	}
	if !fi.IsDir() {
		return FS{}, fmt.Errorf("host: %s is not a directory", procRoot)
	}
	return FS{proc: hostfile.NewRoot(procRoot), root: hostfile.NewRoot(rootFS)}, nil
}

// Boot holds the facts that stay the same until the next boot.
type Boot struct {
	Hostname      string
	BootID        string
	BootTime      time.Time
	KernelRelease string
	KernelVersion string
	Architecture  string
	MachineID     string
	OS            OSRelease
	CmdlineRaw    string
	Cmdline       Cmdline
	// Init is what PID 1 is (the zero Init when 1/comm is unreadable).
	Init Init
}

// FieldErrors maps a fact's name to why it could not be read.
type FieldErrors map[string]error

func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", k, e[k])
	}
	return b.String()
}

// Boot reads every per-boot fact. Facts that cannot be read are left empty and
// reported in the returned FieldErrors (nil when all were read), so one
// unreadable file never hides the others. The hostname can change while the
// host runs; callers that need it fresh call Hostname.
func (f FS) Boot() (*Boot, FieldErrors) {
	errs := FieldErrors{}
	b := &Boot{}
	set := func(name string, dst *string, fn func() (string, error)) {
		v, err := fn()
		if err != nil {
			errs[name] = err
			return
		}
		*dst = v
	}
	set("hostname", &b.Hostname, f.Hostname)
	set("boot_id", &b.BootID, func() (string, error) { return f.sysctl("kernel/random/boot_id") })
	set("kernel_release", &b.KernelRelease, func() (string, error) { return f.sysctl("kernel/osrelease") })
	set("kernel_version", &b.KernelVersion, func() (string, error) { return f.sysctl("kernel/version") })
	set("architecture", &b.Architecture, f.architecture)
	set("machine_id", &b.MachineID, f.MachineID)
	set("cmdline", &b.CmdlineRaw, f.CmdlineRaw)
	b.Cmdline = ParseCmdline(b.CmdlineRaw)
	var initErrs FieldErrors
	b.Init, initErrs = f.Init()
	for k, err := range initErrs {
		errs[k] = err
	}
	if bt, err := f.BootTime(); err != nil {
		errs["boot_time"] = err
	} else {
		b.BootTime = bt
	}
	osr, err := f.OSRelease()
	if err != nil {
		errs["os"] = err
	}
	b.OS = osr // partial on a malformed file
	if len(errs) == 0 {
		return b, nil
	}
	return b, errs
}

// Hostname returns the kernel's host name (kernel/hostname), which in a
// container with the host's procfs is the host's.
func (f FS) Hostname() (string, error) { return f.sysctl("kernel/hostname") }

// MachineID returns /etc/machine-id below the root filesystem.
func (f FS) MachineID() (string, error) {
	s, err := f.root.ReadString("etc/machine-id")
	if err != nil {
		return "", fmt.Errorf("host: machine-id: %w", err)
	}
	return s, nil
}

// CmdlineRaw returns the kernel command line as /proc/cmdline has it, without
// the trailing newline.
func (f FS) CmdlineRaw() (string, error) {
	b, err := f.proc.ReadFile("cmdline", hostfile.LimitAttr)
	if err != nil {
		return "", fmt.Errorf("host: cmdline: %w", err)
	}
	return strings.TrimRight(string(b), "\n\x00"), nil
}

// BootTime returns when the host booted, from the btime line of /proc/stat
// (whole seconds, as the kernel gives it). /proc/stat grows with the
// processors and interrupts; it is read up to hostfile.LimitConfig, as
// prometheus/procfs (which bootinfo used before) bounds it. When the file
// reads but holds no valid btime line, the boot time is derived from
// /proc/uptime instead, to the second.
func (f FS) BootTime() (time.Time, error) {
	b, err := f.proc.ReadFile("stat", hostfile.LimitConfig)
	if err != nil {
		return time.Time{}, fmt.Errorf("host: boot time: %w", err)
	}
	t, err := ParseBootTime(b)
	if err != nil {
		if up, uerr := f.Uptime(); uerr == nil {
			return time.Now().Add(-up).Round(time.Second).UTC(), nil
		}
		return time.Time{}, fmt.Errorf("host: boot time: %s: %w", f.proc.Path("stat"), err)
	}
	return t, nil
}

// ParseBootTime returns the time of the btime line of /proc/stat.
func ParseBootTime(stat []byte) (time.Time, error) {
	for line := range bytes.Lines(stat) {
		v, ok := bytes.CutPrefix(line, []byte("btime "))
		if !ok {
			continue
		}
		// The kernel writes "btime %llu\n": digits only.
		v = bytes.TrimRight(v, "\n")
		n, err := strconv.ParseUint(string(v), 10, 63)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad btime %.40q", v)
		}
		return time.Unix(int64(n), 0).UTC(), nil
	}
	return time.Time{}, errors.New("no btime line")
}

// Uptime returns the time since boot from /proc/uptime.
func (f FS) Uptime() (time.Duration, error) {
	b, err := f.proc.ReadFile("uptime", hostfile.LimitAttr)
	if err != nil {
		return 0, fmt.Errorf("host: uptime: %w", err)
	}
	return ParseUptime(b)
}

// ParseUptime parses the first field of /proc/uptime (seconds with a
// fractional part).
func ParseUptime(b []byte) (time.Duration, error) {
	fields := bytes.Fields(b)
	if len(fields) == 0 {
		return 0, errors.New("host: uptime: empty")
	}
	s, err := strconv.ParseFloat(string(fields[0]), 64)
	// The negated test also refuses NaN; the bound keeps the conversion to
	// a Duration (at most about 292 years) from overflowing.
	if err != nil || !(s >= 0 && s < float64(math.MaxInt64/int64(time.Second))) {
		return 0, fmt.Errorf("host: uptime: bad value %q", fields[0])
	}
	return time.Duration(s * float64(time.Second)), nil
}

// OSRelease reads etc/os-release, falling back to usr/lib/os-release as
// os-release(5) prescribes (the first is usually a link to the second,
// which resolves inside the root). When etc/os-release exists but cannot be
// read (too large, a FIFO), usr/lib/os-release is still decoded and
// returned along with the error.
func (f FS) OSRelease() (OSRelease, error) {
	var etcErr error
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := f.root.ReadFile(p, hostfile.LimitAttr)
		if err != nil {
			if etcErr == nil || !errors.Is(err, fs.ErrNotExist) {
				etcErr = err
			}
			continue
		}
		r, err := ParseOSRelease(b)
		if etcErr != nil && !errors.Is(etcErr, fs.ErrNotExist) {
			err = errors.Join(etcErr, err)
		}
		if err != nil {
			return r, fmt.Errorf("host: os-release: %w", err)
		}
		return r, nil
	}
	return OSRelease{}, fmt.Errorf("host: os-release: %w", etcErr)
}

// architecture prefers kernel/arch (a sysctl since Linux 6.1, so it comes from
// the injected procfs) and falls back to uname(2).
func (f FS) architecture() (string, error) {
	if v, err := f.sysctl("kernel/arch"); err == nil && v != "" {
		return v, nil
	}
	return unameMachine()
}

func (f FS) sysctl(name string) (string, error) {
	s, err := f.proc.ReadString("sys/" + name)
	if err != nil {
		return "", fmt.Errorf("host: %w", err)
	}
	return s, nil
}
