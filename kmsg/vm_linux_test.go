package kmsg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
)

// The overrun test boots this test binary as /init of a QEMU guest, where
// it may flood the guest's own kernel log without disturbing the host's.
// The kernel hands unknown command-line parameters of the form KEY=value
// to init as environment variables; this one selects the guest role.
const vmInitEnv = "BOOTINFO_KMSG_VM_INIT"

// vmResultPrefix starts the line the guest prints with its findings.
const vmResultPrefix = "BOOTINFO-KMSG-VM-RESULT "

// floodRecords is how many records the guest writes: at about 100 bytes
// each, several times the 128-256 KiB log buffer of a distribution kernel.
const floodRecords = 8000

type vmResult struct {
	Error         string `json:"error,omitempty"`
	BootRecords   int    `json:"boot_records"`
	LastBeforeSeq uint64 `json:"last_before_seq"`
	FirstAfterSeq uint64 `json:"first_after_seq"`
	LastSeq       uint64 `json:"last_seq"`
	After         int    `json:"after"`
	Lost          uint64 `json:"lost"`
	Overruns      uint64 `json:"overruns"`
	SummaryLost   uint64 `json:"summary_lost"`
	SummarySeen   uint64 `json:"summary_seen"`
	LastMessage   string `json:"last_message"`
	Consecutive   bool   `json:"consecutive"`

	// The OOM part: a child that allocates until the OOM killer kills it.
	HogPID       int                `json:"hog_pid"`
	HogSignal    string             `json:"hog_signal"`
	SegvPID      int                `json:"segv_pid"`
	SegvSignal   string             `json:"segv_signal"`
	ChildRecords int                `json:"child_records"` // records logged while the children ran
	Problems     map[Problem]uint64 `json:"problems"`
	ProblemLast  map[Problem]string `json:"problem_last"`
}

// vmChildEnv makes the test binary, started by the guest's init, play
// one of the children of vmChild.
const vmChildEnv = "BOOTINFO_KMSG_VM_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(vmInitEnv) == "1" && os.Getpid() == 1 {
		vmInit()
	}
	if kind := os.Getenv(vmChildEnv); kind != "" {
		vmChild(kind)
	}
	os.Exit(m.Run())
}

// vmInit runs in the guest as PID 1: read the boot log, flood the log
// through /dev/kmsg so that the kernel overwrites the records after the
// reader's position, read on, report, power off.
func vmInit() {
	res := vmRun()
	b, _ := json.Marshal(res)
	if con, err := os.OpenFile("/dev/console", os.O_WRONLY, 0); err == nil {
		fmt.Fprintf(con, "\n%s%s\n", vmResultPrefix, b)
		con.Sync()
		con.Close()
	}
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

func vmRun() (res vmResult) {
	fail := func(err error) vmResult { res.Error = err.Error(); return res }
	os.MkdirAll("/dev", 0o755)
	if err := syscall.Mount("devtmpfs", "/dev", "devtmpfs", 0, ""); err != nil {
		return fail(fmt.Errorf("mount devtmpfs: %w", err))
	}
	d, err := NewFS("/dev").Open(OpenOptions{})
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	// drain hands each record to each until the reader reaches the end
	// of the log.
	drain := func(each func(Record)) error {
		for {
			r, err := d.Next(context.Background())
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			each(r)
		}
	}
	s := NewSummary()
	if err := drain(func(r Record) {
		s.Add(r)
		res.BootRecords++
		res.LastBeforeSeq = r.Seq
	}); err != nil {
		return fail(err)
	}
	w, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	if err != nil {
		return fail(err)
	}
	pad := strings.Repeat("x", 80)
	for i := 0; i < floodRecords; i++ {
		if _, err := fmt.Fprintf(w, "<14>flood %05d %s\n", i, pad); err != nil {
			return fail(fmt.Errorf("write record %d: %w", i, err))
		}
	}
	w.Close()
	res.Consecutive = true
	if err := drain(func(r Record) {
		s.Add(r)
		if res.After == 0 {
			res.FirstAfterSeq = r.Seq
		} else if r.Seq != res.LastSeq+1 {
			res.Consecutive = false
		}
		res.After++
		res.LastSeq = r.Seq
		res.LastMessage = r.Message
	}); err != nil {
		return fail(err)
	}
	res.Lost, res.Overruns = d.Lost(), d.Overruns()
	snap := s.Snapshot()
	res.SummaryLost, res.SummarySeen = snap.RecordsLost, snap.RecordsSeen

	// Real kernel reports of user-space deaths: an OOM kill, which the
	// kernel logs over dozens of records and must count once, and an
	// unhandled segfault.
	run := func(kind string) (pid int, sig string, err error) {
		c := exec.Command("/init") // this binary; /proc is not mounted
		c.Env = []string{vmChildEnv + "=" + kind}
		if err := c.Start(); err != nil {
			return 0, "", fmt.Errorf("start %s child: %w", kind, err)
		}
		var ee *exec.ExitError
		if err := c.Wait(); errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				sig = ws.Signal().String()
			}
		}
		return c.Process.Pid, sig, nil
	}
	if res.HogPID, res.HogSignal, err = run("oom"); err != nil {
		return fail(err)
	}
	if res.SegvPID, res.SegvSignal, err = run("segv"); err != nil {
		return fail(err)
	}
	deaths := NewSummary()
	if err := drain(func(r Record) {
		deaths.Add(r)
		res.ChildRecords++
	}); err != nil {
		return fail(err)
	}
	res.Problems = map[Problem]uint64{}
	res.ProblemLast = map[Problem]string{}
	for p, c := range deaths.Snapshot().Problems {
		if c.Count > 0 {
			res.Problems[p] = c.Count
			res.ProblemLast[p] = c.Last.Message
		}
	}
	return res
}

// vmChild runs in a child of the guest's init: "oom" allocates memory
// until the OOM killer kills it; "segv" restores the default SIGSEGV
// action (the Go runtime would otherwise handle the fault) and writes
// through a nil pointer, so the kernel kills it and logs the segfault.
var hogged [][]byte

func vmChild(kind string) {
	switch kind {
	case "oom":
		for {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			hogged = append(hogged, b) // a global, so the GC cannot free it
		}
	case "segv":
		var act [4]uintptr // struct kernel_sigaction, handler SIG_DFL (0)
		if _, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV),
			uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); errno != 0 {
			os.Exit(3)
		}
		var p *int
		*(*int)(unsafe.Pointer(uintptr(unsafe.Pointer(p)) + 16)) = 1
	}
	os.Exit(4)
}

// TestRealKernelUnderQEMU proves on a real kernel (a QEMU guest, whose log
// may be flooded without harm) what the host's log cannot show:
//   - EPIPE: the reader stops after the boot log, user space floods the log
//     until the records after the reader's position are overwritten, and
//     the reader must report one overrun, count exactly the records it
//     missed from the sequence gap, and go on to the newest record;
//   - the kernel's own problem reports: a real OOM kill (dozens of
//     records) counts as one oom_kill naming the victim, and a real
//     unhandled segfault as one segfault.
func TestRealKernelUnderQEMU(t *testing.T) {
	lab := qemulab.Setup(t)
	boot := lab.Run(t, "kmsg-overrun", qemulab.Config{
		Firmware: qemulab.SeaBIOS,
		// No rate limit on writes to /dev/kmsg; vmInitEnv reaches this
		// binary, /init, as an environment variable.
		Append: qemulab.DefaultAppend + " printk.devkmsg=on " + vmInitEnv + "=1",
		Init:   qemulab.GuestTestBinary(t),
	})
	var res vmResult
	found := false
	for _, line := range strings.Split(string(boot.Console), "\n") {
		if i := strings.Index(line, vmResultPrefix); i >= 0 {
			if err := json.Unmarshal([]byte(strings.TrimSpace(line[i+len(vmResultPrefix):])), &res); err != nil {
				t.Fatalf("guest result %q: %v", line, err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("guest printed no result:\n%s", boot.Console)
	}
	t.Logf("guest: %+v", res)
	if res.Error != "" {
		t.Fatalf("guest: %s", res.Error)
	}
	if res.BootRecords < 100 || res.Overruns != 1 {
		t.Errorf("boot records %d, overruns %d; want a boot log and exactly one EPIPE", res.BootRecords, res.Overruns)
	}
	wantLost := res.FirstAfterSeq - res.LastBeforeSeq - 1
	if wantLost == 0 || res.Lost != wantLost || res.SummaryLost != wantLost {
		t.Errorf("lost %d (summary %d), sequence gap %d..%d says %d", res.Lost, res.SummaryLost, res.LastBeforeSeq, res.FirstAfterSeq, wantLost)
	}
	if !res.Consecutive || uint64(res.After)+res.Lost != res.LastSeq-res.LastBeforeSeq {
		t.Errorf("after the gap: %d records, consecutive %v, up to seq %d", res.After, res.Consecutive, res.LastSeq)
	}
	if want := fmt.Sprintf("flood %05d ", floodRecords-1); !strings.HasPrefix(res.LastMessage, want) {
		t.Errorf("last record %q, want the last flood record %q...", res.LastMessage, want)
	}
	if res.SummarySeen != uint64(res.BootRecords+res.After) {
		t.Errorf("summary saw %d records, reader returned %d", res.SummarySeen, res.BootRecords+res.After)
	}

	if res.HogSignal != "killed" || res.ChildRecords < 10 {
		t.Errorf("memory hog ended by %q after %d records; want the OOM killer's SIGKILL and its report", res.HogSignal, res.ChildRecords)
	}
	if res.SegvSignal != "segmentation fault" {
		t.Errorf("segfaulting child ended by %q", res.SegvSignal)
	}
	if diff := cmp.Diff(map[Problem]uint64{ProblemOOMKill: 1, ProblemSegfault: 1}, res.Problems); diff != "" {
		t.Errorf("problems from one real OOM kill and one segfault (-want +got):\n%s", diff)
	}
	if want := fmt.Sprintf("Killed process %d (", res.HogPID); !strings.Contains(res.ProblemLast[ProblemOOMKill], want) {
		t.Errorf("last oom_kill %q does not name the hog (%s...)", res.ProblemLast[ProblemOOMKill], want)
	}
	if want := fmt.Sprintf("init[%d]: segfault at 10 ", res.SegvPID); !strings.HasPrefix(res.ProblemLast[ProblemSegfault], want) {
		t.Errorf("last segfault %q, want %q...", res.ProblemLast[ProblemSegfault], want)
	}
}
