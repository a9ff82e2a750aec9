package kmsg

import (
	"regexp"
	"strings"
	"time"
)

// Problem names a kind of kernel-reported trouble that Summary counts.
type Problem string

// The problems Summary counts. Each kernel event is counted once, on the
// one line the kernel prints exactly once per event (noted per kind), even
// though the event spans many records.
const (
	// ProblemOOMKill counts "Killed process N (comm)" lines: one per
	// process the OOM killer (global or memory cgroup) killed. The
	// "invoked oom-killer", "oom-kill:constraint=" and (before 5.0)
	// "Kill process ... or sacrifice child" lines of the same event are
	// not counted.
	ProblemOOMKill Problem = "oom_kill"
	// ProblemHungTask counts "INFO: task X:N blocked for more than S seconds."
	ProblemHungTask Problem = "hung_task"
	// ProblemSoftLockup counts "BUG: soft lockup - CPU#N stuck for Ss!".
	ProblemSoftLockup Problem = "soft_lockup"
	// ProblemRCUStall counts "INFO: rcu_X detected stalls" and
	// "INFO: rcu_X self-detected stall" reports.
	ProblemRCUStall Problem = "rcu_stall"
	// ProblemIOError counts the block layer's "<kind> error, dev D, sector S"
	// line (blk_update_request:, print_req_error: or bare, by kernel
	// version); the driver lines around it (ata, sd, nvme) belong to the
	// same failed request and are not counted. See also
	// ProblemBufferIOError.
	ProblemIOError Problem = "io_error"
	// ProblemFSError counts ext2/3/4 "EXTn-fs error", XFS corruption, CRC,
	// internal and I/O errors, and btrfs error/critical lines.
	ProblemFSError Problem = "fs_error"
	// ProblemHardwareError counts machine checks ("[Hardware Error]: CPU N:
	// Machine Check", or "Machine check events logged" when no such line
	// preceded it), EDAC CE/UE reports, APEI/GHES records ("Hardware error
	// from APEI Generic Hardware Error Source"), BERT records of the
	// previous boot, UEFI CPER records printed without such a header (one
	// "[Hardware Error]: event severity: S" line each, as extlog prints
	// them), and PCIe AER error notices.
	ProblemHardwareError Problem = "hardware_error"
	// ProblemSegfault counts user processes killed by a fault: x86
	// "comm[pid]: segfault at", user "general protection fault ip:", and
	// arm64 "unhandled ... fault (11) at".
	ProblemSegfault Problem = "segfault"
	// ProblemOops counts die() lines ("Oops: 0002 [#1]", "general
	// protection fault: 0000 [#1]", "invalid opcode: 0000 [#1]", arm64
	// "Internal error: Oops: ... [#1]") and "BUG:" reports that are not
	// followed by one (scheduling while atomic, KASAN, bad page state...).
	// The "BUG: kernel NULL pointer dereference" / "BUG: unable to handle"
	// / "kernel BUG at" lines that introduce a die() line are not counted.
	ProblemOops Problem = "oops"
	// ProblemPanic counts "Kernel panic - not syncing:" (not its
	// "---[ end Kernel panic" trailer).
	ProblemPanic Problem = "panic"
	// ProblemFirmwareBug counts "[Firmware Bug]" lines and ACPI's
	// "ACPI BIOS Error" lines (not the "ACPI Error:" lines that follow).
	ProblemFirmwareBug Problem = "firmware_bug"
	// ProblemBufferIOError counts "Buffer I/O error on dev D, logical
	// block N" (older kernels: "on device D"): one per buffer the page
	// cache failed to read or write. One failed request can fail several
	// buffers, so this counts lost blocks rather than io_error's failed
	// requests; the kernel rate-limits these lines.
	ProblemBufferIOError Problem = "buffer_io_error"
	// ProblemFSReadOnly counts a filesystem that turned itself read-only
	// after an error: ext2/3/4 and others' "Remounting filesystem
	// read-only" (or "error: remounting filesystem read-only"), btrfs
	// "forced readonly", FAT and exFAT "Filesystem has been set
	// read-only". The error that caused it counts as fs_error.
	ProblemFSReadOnly Problem = "fs_readonly"
	// ProblemFSShutdown counts XFS forced shutdowns: the one "XFS (D):
	// ... Shutting down filesystem" line each shutdown prints (an error,
	// or a shutdown requested through the XFS_IOC_GOINGDOWN ioctl).
	ProblemFSShutdown Problem = "fs_shutdown"
	// ProblemFSWarning counts "EXT2/3/4-fs warning" lines (an htree
	// index full, a mount with errors...).
	ProblemFSWarning Problem = "fs_warning"
	// ProblemNetdevUnregister counts network devices whose unregistration
	// waits for references that are never dropped: "unregister_netdevice:
	// waiting for D to become free. Usage count = N". The kernel repeats
	// the line every 10 seconds (net.core.netdev_unregister_timeout_secs)
	// while it waits; a repeat for the same device within RepeatWindow of
	// the previous line is the same event.
	ProblemNetdevUnregister Problem = "unregister_netdevice"
	// ProblemNetTxTimeout counts transmit queues that the network
	// watchdog found stuck: "NETDEV WATCHDOG: ..." in each kernel's form
	// ("eth0: transmit timed out", "eth0 (e1000e): transmit queue 0 timed
	// out", and since 6.8 "<driver> <bus id> eth0: NETDEV WATCHDOG: CPU:
	// N: transmit queue Q timed out T ms"). Before 6.8 the kernel printed
	// it once per boot (WARN_ONCE); since, once per timeout.
	ProblemNetTxTimeout Problem = "net_tx_timeout"
	// ProblemNFSTimeout counts NFS servers (any SunRPC program: nfs,
	// lockd, ...) that stopped answering: "nfs: server S not responding,
	// still trying" (hard mounts) or "..., timed out" (soft mounts). The
	// kernel prints one such line per stuck request; further lines for
	// the same server count as the same outage until "nfs: server S OK",
	// or until none came for RepeatWindow.
	ProblemNFSTimeout Problem = "nfs_timeout"
)

// RepeatWindow is how close (in the records' monotonic time) a repeated
// unregister_netdevice or NFS line must follow the previous one about the
// same device or server to be the same event.
const RepeatWindow = 5 * time.Minute

// Problems lists every Problem in a stable order.
var Problems = []Problem{
	ProblemOOMKill, ProblemHungTask, ProblemSoftLockup, ProblemRCUStall,
	ProblemIOError, ProblemFSError, ProblemHardwareError, ProblemSegfault,
	ProblemOops, ProblemPanic, ProblemFirmwareBug, ProblemBufferIOError,
	ProblemFSReadOnly, ProblemFSShutdown, ProblemFSWarning,
	ProblemNetdevUnregister, ProblemNetTxTimeout, ProblemNFSTimeout,
}

var (
	reRCUStall  = regexp.MustCompile(`INFO: rcu_\w+ (?:self-)?detected (?:expedited )?stalls?\b`)
	reBlkError  = regexp.MustCompile(`(?:^|: )[a-zA-Z/ ]*error, dev [^,\s]+, sector \d+`)
	reDie       = regexp.MustCompile(`: [0-9a-fA-F]+ \[#\d+\]`)
	reSegfault  = regexp.MustCompile(`\[\d+\]: segfault at `)
	reUserGPF   = regexp.MustCompile(`\[\d+\] general protection fault ip:`)
	reArmFault  = regexp.MustCompile(`\[\d+\]: unhandled [\w ]*fault \(11\) at `)
	reMCE       = regexp.MustCompile(`\[Hardware Error\]: CPU \d+: Machine Check`)
	reEDAC      = regexp.MustCompile(`^EDAC (?:\w+ )?MC\d+: (?:\d+ )?(?:CE|UE) `)
	reAER       = regexp.MustCompile(`AER: (?:Multiple )?(?:Corrected|Uncorrected \((?:Non-Fatal|Fatal)\)) error received`)
	reXFS       = regexp.MustCompile(`^XFS \([^)]+\): (?:Metadata corruption detected|Internal error|metadata I/O error|log I/O error|Metadata CRC error detected)`)
	reBtrfs     = regexp.MustCompile(`^BTRFS(?:: error| error| critical) \(device `)
	reExt       = regexp.MustCompile(`^EXT[234]-fs error`)
	reExtWarn   = regexp.MustCompile(`^EXT[234]-fs warning`)
	reHungTask  = regexp.MustCompile(`^INFO: task .+ blocked for more than \d+ seconds`)
	reOOMKilled = regexp.MustCompile(`(?:^|: )Killed process \d+ \(`)
)

// classifier holds the little state needed to count an event spread over
// several records once.
type classifier struct {
	// mcePrinted is set by a "CPU N: Machine Check" line so that the
	// "Machine check events logged" notice that may follow it is not a
	// second event.
	mcePrinted bool
	// cperHeader is set by a GHES or BERT header line so that the CPER
	// "event severity" line printed under it is not a second event.
	cperHeader bool
	// episodes remembers the devices and servers whose repeated warnings
	// continue one event.
	episodes episodes
}

// Classify reports the problem a single record announces, if any, without
// the cross-record state Summary keeps (so a "Machine check events logged"
// notice, a CPER "event severity" line and every repeated
// unregister_netdevice or NFS warning count here). Only facility kern
// counts: user space can write any text into /dev/kmsg, but never as
// facility 0.
func Classify(r Record) (Problem, bool) {
	var c classifier
	return c.classify(r)
}

func (c *classifier) classify(r Record) (Problem, bool) {
	if r.Facility != FacilityKern {
		return "", false
	}
	m := r.Message
	switch {
	case strings.Contains(m, "Killed process ") && reOOMKilled.MatchString(m):
		return ProblemOOMKill, true
	case strings.HasPrefix(m, "Kernel panic - not syncing"):
		return ProblemPanic, true
	case strings.Contains(m, "BUG: soft lockup"):
		return ProblemSoftLockup, true
	case strings.HasPrefix(m, "INFO: task ") && reHungTask.MatchString(m):
		return ProblemHungTask, true
	case strings.Contains(m, "INFO: rcu_") && reRCUStall.MatchString(m):
		return ProblemRCUStall, true
	case strings.Contains(m, "[Firmware Bug]") || strings.HasPrefix(m, "ACPI BIOS Error"):
		return ProblemFirmwareBug, true
	case strings.Contains(m, "segfault at ") && reSegfault.MatchString(m),
		strings.Contains(m, "general protection fault ip:") && reUserGPF.MatchString(m),
		strings.Contains(m, "fault (11) at ") && reArmFault.MatchString(m):
		return ProblemSegfault, true
	case strings.Contains(m, " [#") && reDie.MatchString(m):
		return ProblemOops, true
	case strings.Contains(m, "error, dev ") && reBlkError.MatchString(m):
		return ProblemIOError, true
	case strings.HasPrefix(m, "Buffer I/O error on dev"):
		return ProblemBufferIOError, true
	}
	// A CPER header counts for the severity line of its own record only:
	// a header whose severity line was lost must not swallow the next
	// record's.
	if c.cperHeader && !strings.Contains(m, "[Hardware Error]") {
		c.cperHeader = false
	}
	if p, ok := c.hardware(m); ok {
		return p, true
	}
	if p, ok := fsProblem(m); ok {
		return p, true
	}
	if p, ok := c.network(m, r.TimestampUsec); ok {
		return p, true
	}
	if isStandaloneBUG(m) {
		return ProblemOops, true
	}
	return "", false
}

// fsProblem classifies the filesystems' own lines.
func fsProblem(m string) (Problem, bool) {
	switch {
	case strings.HasPrefix(m, "XFS (") && strings.Contains(m, "Shutting down filesystem"):
		return ProblemFSShutdown, true
	case strings.HasPrefix(m, "EXT") && reExt.MatchString(m),
		strings.HasPrefix(m, "XFS (") && reXFS.MatchString(m),
		strings.HasPrefix(m, "BTRFS") && reBtrfs.MatchString(m):
		return ProblemFSError, true
	case strings.HasSuffix(m, "emounting filesystem read-only"),
		strings.HasPrefix(m, "BTRFS info (device ") && strings.HasSuffix(m, "): forced readonly"),
		strings.HasSuffix(m, "): Filesystem has been set read-only"):
		return ProblemFSReadOnly, true
	case strings.HasPrefix(m, "EXT") && reExtWarn.MatchString(m):
		return ProblemFSWarning, true
	}
	return "", false
}

// network classifies network device and NFS lines; t is the record's
// monotonic time in microseconds.
func (c *classifier) network(m string, t uint64) (Problem, bool) {
	if dev, ok := strings.CutPrefix(m, "unregister_netdevice: waiting for "); ok {
		if i := strings.Index(dev, " to become free"); i > 0 {
			return ProblemNetdevUnregister, !c.episodes.repeat(ProblemNetdevUnregister, dev[:i], t)
		}
		return "", false
	}
	if strings.Contains(m, "NETDEV WATCHDOG: ") && strings.Contains(m, " timed out") {
		return ProblemNetTxTimeout, true
	}
	if server, ok := rpcServer(m, " not responding, "); ok {
		rest := m[len(server)+len(" not responding, "):]
		if rest == "still trying" || rest == "timed out" {
			return ProblemNFSTimeout, !c.episodes.repeat(ProblemNFSTimeout, server, t)
		}
		return "", false
	}
	if server, ok := rpcServer(m, " OK"); ok && len(server)+len(" OK") == len(m) {
		c.episodes.end(ProblemNFSTimeout, server)
	}
	return "", false
}

// rpcServer returns the "prog: server NAME" part of a SunRPC client's
// line about a server, the part before sep.
func rpcServer(m, sep string) (string, bool) {
	i := strings.IndexByte(m, ':')
	if i <= 0 || !strings.HasPrefix(m[i:], ": server ") || strings.IndexByte(m[:i], ' ') >= 0 {
		return "", false
	}
	j := strings.Index(m[i:], sep)
	if j <= len(": server ") {
		return "", false
	}
	return m[:i+j], true
}

func (c *classifier) hardware(m string) (Problem, bool) {
	switch {
	case strings.Contains(m, "Machine Check") && reMCE.MatchString(m):
		c.mcePrinted = true
		return ProblemHardwareError, true
	case strings.Contains(m, "Machine check events logged"):
		printed := c.mcePrinted
		c.mcePrinted = false
		return ProblemHardwareError, !printed
	case strings.Contains(m, "Hardware error from APEI Generic Hardware Error Source"),
		strings.HasPrefix(m, "BERT: Error records from previous boot"):
		c.cperHeader = true
		return ProblemHardwareError, true
	case isCPERSeverity(m):
		header := c.cperHeader
		c.cperHeader = false
		return ProblemHardwareError, !header
	case strings.HasPrefix(m, "EDAC ") && reEDAC.MatchString(m),
		strings.Contains(m, "AER: ") && reAER.MatchString(m):
		return ProblemHardwareError, true
	}
	return "", false
}

// isCPERSeverity reports the "event severity" line that the kernel prints
// once per UEFI CPER record, under a "[Hardware Error]: " prefix that GHES
// and extlog number ("{N}[Hardware Error]: ").
func isCPERSeverity(m string) bool {
	if strings.HasPrefix(m, "{") {
		i := strings.IndexByte(m, '}')
		if i < 0 {
			return false
		}
		m = m[i+1:]
	}
	return strings.HasPrefix(m, "[Hardware Error]: event severity: ")
}

// isStandaloneBUG reports a "BUG: ..." report that no die() line follows.
// The page-fault BUG lines always precede "Oops: ... [#N]", which is what
// counts for them; soft lockups have their own kind.
func isStandaloneBUG(m string) bool {
	rest, ok := strings.CutPrefix(m, "BUG: ")
	if !ok {
		return false
	}
	for _, p := range []string{
		"unable to handle", "kernel NULL pointer dereference",
		"soft lockup", "workqueue lockup", "kernel paging request",
	} {
		if strings.HasPrefix(rest, p) {
			return false
		}
	}
	return true
}
