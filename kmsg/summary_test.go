package kmsg

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func summarize(recs []Record) Snapshot {
	s := NewSummary()
	for _, r := range recs {
		s.Add(r)
	}
	return s.Snapshot()
}

func problemCounts(snap Snapshot) map[Problem]uint64 {
	out := map[Problem]uint64{}
	for p, c := range snap.Problems {
		if c.Count > 0 {
			out[p] = c.Count
		}
	}
	return out
}

// TestSummaryBoots checks the milestones of the seven QEMU boots against
// facts recorded beside them: /proc/cmdline, the SecureBoot EFI variable,
// the firmware kind and SMBIOS entry point kind the boots were made with.
func TestSummaryBoots(t *testing.T) {
	for _, dir := range bootDirs(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			recs, _ := readCapture(t, filepath.Join(dir, "dev-kmsg.txt"))
			snap := summarize(recs)
			if snap.RecordsSeen != uint64(len(recs)) || snap.FirstSeq != 0 || snap.LastSeq != uint64(len(recs)-1) || snap.RecordsLost != 0 {
				t.Errorf("seen %d first %d last %d lost %d for %d records", snap.RecordsSeen, snap.FirstSeq, snap.LastSeq, snap.RecordsLost, len(recs))
			}
			var sum uint64
			for _, n := range snap.Levels {
				sum += n
			}
			if sum != snap.RecordsSeen || snap.Facilities["kern"] != snap.RecordsSeen || len(snap.Levels) != 8 {
				t.Errorf("levels %v facilities %v do not add up to %d", snap.Levels, snap.Facilities, snap.RecordsSeen)
			}
			ms := snap.Milestones
			if ms.KernelVersion != "6.1.0-56-amd64" || ms.KernelBanner == nil || ms.KernelBanner.Seq != 0 {
				t.Errorf("kernel banner %+v version %q", ms.KernelBanner, ms.KernelVersion)
			}
			cmdline, err := os.ReadFile(filepath.Join(dir, "proc-cmdline"))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(string(cmdline)); ms.CommandLineText != want {
				t.Errorf("command line %q, /proc/cmdline %q", ms.CommandLineText, want)
			}
			uefi := strings.HasPrefix(name, "ovmf-")
			if uefi != (ms.EFI != nil) {
				t.Errorf("EFI milestone %+v for %s", ms.EFI, name)
			}
			if uefi {
				if ms.EFIVendor != "EDK II" || ms.EFIVersion == "" {
					t.Errorf("EFI %q by %q", ms.EFIVersion, ms.EFIVendor)
				}
				sb, err := filepath.Glob(filepath.Join(dir, "efivars", "SecureBoot-*"))
				if err != nil || len(sb) != 1 {
					t.Fatalf("SecureBoot variable: %v %v", sb, err)
				}
				v, err := os.ReadFile(sb[0])
				if err != nil || len(v) != 5 {
					t.Fatalf("SecureBoot variable %x: %v", v, err)
				}
				want := map[byte]string{0: "disabled", 1: "enabled"}[v[4]]
				if ms.SecureBootState != want || ms.SecureBoot == nil {
					t.Errorf("secure boot %q, the variable says %q", ms.SecureBootState, want)
				}
			} else if ms.SecureBoot != nil {
				t.Errorf("legacy BIOS boot reports secure boot: %+v", ms.SecureBoot)
			}
			// The ep64 boots were given a 64-bit (SMBIOS 3) entry point.
			if ep64 := strings.Contains(name, "ep64"); ep64 != strings.HasPrefix(ms.SMBIOSVersion, "3.") || ms.SMBIOS == nil {
				t.Errorf("SMBIOS version %q for %s", ms.SMBIOSVersion, name)
			}
			if ms.DMI == nil || !strings.Contains(ms.DMI.Message, "QEMU") {
				t.Errorf("DMI %+v", ms.DMI)
			}
			if ms.InitPath != "/init" || ms.InitHandoff == nil || ms.FreeingInitMem == nil ||
				ms.FreeingInitMem.TimestampUsec > ms.InitHandoff.TimestampUsec || ms.InitHandoff.TimestampUsec == 0 {
				t.Errorf("init handoff %+v after freeing %+v", ms.InitHandoff, ms.FreeingInitMem)
			}
			if ms.Taint.Tainted {
				t.Errorf("taint %+v", ms.Taint)
			}
			if got := problemCounts(snap); len(got) != 0 {
				t.Errorf("problems in a clean boot: %v", got)
			}
			if len(snap.Problems) != len(Problems) {
				t.Errorf("snapshot lists %d problems, want all %d", len(snap.Problems), len(Problems))
			}
		})
	}
}

// dmesgLine is a line of plain dmesg output.
var dmesgLine = regexp.MustCompile(`^\[ *(\d+)\.(\d{6})\] (.*)$`)

// TestSummaryDmesgText feeds the 2011 Lenovo boot (kernel 3.0, dmesg text
// form) as kernel records: its one "[Firmware Bug]" line must count and
// lines such as "drm: registered panic notifier" or "EXT4-fs (sda2):
// re-mounted. Opts: errors=remount-ro" must not.
func TestSummaryDmesgText(t *testing.T) {
	f, err := os.Open(filepath.Join(testutil.Shared(t, "dmesg", "fwts"), "lenovo-0769BMG-bios-linux-3.0-klog.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := dmesgLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		sec, _ := strconv.ParseUint(m[1], 10, 64)
		usec, _ := strconv.ParseUint(m[2], 10, 64)
		recs = append(recs, Record{Level: LevelInfo, Seq: uint64(len(recs)), TimestampUsec: sec*1e6 + usec, Flag: '-', Message: m[3]})
	}
	if len(recs) < 1000 {
		t.Fatalf("read %d lines", len(recs))
	}
	snap := summarize(recs)
	if diff := cmp.Diff(map[Problem]uint64{ProblemFirmwareBug: 1}, problemCounts(snap)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if last := snap.Problems[ProblemFirmwareBug].Last; last == nil || last.Message != "[Firmware Bug]: ACPI: BIOS _OSI(Linux) query ignored" || last.TimestampUsec != 228089 {
		t.Errorf("last firmware bug %+v", last)
	}
	ms := snap.Milestones
	if ms.KernelVersion != "3.0.0-12-generic" || !strings.HasPrefix(ms.CommandLineText, "BOOT_IMAGE=/vmlinuz-3.0.0-12-generic ") {
		t.Errorf("version %q command line %q", ms.KernelVersion, ms.CommandLineText)
	}
	if ms.FreeingInitMem == nil || ms.FreeingInitMem.Message != "Freeing unused kernel memory: 984k freed" {
		t.Errorf("freeing init memory %+v", ms.FreeingInitMem)
	}
	if ms.DMI == nil || !strings.HasPrefix(ms.DMI.Message, "DMI: LENOVO 0769BMG") {
		t.Errorf("DMI %+v", ms.DMI)
	}
}

func kern(seq uint64, usec uint64, lvl Level, msg string) Record {
	return Record{Facility: FacilityKern, Level: lvl, Seq: seq, TimestampUsec: usec, Flag: '-', Message: msg}
}

// TestSummaryMultiLineEvents feeds whole events as the kernel logs them,
// several records each, and user-space records that imitate them.
func TestSummaryMultiLineEvents(t *testing.T) {
	var recs []Record
	add := func(fac Facility, lvl Level, lines ...string) {
		for _, l := range lines {
			r := kern(uint64(len(recs)), uint64(1000*len(recs)), lvl, l)
			r.Facility = fac
			recs = append(recs, r)
		}
	}
	// A 6.1 global OOM killing two processes in turn.
	for _, pid := range []string{"1234", "1240"} {
		add(FacilityKern, LevelWarning,
			"stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
			"CPU: 1 PID: "+pid+" Comm: stress Not tainted 6.1.0-13-amd64 #1  Debian 6.1.55-1",
			"Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014",
			"Call Trace:",
			" <TASK>",
			" dump_stack_lvl+0x44/0x5c",
			" dump_header+0x4a/0x211",
			" oom_kill_process.cold+0xb/0x10",
			" out_of_memory+0x1fd/0x4c0",
			" </TASK>",
			"Mem-Info:",
			"active_anon:462 inactive_anon:230112 isolated_anon:0",
			"Tasks state (memory values in pages):",
			"[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
			"[   "+pid+"]     0  "+pid+"   263201   230000  1900544        0             0 stress",
			"oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=stress,pid="+pid+",uid=0")
		add(FacilityKern, LevelErr, "Out of memory: Killed process "+pid+" (stress) total-vm:1052804kB, anon-rss:920000kB, file-rss:4kB, shmem-rss:0kB, UID:0 pgtables:1856kB oom_score_adj:0")
	}
	// A cgroup OOM on 4.x: "Kill process ... or sacrifice child" then "Killed process".
	add(FacilityKern, LevelErr,
		"Memory cgroup out of memory: Kill process 880 (nginx) score 1000 or sacrifice child",
		"Killed process 880 (nginx) total-vm:120000kB, anon-rss:64000kB, file-rss:1200kB, shmem-rss:0kB")
	// A NULL dereference oops that ends in a panic.
	add(FacilityKern, LevelAlert,
		"BUG: kernel NULL pointer dereference, address: 0000000000000008",
		"#PF: supervisor read access in kernel mode",
		"#PF: error_code(0x0000) - not-present page")
	add(FacilityKern, LevelInfo, "PGD 0 P4D 0 ")
	add(FacilityKern, LevelWarning,
		"Oops: 0000 [#1] PREEMPT SMP NOPTI",
		"CPU: 0 PID: 77 Comm: insmod Tainted: G           O       6.1.0-13-amd64 #1  Debian 6.1.55-1",
		"RIP: 0010:crash_init+0x5/0x1000 [crash]",
		"Kernel panic - not syncing: Fatal exception",
		"Kernel Offset: 0x2a000000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)",
		"---[ end Kernel panic - not syncing: Fatal exception ]---")
	// A hung task report with its stack.
	add(FacilityKern, LevelErr,
		"INFO: task kworker/u4:1:55 blocked for more than 120 seconds.",
		"      Tainted: G           O       6.1.0-13-amd64 #1 Debian 6.1.55-1",
		"\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
		"task:kworker/u4:1    state:D stack:0     pid:55    ppid:2      flags:0x00004000")
	// User space writing look-alikes into /dev/kmsg, as facility user
	// (the kernel's default for writes) and as daemon.
	add(FacilityUser, LevelErr,
		"Out of memory: Killed process 999 (fake) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		"Kernel panic - not syncing: not really",
		"Linux version 0.0.1-fake")
	add(FacilityDaemon, LevelCrit, "oom-kill:constraint=CONSTRAINT_NONE,task=fake,pid=999,uid=0",
		"Memory cgroup out of memory: Killed process 998 (fake)")

	snap := summarize(recs)
	want := map[Problem]uint64{ProblemOOMKill: 3, ProblemOops: 1, ProblemPanic: 1, ProblemHungTask: 1}
	if diff := cmp.Diff(want, problemCounts(snap)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if last := snap.Problems[ProblemOOMKill].Last; last == nil || !strings.HasPrefix(last.Message, "Killed process 880 (nginx)") {
		t.Errorf("last OOM kill %+v", last)
	}
	if snap.Milestones.KernelBanner != nil {
		t.Errorf("user space set the kernel banner: %+v", snap.Milestones.KernelBanner)
	}
	if !snap.Milestones.Taint.Tainted || snap.Milestones.Taint.Flags != "G O" {
		t.Errorf("taint %+v", snap.Milestones.Taint)
	}
	if snap.Facilities["user"] != 3 || snap.Facilities["daemon"] != 2 || snap.KernelRecords != snap.RecordsSeen-5 {
		t.Errorf("facilities %v, kernel records %d of %d", snap.Facilities, snap.KernelRecords, snap.RecordsSeen)
	}
}

func TestSummaryTaint(t *testing.T) {
	tests := []struct {
		lines []string
		want  Taint
	}{{
		lines: []string{"CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1"},
		want:  Taint{},
	}, {
		lines: []string{
			"nvidia: loading out-of-tree module taints kernel.",
			"nvidia: module license 'NVIDIA' taints kernel.",
			"Disabling lock debugging due to kernel taint",
			"nvidia: module verification failed: signature and/or required key missing - tainting kernel",
			"nvidia: loading out-of-tree module taints kernel.",
		},
		want: Taint{Tainted: true, Reasons: []string{
			"nvidia: loading out-of-tree module taints kernel.",
			"nvidia: module license 'NVIDIA' taints kernel.",
			"nvidia: module verification failed: signature and/or required key missing - tainting kernel",
		}},
	}, {
		// 6.10+ prints the flags on their own line.
		lines: []string{"Tainted: [W]=WARN, [O]=OOT_MODULE"},
		want:  Taint{Tainted: true, Flags: "W O"},
	}, {
		lines: []string{"CPU: 3 PID: 812 Comm: modprobe Tainted: P        W  OE      5.15.0-91-generic #101-Ubuntu"},
		want:  Taint{Tainted: true, Flags: "P W O E"},
	}}
	for _, tt := range tests {
		s := NewSummary()
		for i, l := range tt.lines {
			s.Add(kern(uint64(i), uint64(i), LevelWarning, l))
		}
		got := s.Snapshot().Milestones.Taint
		got.First = nil
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.lines, diff)
		}
	}
}

func TestSummaryLostRecords(t *testing.T) {
	s := NewSummary()
	for _, seq := range []uint64{100, 101, 105, 106, 106, 103, 200} {
		s.Add(kern(seq, seq, LevelInfo, "x"))
	}
	s.AddLost(2)
	snap := s.Snapshot()
	// 102..104 and 107..199 are missing; 103 arriving late does not undo
	// the count (the reader never delivers out of order).
	if snap.FirstSeq != 100 || snap.LastSeq != 200 || snap.RecordsLost != 3+93+2 || snap.RecordsSeen != 7 {
		t.Errorf("first %d last %d lost %d seen %d", snap.FirstSeq, snap.LastSeq, snap.RecordsLost, snap.RecordsSeen)
	}
}

func TestSecureBootForms(t *testing.T) {
	for msg, want := range map[string]string{
		"secureboot: Secure boot enabled":                                            "enabled",
		"secureboot: Secure boot disabled":                                           "disabled",
		"secureboot: Secure boot could not be determined":                            "unknown",
		"EFI stub: UEFI Secure Boot is enabled.":                                     "enabled",
		"Secure boot enabled":                                                        "enabled",
		"Kernel is locked down from EFI Secure Boot mode; see man kernel_lockdown.7": "",
	} {
		s := NewSummary()
		s.Add(kern(0, 0, LevelInfo, msg))
		if got := s.Snapshot().Milestones.SecureBootState; got != want {
			t.Errorf("%q: state %q, want %q", msg, got, want)
		}
	}
}

// TestSnapshotJSON pins the JSON names the HTTP endpoint serves.
func TestSnapshotJSON(t *testing.T) {
	s := NewSummary()
	s.Add(kern(7, 1500000, LevelErr, "Kernel panic - not syncing: Fatal exception"))
	b, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"records_seen", "first_seq", "last_seq", "records_lost", "levels", "facilities", "kernel_records", "milestones", "problems"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	panic := got["problems"].(map[string]any)["panic"].(map[string]any)
	want := map[string]any{"count": 1.0, "last": map[string]any{"seq": 7.0, "timestamp_usec": 1500000.0, "seconds": 1.5, "message": "Kernel panic - not syncing: Fatal exception"}}
	if diff := cmp.Diff(want, panic); diff != "" {
		t.Errorf("panic entry (-want +got):\n%s", diff)
	}
}

func TestRing(t *testing.T) {
	g := NewRing(4)
	if got := g.Query(Query{}); len(got) != 0 {
		t.Errorf("empty ring returned %v", got)
	}
	for i := uint64(0); i < 10; i++ {
		r := kern(i, i, Level(i%8), "m")
		if i == 8 {
			r.Facility = FacilityUser
		}
		g.Add(r)
	}
	seqs := func(rs []Record) []uint64 {
		var out []uint64
		for _, r := range rs {
			out = append(out, r.Seq)
		}
		return out
	}
	warn := LevelWarning
	for _, tt := range []struct {
		q    Query
		want []uint64
	}{
		{Query{}, []uint64{6, 7, 8, 9}},
		{Query{Limit: 2}, []uint64{8, 9}},
		{Query{SinceSeq: 8}, []uint64{8, 9}},
		{Query{MaxLevel: &warn}, []uint64{8, 9}},
		{Query{MaxLevel: &warn, KernelOnly: true}, []uint64{9}},
		{Query{SinceSeq: 100}, nil},
	} {
		if diff := cmp.Diff(tt.want, seqs(g.Query(tt.q))); diff != "" {
			t.Errorf("Query(%+v) (-want +got):\n%s", tt.q, diff)
		}
	}
	if g.Len() != 4 {
		t.Errorf("Len = %d", g.Len())
	}
}

// TestSummaryBounded feeds a flood of distinct records: what the summary
// and ring keep must not grow with it.
func TestSummaryBounded(t *testing.T) {
	s := NewSummary()
	g := NewRing(10)
	for i := 0; i < 20000; i++ {
		r := kern(uint64(i), uint64(i), Level(i%8), "mod"+strconv.Itoa(i)+": loading out-of-tree module taints kernel.")
		r.Facility = Facility(i % 2)
		if i%3 == 0 {
			r.Message = "Oops: 0000 [#" + strconv.Itoa(i) + "] SMP"
		}
		s.Add(r)
		g.Add(r)
	}
	snap := s.Snapshot()
	if n := len(snap.Milestones.Taint.Reasons); n != 16 {
		t.Errorf("kept %d taint reasons, want the bound 16", n)
	}
	if g.Len() != 10 || len(g.Query(Query{})) != 10 {
		t.Errorf("ring holds %d", g.Len())
	}
	if snap.Problems[ProblemOops].Count != 3334 || snap.Problems[ProblemOops].Last.Seq != 19998 {
		t.Errorf("oops %+v", snap.Problems[ProblemOops])
	}
}

// TestSummaryConcurrent lets a reader goroutine add while others take
// snapshots, for the race detector.
func TestSummaryConcurrent(t *testing.T) {
	s := NewSummary()
	g := NewRing(16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			r := kern(uint64(i), uint64(i), LevelErr, "Kernel panic - not syncing: x")
			s.Add(r)
			g.Add(r)
		}
	}()
	for i := 0; i < 100; i++ {
		_ = s.Snapshot()
		_ = g.Query(Query{Limit: 3})
	}
	<-done
	if got := s.Snapshot().Problems[ProblemPanic].Count; got != 2000 {
		t.Errorf("panics = %d", got)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestSummaryGolden pins the whole JSON snapshot of each QEMU boot; run
// with -update after a deliberate change and review the diff.
func TestSummaryGolden(t *testing.T) {
	for _, dir := range bootDirs(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			recs, _ := readCapture(t, filepath.Join(dir, "dev-kmsg.txt"))
			testutil.GoldenJSON(t, filepath.Join("testdata", "summary", name+".json"), summarize(recs), *update)
		})
	}
}
