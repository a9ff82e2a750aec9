package host

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// FS reads host facts below a procfs mount point and a root filesystem.
type FS struct {
	proc   string
	root   string
	procfs procfs.FS
}

// NewFS returns an FS reading /proc facts below procRoot and /etc files below
// rootFS (for example "/proc" and "/", or "/host/proc" and "/host").
func NewFS(procRoot, rootFS string) (FS, error) {
	p, err := procfs.NewFS(procRoot)
	if err != nil {
		return FS{}, fmt.Errorf("host: %w", err)
	}
	return FS{proc: procRoot, root: rootFS, procfs: p}, nil
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
	b, err := os.ReadFile(filepath.Join(f.root, "etc", "machine-id"))
	if err != nil {
		return "", fmt.Errorf("host: machine-id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// CmdlineRaw returns the kernel command line as /proc/cmdline has it, without
// the trailing newline.
func (f FS) CmdlineRaw() (string, error) {
	b, err := os.ReadFile(filepath.Join(f.proc, "cmdline"))
	if err != nil {
		return "", fmt.Errorf("host: cmdline: %w", err)
	}
	return strings.TrimRight(string(b), "\n\x00"), nil
}

// BootTime returns when the host booted, from the btime line of /proc/stat
// (whole seconds, as the kernel gives it).
func (f FS) BootTime() (time.Time, error) {
	st, err := f.procfs.Stat()
	if err != nil {
		return time.Time{}, fmt.Errorf("host: boot time: %w", err)
	}
	return time.Unix(int64(st.BootTime), 0).UTC(), nil
}

// Uptime returns the time since boot from /proc/uptime.
func (f FS) Uptime() (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(f.proc, "uptime"))
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
// os-release(5) prescribes.
func (f FS) OSRelease() (OSRelease, error) {
	var firstErr error
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := os.ReadFile(filepath.Join(f.root, p))
		if err != nil {
			if firstErr == nil || !errors.Is(err, fs.ErrNotExist) {
				firstErr = err
			}
			continue
		}
		return ParseOSRelease(b)
	}
	return OSRelease{}, fmt.Errorf("host: os-release: %w", firstErr)
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
	b, err := os.ReadFile(filepath.Join(f.proc, "sys", filepath.FromSlash(name)))
	if err != nil {
		return "", fmt.Errorf("host: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
