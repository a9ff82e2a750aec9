package kmsg

import (
	"regexp"
	"strings"
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
	// version); the driver lines around it (ata, sd, nvme, "Buffer I/O
	// error") belong to the same failed request and are not counted.
	ProblemIOError Problem = "io_error"
	// ProblemFSError counts ext2/3/4 "EXTn-fs error", XFS corruption, CRC,
	// internal and I/O errors, and btrfs error/critical lines.
	ProblemFSError Problem = "fs_error"
	// ProblemHardwareError counts machine checks ("[Hardware Error]: CPU N:
	// Machine Check", or "Machine check events logged" when no such line
	// preceded it), EDAC CE/UE reports, APEI/GHES records ("Hardware error
	// from APEI Generic Hardware Error Source"), BERT records of the
	// previous boot, and PCIe AER error notices.
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
)

// Problems lists every Problem in a stable order.
var Problems = []Problem{
	ProblemOOMKill, ProblemHungTask, ProblemSoftLockup, ProblemRCUStall,
	ProblemIOError, ProblemFSError, ProblemHardwareError, ProblemSegfault,
	ProblemOops, ProblemPanic, ProblemFirmwareBug,
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
}

// Classify reports the problem a single record announces, if any, without
// the cross-record state Summary keeps (so a "Machine check events logged"
// notice always counts here). Only facility kern counts: user space can
// write any text into /dev/kmsg, but never as facility 0.
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
	}
	if p, ok := c.hardware(m); ok {
		return p, true
	}
	switch {
	case strings.HasPrefix(m, "EXT") && reExt.MatchString(m),
		strings.HasPrefix(m, "XFS (") && reXFS.MatchString(m),
		strings.HasPrefix(m, "BTRFS") && reBtrfs.MatchString(m):
		return ProblemFSError, true
	case isStandaloneBUG(m):
		return ProblemOops, true
	}
	return "", false
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
	case strings.HasPrefix(m, "EDAC ") && reEDAC.MatchString(m),
		strings.Contains(m, "Hardware error from APEI Generic Hardware Error Source"),
		strings.HasPrefix(m, "BERT: Error records from previous boot"),
		strings.Contains(m, "AER: ") && reAER.MatchString(m):
		return ProblemHardwareError, true
	}
	return "", false
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
