package kmsg

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// npdCases are the single-record forms of the kinds added for parity with
// node-problem-detector, as kernels print them (formats from the kernel's
// printk calls; values from public kernel reports). TestClassify and
// TestClassifyEveryKindCovered run them with classifyCases, which stays
// unchanged so that BenchmarkClassify/cases compares like with like.
var npdCases = []struct {
	msg  string
	want Problem
}{
	// fs/buffer.c buffer_io_error, 2.6.x "on device" and 4.x+ "on dev".
	{"Buffer I/O error on dev nvme0n1, logical block 0, async page read", ProblemBufferIOError},
	{"Buffer I/O error on dev dm-4, logical block 1610612731, lost async page write", ProblemBufferIOError},
	{"Buffer I/O error on device sr0, logical block 0", ProblemBufferIOError},

	// Read-only after an error: ext4_handle_error, ext2/ext3 ext*_msg,
	// btrfs_handle_fs_error, fat_fs_error / exfat_fs_error.
	{"EXT4-fs (dm-17): Remounting filesystem read-only", ProblemFSReadOnly},
	{"EXT2-fs (sdb1): error: remounting filesystem read-only", ProblemFSReadOnly},
	{"EXT3-fs (sda3): error: remounting filesystem read-only", ProblemFSReadOnly},
	{"BTRFS info (device sdf): forced readonly", ProblemFSReadOnly},
	{"BTRFS info (device nvme0n1p2 state EA): forced readonly", ProblemFSReadOnly},
	{"FAT-fs (sdb1): Filesystem has been set read-only", ProblemFSReadOnly},
	{"exFAT-fs (loop5): Filesystem has been set read-only", ProblemFSReadOnly},
	{"EXT4-fs (sda2): re-mounted. Opts: errors=remount-ro", ""},
	{"EXT4-fs (sda1): mounted filesystem 1b2c3d4e-0000-4000-8000-000000000000 ro with ordered data mode. Quota mode: none.", ""},
	{"BTRFS info (device sda1): use zstd compression, level 3", ""},

	// XFS forced shutdown, 4.x-5.x and 5.x+ forms.
	{"XFS (dm-0): Corruption of in-memory data detected.  Shutting down filesystem", ProblemFSShutdown},
	{"XFS (dm-0): Log I/O Error (0x2) detected at xlog_ioend_work+0x60/0xb0 [xfs] (fs/xfs/xfs_log.c:1377).  Shutting down filesystem.", ProblemFSShutdown},
	{"XFS (loop0): Metadata I/O Error (0x1) detected at xfs_trans_read_buf_map+0x1fe/0x4c0 [xfs] (fs/xfs/xfs_trans_buf.c:311).  Shutting down filesystem.", ProblemFSShutdown},
	{"XFS (vdc): User initiated shutdown received.", ""},
	{"XFS (dm-0): Unmounting Filesystem", ""},

	// __ext4_warning and __ext4_warning_inode.
	{"EXT4-fs warning (device sda1): ext4_dx_add_entry:2461: Directory (ino: 2097153) index full, reach max htree level :2", ProblemFSWarning},
	{"EXT4-fs warning (device dm-3): ext4_resize_begin:80: There are errors in the filesystem, so online resizing is not allowed", ProblemFSWarning},
	{"EXT4-fs (sda1): warning: mounting fs with errors, running e2fsck is recommended", ""},

	// net/core/dev.c netdev_wait_allrefs(_any).
	{"unregister_netdevice: waiting for lo to become free. Usage count = 1", ProblemNetdevUnregister},
	{"unregister_netdevice: waiting for veth4f2a1b3 to become free. Usage count = 2", ProblemNetdevUnregister},
	{"unregister_netdevice: waiting for eth0 (no usage count)", ""},

	// net/sched/sch_generic.c dev_watchdog: 2.6.2x, 2.6.3x-6.5, 6.6-6.7
	// (WARN_ONCE with the time), 6.8+ (netdev_crit, with its prefix).
	{"NETDEV WATCHDOG: eth0: transmit timed out", ProblemNetTxTimeout},
	{"NETDEV WATCHDOG: eth2 (igb): transmit queue 4 timed out", ProblemNetTxTimeout},
	{"NETDEV WATCHDOG: enp3s0 (r8169): transmit queue 0 timed out 5120 ms", ProblemNetTxTimeout},
	{"virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 1: transmit queue 0 timed out 5440 ms", ProblemNetTxTimeout},
	{"eth0: Transmit timeout, status 0d 0000 c07f media 80.", ""},

	// net/sunrpc/clnt.c rpc_check_timeout, hard and soft mounts.
	{"nfs: server 10.2.80.41 not responding, still trying", ProblemNFSTimeout},
	{"nfs: server nfs-storage-01 not responding, timed out", ProblemNFSTimeout},
	{"lockd: server 192.168.1.5 not responding, still trying", ProblemNFSTimeout},
	{"nfs: server 10.2.80.41 OK", ""},
	{"NFS: Registering the id_resolver key type", ""},
	{"the nfs: server is not responding, probably", ""},
}

// npdRules are the kernel patterns in node-problem-detector's
// configurations (config/kernel-monitor.json, kernel-monitor-filelog.json,
// kernel-monitor-counter.json, readonly-monitor.json and the ConfigMap in
// deployment/node-problem-detector-config.yaml, at commit 6632ca67), then
// the further kernel problems issue 17 names (pattern ""). Each comes with
// one event as a kernel prints it, records in order; NPD's pattern must
// match the event and Summary must count it as want, once.
var npdRules = []struct {
	reason, pattern string
	event           []string
	want            map[Problem]uint64
}{
	{"OOMKilling", `Killed process \d+ (.+) total-vm:\d+kB, anon-rss:\d+kB, file-rss:\d+kB.*`, []string{
		"stress-ng-vm invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=1000",
		"oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=stress-ng-vm,pid=1234,uid=0",
		"Out of memory: Killed process 1234 (stress-ng-vm) total-vm:1048576kB, anon-rss:917504kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1832kB oom_score_adj:1000",
		"oom_reaper: reaped process 1234 (stress-ng-vm), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
	}, map[Problem]uint64{ProblemOOMKill: 1}},
	{"OOMKilling", `Kill process \d+ (.+) score \d+ or sacrifice child\nKilled process \d+ (.+) total-vm:\d+kB, anon-rss:\d+kB, file-rss:\d+kB.*`, []string{
		"Memory cgroup out of memory: Kill process 880 (nginx) score 1000 or sacrifice child",
		"Killed process 880 (nginx) total-vm:327128kB, anon-rss:306328kB, file-rss:11132kB, shmem-rss:0kB",
	}, map[Problem]uint64{ProblemOOMKill: 1}},
	{"TaskHung", `task [\S ]+:\w+ blocked for more than \w+ seconds\.`, []string{
		"INFO: task airflow schedul:3175 blocked for more than 120 seconds.",
		"      Not tainted 5.10.0-28-amd64 #1 Debian 5.10.209-2",
		"\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
		"task:airflow schedul state:D stack:    0 pid: 3175 ppid:     1 flags:0x00000000",
	}, map[Problem]uint64{ProblemHungTask: 1}},
	{"TaskHung", `task \S+:\w+ blocked for more than \w+ seconds\.`, []string{
		"INFO: task jbd2/sda1-8:311 blocked for more than 120 seconds.",
	}, map[Problem]uint64{ProblemHungTask: 1}},
	{"DockerHung", `task docker:\w+ blocked for more than \w+ seconds\.`, []string{
		"INFO: task docker:20744 blocked for more than 120 seconds.",
		"      Tainted: G         C    3.16.0-4-amd64 #1",
	}, map[Problem]uint64{ProblemHungTask: 1}},
	{"UnregisterNetDevice", `unregister_netdevice: waiting for \w+ to become free. Usage count = \d+`, []string{
		"unregister_netdevice: waiting for lo to become free. Usage count = 1",
		"unregister_netdevice: waiting for lo to become free. Usage count = 1",
		"unregister_netdevice: waiting for lo to become free. Usage count = 1",
	}, map[Problem]uint64{ProblemNetdevUnregister: 1}},
	{"KernelOops", `BUG: unable to handle kernel NULL pointer dereference at .*`, []string{
		"BUG: unable to handle kernel NULL pointer dereference at 0000000000000010",
		"IP: [<ffffffff811b3f2e>] __kmalloc+0x8e/0x1e0",
		"PGD 0 ",
		"Oops: 0000 [#1] SMP ",
		"CPU: 3 PID: 2201 Comm: kworker/3:1 Not tainted 4.4.0-21-generic #37-Ubuntu",
	}, map[Problem]uint64{ProblemOops: 1}},
	{"KernelOops", `divide error: 0000 \[#\d+\] SMP`, []string{
		"divide error: 0000 [#1] SMP ",
		"CPU: 1 PID: 1853 Comm: docker Tainted: G         C    3.16.0-4-amd64 #1 Debian 3.16.7-ckt20-1+deb8u4",
	}, map[Problem]uint64{ProblemOops: 1}},
	{"Ext4Error", `EXT4-fs error .*`, []string{
		"EXT4-fs error (device sda2): ext4_lookup:1851: inode #2: comm ls: deleted inode referenced: 131074",
	}, map[Problem]uint64{ProblemFSError: 1}},
	{"Ext4Warning", `EXT4-fs warning .*`, []string{
		"EXT4-fs warning (device sda1): ext4_dx_add_entry:2461: Directory (ino: 2097153) index full, reach max htree level :2",
	}, map[Problem]uint64{ProblemFSWarning: 1}},
	{"IOError", `Buffer I/O error .*`, []string{
		"blk_update_request: operation not supported error, dev nvme0n1, sector 0 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
		"Buffer I/O error on dev nvme0n1, logical block 0, async page read",
	}, map[Problem]uint64{ProblemIOError: 1, ProblemBufferIOError: 1}},
	{"XfsHasShutdown", `XFS .* Shutting down filesystem.?`, []string{
		"XFS (dm-0): log I/O error -5",
		"XFS (dm-0): Log I/O Error (0x2) detected at xlog_ioend_work+0x60/0xb0 [xfs] (fs/xfs/xfs_log.c:1377).  Shutting down filesystem.",
		"XFS (dm-0): Please unmount the filesystem and rectify the problem(s)",
	}, map[Problem]uint64{ProblemFSError: 1, ProblemFSShutdown: 1}},
	{"MemoryReadError", `CE memory read error .*`, []string{
		"EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x4a8b8a offset:0x300 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0091 socket:0 ha:0 channel_mask:2 rank:0)",
	}, map[Problem]uint64{ProblemHardwareError: 1}},
	{"CperHardwareErrorCorrected", `.*\[Hardware Error\]: event severity: corrected$`, []string{
		"{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0",
		"{1}[Hardware Error]: It has been corrected by h/w and requires no further action",
		"{1}[Hardware Error]: event severity: corrected",
		"{1}[Hardware Error]:  Error 0, type: corrected",
		"{1}[Hardware Error]:   section_type: memory error",
	}, map[Problem]uint64{ProblemHardwareError: 1}},
	{"CperHardwareErrorRecoverable", `.*\[Hardware Error\]: event severity: recoverable$`, []string{
		"{2}[Hardware Error]: Hardware error detected on CPU0",
		"{2}[Hardware Error]: event severity: recoverable",
		"{2}[Hardware Error]:  Error 0, type: recoverable",
	}, map[Problem]uint64{ProblemHardwareError: 1}},
	{"CperHardwareErrorFatal", `.*\[Hardware Error\]: event severity: fatal$`, []string{
		"{3}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 1",
		"{3}[Hardware Error]: event severity: fatal",
		"{3}[Hardware Error]:  Error 0, type: fatal",
		"Kernel panic - not syncing: Fatal hardware error!",
	}, map[Problem]uint64{ProblemHardwareError: 1, ProblemPanic: 1}},
	{"CperHardwareErrorRecoverable", `.*\[Hardware Error\]: event severity: recoverable$`, []string{
		// A GHES header whose severity line was lost (rate-limited),
		// other kernel lines, then an extlog record of its own.
		"{4}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0",
		"mce: [Hardware Error]: Machine check events logged",
		"EXT4-fs (sda1): mounted filesystem with ordered data mode",
		"[Hardware Error]: event severity: recoverable",
	}, map[Problem]uint64{ProblemHardwareError: 3}},
	{"FilesystemIsReadOnly", `Remounting filesystem read-only`, []string{
		"EXT4-fs error (device dm-17): ext4_journal_check_start:87: comm mosquitto: Detected aborted journal",
		"EXT4-fs (dm-17): Remounting filesystem read-only",
	}, map[Problem]uint64{ProblemFSError: 1, ProblemFSReadOnly: 1}},

	// Issue 17's further kernel problems.
	{"NETDEV WATCHDOG", "", []string{
		"------------[ cut here ]------------",
		"NETDEV WATCHDOG: eth2 (igb): transmit queue 4 timed out",
		"WARNING: CPU: 1 PID: 0 at net/sched/sch_generic.c:480 dev_watchdog+0xcf/0x128",
		"---[ end trace 9a1c2b3d4e5f6a7b ]---",
	}, map[Problem]uint64{ProblemNetTxTimeout: 1}},
	{"kernel BUG at", "", []string{
		"kernel BUG at fs/ext4/inode.c:2741!",
		"invalid opcode: 0000 [#1] SMP PTI",
		"RIP: 0010:ext4_writepages+0xd6d/0xe10",
	}, map[Problem]uint64{ProblemOops: 1}},
	{"general protection fault", "", []string{
		"general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP PTI",
		"CPU: 3 PID: 812 Comm: kworker/3:2 Not tainted 5.15.0-91-generic #101-Ubuntu",
	}, map[Problem]uint64{ProblemOops: 1}},
	{"BUG: unable to handle", "", []string{
		"BUG: unable to handle page fault for address: ffffffffc0a8b000",
		"#PF: supervisor write access in kernel mode",
		"#PF: error_code(0x0003) - permissions violation",
		"Oops: 0003 [#1] PREEMPT SMP NOPTI",
	}, map[Problem]uint64{ProblemOops: 1}},
	{"divide error (6.9+)", "", []string{
		"Oops: divide error: 0000 [#1] PREEMPT SMP KASAN NOPTI",
	}, map[Problem]uint64{ProblemOops: 1}},
	{"NFS server not responding", "", []string{
		"nfs: server 10.2.80.41 not responding, still trying",
		"nfs: server 10.2.80.41 not responding, still trying",
		"nfs: server 10.2.80.41 OK",
		"nfs: server 10.2.80.41 OK",
		"nfs: server 10.2.80.41 not responding, still trying",
		"nfs: server backup not responding, timed out",
	}, map[Problem]uint64{ProblemNFSTimeout: 3}},
}

func TestNPDPatterns(t *testing.T) {
	for _, rule := range npdRules {
		if rule.pattern != "" {
			// NPD matches a rule against its buffer of recent
			// records joined by newlines, or against one record.
			re := regexp.MustCompile(rule.pattern)
			matched := re.MatchString(strings.Join(rule.event, "\n"))
			for _, m := range rule.event {
				matched = matched || re.MatchString(m)
			}
			if !matched {
				t.Errorf("%s: NPD's pattern %q matches no record of the event", rule.reason, rule.pattern)
			}
		}
		s := NewSummary()
		for i, m := range rule.event {
			s.Add(Record{Seq: uint64(i), TimestampUsec: uint64(i) * 10_000_000, Level: LevelErr, Message: m})
		}
		got := map[Problem]uint64{}
		for p, pc := range s.Snapshot().Problems {
			if pc.Count != 0 {
				got[p] = pc.Count
			}
		}
		if diff := cmp.Diff(rule.want, got); diff != "" {
			t.Errorf("%s: counts (-want +got):\n%s", rule.reason, diff)
		}
	}
}

// TestRepeatedWarnings follows the kernel's repeated warnings about one
// device or server: repeats continue one event while they keep coming
// within RepeatWindow, other devices are events of their own, and more
// devices than the tracker holds at once are still counted.
func TestRepeatedWarnings(t *testing.T) {
	sec := func(s float64) uint64 { return uint64(s * 1e6) }
	window := RepeatWindow.Seconds()
	s := NewSummary()
	seq := uint64(0)
	add := func(at uint64, msg string) {
		s.Add(Record{Seq: seq, TimestampUsec: at, Level: LevelEmerg, Message: msg})
		seq++
	}
	lo := "unregister_netdevice: waiting for lo to become free. Usage count = 1"
	for i := range 100 { // stuck for 1,000 s, one warning every 10 s
		add(sec(float64(i*10)), lo)
	}
	// Another device meanwhile; then lo again after a long quiet spell:
	// a new namespace's loopback, a new event.
	add(sec(1000), "unregister_netdevice: waiting for veth1 to become free. Usage count = 3")
	add(sec(1000+window+1), lo)
	// Twenty devices at once, each warned about twice, more than the
	// tracker remembers: every device counts, at most once more each.
	for round := range 2 {
		for d := range 20 {
			add(sec(5000+float64(round*10)), "unregister_netdevice: waiting for veth"+string(rune('a'+d))+" to become free. Usage count = 2")
		}
	}
	got := s.Snapshot().Problems[ProblemNetdevUnregister].Count
	if got < 3+20 || got > 3+40 {
		t.Errorf("unregister_netdevice = %d, want between %d and %d", got, 3+20, 3+40)
	}

	// A record timestamp that goes backwards (another boot's records in
	// a capture) starts a new event.
	var c classifier
	if _, ok := c.classify(Record{TimestampUsec: sec(100), Message: lo}); !ok {
		t.Error("first warning not counted")
	}
	if _, ok := c.classify(Record{TimestampUsec: sec(110), Message: lo}); ok {
		t.Error("repeat 10 s later counted")
	}
	if _, ok := c.classify(Record{TimestampUsec: sec(5), Message: lo}); !ok {
		t.Error("warning earlier than the last one not counted")
	}
}
