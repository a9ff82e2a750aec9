package kmsg

import (
	"testing"
)

// Real message forms as the kernel prints them, across versions. Each
// entry is one record's text; want "" means it must not count.
var classifyCases = []struct {
	msg  string
	want Problem
}{
	// OOM: 5.0+ one line per kill, with the oom-kill: summary before it.
	{"stress-ng-vm invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=1000", ""},
	{"oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice/user-0.slice/session-1.scope,task=stress-ng-vm,pid=1234,uid=0", ""},
	{"Out of memory: Killed process 1234 (stress-ng-vm) total-vm:1048576kB, anon-rss:917504kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1832kB oom_score_adj:1000", ProblemOOMKill},
	{"oom_reaper: reaped process 1234 (stress-ng-vm), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", ""},
	// cgroup v2 OOM (5.x/6.x).
	{"Memory cgroup out of memory: Killed process 4321 (python3) total-vm:2097152kB, anon-rss:524288kB, file-rss:4096kB, shmem-rss:0kB, UID:1000 pgtables:1100kB oom_score_adj:0", ProblemOOMKill},
	// Before 5.0: "Kill process ... or sacrifice child" then "Killed process".
	{"Out of memory: Kill process 2201 (java) score 912 or sacrifice child", ""},
	{"Killed process 2201 (java) total-vm:9161524kB, anon-rss:3662132kB, file-rss:0kB, shmem-rss:0kB", ProblemOOMKill},
	{"Memory cgroup out of memory: Kill process 880 (nginx) score 1000 or sacrifice child", ""},
	{"Task in /docker/abc killed as a result of limit of /docker/abc", ""},

	// Hung tasks.
	{"INFO: task kworker/u16:2:2871 blocked for more than 122 seconds.", ProblemHungTask},
	{"      Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1", ""},
	{"\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.", ""},
	{"task:kworker/u16:2   state:D stack:0     pid:2871  ppid:2      flags:0x00004000", ""},
	{"INFO: task jbd2/sda1-8:311 blocked for more than 120 seconds.", ProblemHungTask},

	// Soft lockups, 4.x+ with watchdog: prefix and 3.x without.
	{"watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:156]", ProblemSoftLockup},
	{"BUG: soft lockup - CPU#0 stuck for 67s! [swapper/0:0]", ProblemSoftLockup},

	// RCU stalls.
	{"rcu: INFO: rcu_sched self-detected stall on CPU", ProblemRCUStall},
	{"rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", ProblemRCUStall},
	{"INFO: rcu_sched detected stalls on CPUs/tasks: { 3} (detected by 0, t=15002 jiffies, g=5234, c=5233, q=77)", ProblemRCUStall},
	{"rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 2-... } 21004 jiffies s: 1033 root: 0x4/.", ProblemRCUStall},
	{"rcu: \t3-....: (5249 ticks this GP) idle=f3c/1/0x4000000000000000 softirq=20977/20977 fqs=2421", ""},
	{"rcu: Hierarchical RCU implementation.", ""},

	// Block layer I/O errors: 3.x end_request, 4.x blk_update_request,
	// 4.17-5.x print_req_error, 5.14+ bare; driver lines do not count.
	{"end_request: I/O error, dev sdb, sector 1953525160", ProblemIOError},
	{"blk_update_request: I/O error, dev sda, sector 2048 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0", ProblemIOError},
	{"print_req_error: I/O error, dev sdc, sector 0", ProblemIOError},
	{"I/O error, dev nvme0n1, sector 3907029032 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2", ProblemIOError},
	{"critical medium error, dev sdb, sector 123456 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0", ProblemIOError},
	{"Buffer I/O error on dev sda1, logical block 0, async page read", ProblemBufferIOError},
	{"sd 2:0:0:0: [sda] tag#0 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_OK cmd_age=0s", ""},
	{"ata1.00: failed command: READ FPDMA QUEUED", ""},
	{"nvme0n1: I/O Cmd(0x2) @ LBA 3907029032, 8 blocks, I/O Error (sct 0x2 / sc 0x81) MORE DNR ", ""},

	// Filesystems.
	{"EXT4-fs error (device sda2): ext4_lookup:1851: inode #2: comm ls: deleted inode referenced: 131074", ProblemFSError},
	{"EXT4-fs error (device dm-0) in ext4_reserve_inode_write:5743: Journal has aborted", ProblemFSError},
	{"EXT3-fs error (device sdb1): ext3_check_descriptors: Block bitmap for group 0 not in group (block 0)!", ProblemFSError},
	{"EXT4-fs (sda2): Remounting filesystem read-only", ProblemFSReadOnly},
	{"EXT4-fs (sda2): re-mounted. Opts: errors=remount-ro", ""},
	{"EXT4-fs (nvme0n1p2): mounted filesystem with ordered data mode. Quota mode: none.", ""},
	{"XFS (dm-2): Metadata corruption detected at xfs_buf_ioend+0x51/0x1a0 [xfs], xfs_inode block 0x3c0 xfs_inode_buf_verify", ProblemFSError},
	{"XFS (dm-2): Unmount and run xfs_repair", ""},
	{"XFS (sdb1): Internal error XFS_WANT_CORRUPTED_GOTO at line 1423 of file fs/xfs/libxfs/xfs_alloc.c.  Caller xfs_free_ag_extent+0x3f0/0x7a0 [xfs]", ProblemFSError},
	{"XFS (sda1): metadata I/O error in \"xfs_trans_read_buf_map\" at daddr 0x2 len 1 error 5", ProblemFSError},
	{"XFS (sda1): log I/O error -5", ProblemFSError},
	{"XFS (sda1): Log I/O Error Detected. Shutting down filesystem", ProblemFSShutdown},
	{"XFS (sda1): Please unmount the filesystem and rectify the problem(s)", ""},
	{"XFS (sda1): Mounting V5 Filesystem", ""},
	{"BTRFS error (device sda1): bdev /dev/sda1 errs: wr 0, rd 0, flush 0, corrupt 1, gen 0", ProblemFSError},
	{"BTRFS critical (device nvme0n1p3): corrupt leaf: root=2 block=29360128 slot=1, unexpected item end, have 16283 expect 16247", ProblemFSError},
	{"BTRFS error (device dm-0 state EA): Transaction aborted (error -5)", ProblemFSError},
	{"BTRFS: error (device sdb state EA) in btrfs_commit_transaction:2418: errno=-5 IO failure (Error while writing out transaction)", ProblemFSError},
	{"BTRFS info (device sda1): disk space caching is enabled", ""},

	// Hardware errors.
	{"mce: [Hardware Error]: CPU 0: Machine Check: 0 Bank 5: be00000000800400", ProblemHardwareError},
	{"mce: [Hardware Error]: TSC 0 ADDR fef1a140 MISC 38a0000086 SYND 4d000000 IPID 500b000000000", ""},
	{"mce: [Hardware Error]: PROCESSOR 2:a20f10 TIME 1609459200 SOCKET 0 APIC 0 microcode a201016", ""},
	{"[Hardware Error]: CPU 1: Machine Check Exception: 5 Bank 0: b200000000000005", ProblemHardwareError},
	{"EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x12345 offset:0x0 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0091 socket:0 ha:0 channel_mask:2 rank:0)", ProblemHardwareError},
	{"EDAC MC1: 1 UE memory read error on unknown memory (page:0x0 offset:0x0 grain:0)", ProblemHardwareError},
	{"EDAC MC0: CE page 0x1fd5, offset 0x340, grain 0, syndrome 0x84, row 1, channel 0, label \"\": amd64_edac", ProblemHardwareError},
	{"EDAC MC: Ver: 3.0.0", ""},
	{"EDAC amd64: F17h detected (node 0).", ""},
	{"{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0", ProblemHardwareError},
	{"{1}[Hardware Error]: event severity: corrected", ProblemHardwareError},
	{"{1}[Hardware Error]:  section_type: memory error", ""},
	{"BERT: Error records from previous boot:", ProblemHardwareError},
	{"pcieport 0000:00:1c.5: AER: Corrected error received: 0000:03:00.0", ProblemHardwareError},
	{"pcieport 0000:00:01.1: AER: Multiple Uncorrected (Non-Fatal) error received: 0000:01:00.0", ProblemHardwareError},
	{"pcieport 0000:00:1c.5: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)", ""},
	{"pcieport 0000:00:1c.0: AER: enabled with IRQ 122", ""},
	{"GHES: APEI firmware first mode is enabled by APEI bit.", ""},

	// User-space crashes.
	{"a.out[12345]: segfault at 0 ip 000055d1f2a8e139 sp 00007ffd3b1b6c10 error 6 in a.out[55d1f2a8e000+1000] likely on CPU 1 (core 1, socket 0)", ProblemSegfault},
	{"firefox[2871]: segfault at 10 ip 00007f3c1a2b3c4d sp 00007ffc8d9e0f10 error 4 in libxul.so[7f3c10000000+5a00000]", ProblemSegfault},
	{"Code: 48 89 e5 c7 45 fc 00 00 00 00 8b 45 fc 48 98 <c7> 04 85 00 00 00 00 01 00 00 00 b8 00 00 00 00 5d c3", ""},
	{"traps: chrome[4242] general protection fault ip:5581e5f1a2b3 sp:7ffe1c2d3e40 error:0 in chrome[5581e0000000+9a00000]", ProblemSegfault},
	{"test[301]: unhandled level 2 translation fault (11) at 0x00000000, esr 0x92000006, in test[400000+1000]", ProblemSegfault},

	// Oopses: the die() line counts; the BUG lines that introduce it do not.
	{"BUG: kernel NULL pointer dereference, address: 0000000000000008", ""},
	{"#PF: supervisor read access in kernel mode", ""},
	{"Oops: 0000 [#1] PREEMPT SMP NOPTI", ProblemOops},
	{"BUG: unable to handle kernel NULL pointer dereference at 0000000000000010", ""},
	{"BUG: unable to handle page fault for address: ffffffffc0a8b000", ""},
	{"Oops: 0002 [#2] SMP PTI", ProblemOops},
	{"general protection fault: 0000 [#1] SMP PTI", ProblemOops},
	{"general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI", ProblemOops},
	{"Oops: general protection fault, probably for non-canonical address 0x6b6b6b6b6b6b6b6b: 0000 [#1] PREEMPT SMP KASAN NOPTI", ProblemOops},
	{"kernel BUG at mm/slub.c:4087!", ""},
	{"invalid opcode: 0000 [#1] SMP NOPTI", ProblemOops},
	{"Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI", ProblemOops},
	{"Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP", ProblemOops},
	{"Internal error: Oops - BUG: 00000000f2000800 [#1] PREEMPT SMP", ProblemOops},
	{"BUG: scheduling while atomic: swapper/0/0/0x00000002", ProblemOops},
	{"BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580", ProblemOops},
	{"BUG: KASAN: use-after-free in ext4_find_extent+0x8a2/0x9e0", ProblemOops},
	{"BUG: Bad page state in process swapper/0  pfn:1f0b48", ProblemOops},
	{"WARNING: CPU: 2 PID: 451 at drivers/gpu/drm/i915/intel_pm.c:3661 intel_enable_sagv+0x5c/0x80 [i915]", ""},
	{"CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1", ""},

	// Panics.
	{"Kernel panic - not syncing: Fatal exception", ProblemPanic},
	{"Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)", ProblemPanic},
	{"---[ end Kernel panic - not syncing: Fatal exception ]---", ""},
	{"drm: registered panic notifier", ""},
	{"panic=-1", ""},

	// Firmware bugs.
	{"[Firmware Bug]: TSC doesn't count with P0 frequency!", ProblemFirmwareBug},
	{"[Firmware Bug]: ACPI: BIOS _OSI(Linux) query ignored", ProblemFirmwareBug},
	{"DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [0x000000003e2e0000-0x000000003e2fffff], contact BIOS vendor for fixes", ProblemFirmwareBug},
	{"ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0.GPP0.SWUS], AE_NOT_FOUND (20230628/dswload2-162)", ProblemFirmwareBug},
	{"ACPI Error: AE_NOT_FOUND, During name lookup/catalog (20230628/psobject-220)", ""},
	{"ACPI BIOS Error (bug): Failure creating named object [\\_SB.PCI0.XHC.RHUB.HS01._UPC], AE_ALREADY_EXISTS (20210730/dswload2-327)", ProblemFirmwareBug},
	{"[Firmware Warn]: GHES: Poll interval is 0 for generic hardware error source: 1, disabled.", ""},
	{"[Firmware Info]: PCI: MMCONFIG at [mem 0xe0000000-0xefffffff] not reserved in ACPI motherboard resources", ""},

	// Ordinary boot lines.
	{"Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)", ""},
	{"Run /init as init process", ""},
	{"usb 3-3.1: USB disconnect, device number 44", ""},
}

func TestClassify(t *testing.T) {
	for _, tc := range append(classifyCases[:len(classifyCases):len(classifyCases)], npdCases...) {
		rec := Record{Facility: FacilityKern, Level: LevelErr, Message: tc.msg}
		got, ok := Classify(rec)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("Classify(%q) = %q, %v; want %q", tc.msg, got, ok, tc.want)
		}
		// User space may write the same text into /dev/kmsg (as
		// facility user or any other but kern): it never counts.
		for _, f := range []Facility{FacilityUser, FacilityDaemon, FacilitySyslog, FacilityLocal7} {
			rec.Facility = f
			if p, ok := Classify(rec); ok {
				t.Errorf("Classify(%q) as facility %v = %q, want nothing", tc.msg, f, p)
			}
		}
	}
}

func TestClassifyEveryKindCovered(t *testing.T) {
	seen := map[Problem]int{}
	for _, tc := range append(classifyCases[:len(classifyCases):len(classifyCases)], npdCases...) {
		if tc.want != "" {
			seen[tc.want]++
		}
	}
	for _, p := range Problems {
		if seen[p] < 2 {
			t.Errorf("problem %q has %d positive cases, want at least 2", p, seen[p])
		}
	}
}

// TestMachineCheckCountedOnce feeds a machine check printed by the kernel
// (header line, details, then the "events logged" notice) and a notice on
// its own (a daemon such as rasdaemon consumed the details).
func TestMachineCheckCountedOnce(t *testing.T) {
	s := NewSummary()
	for i, m := range []string{
		"mce: [Hardware Error]: Machine check events logged",
		"mce: [Hardware Error]: CPU 2: Machine Check: 0 Bank 17: dc2040000000011b",
		"mce: [Hardware Error]: TSC 0 ADDR 1ffffffae2e0 MISC d012000000000000 SYND 5d000000 IPID 9600450f00",
		"mce: [Hardware Error]: PROCESSOR 2:a20f10 TIME 1609459200 SOCKET 0 APIC 4 microcode a201016",
		"mce: [Hardware Error]: Machine check events logged",
	} {
		s.Add(Record{Seq: uint64(i), Level: LevelWarning, Message: m})
	}
	if got := s.Snapshot().Problems[ProblemHardwareError].Count; got != 2 {
		t.Errorf("hardware_error = %d, want 2", got)
	}
}
