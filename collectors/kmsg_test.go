package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/prometheus/common/promslog"
)

func newKmsg(t *testing.T, records bool) *kmsgCollector {
	t.Helper()
	c, err := NewKmsgCollector(Config{Paths: Paths{DevFS: "/dev"}, Logger: promslog.NewNopLogger(), Kmsg: KmsgConfig{Keep: 50, Records: records}})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*kmsgCollector)
}

// liveKmsg is newKmsg on this machine's /dev/kmsg, read once.
func liveKmsg(t *testing.T, records bool) (*kmsgCollector, *KmsgSection) {
	t.Helper()
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		testutil.SkipOrFail(t, "no /dev/kmsg: %v", err)
	}
	c := newKmsg(t, records)
	snap, err := c.Collect(context.Background())
	if errors.Is(err, os.ErrPermission) {
		testutil.SkipOrFail(t, "cannot read /dev/kmsg: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, snap.Section.(*KmsgSection)
}

// TestKmsgAdaptsRecords: the records the follower passes on become the
// section, the counters and the answers to queries; a user-space line that
// reads like an OOM kill counts as a record, not as a kernel problem.
func TestKmsgAdaptsRecords(t *testing.T) {
	c := newKmsg(t, true)
	for i, line := range []string{
		"6,1,10,-;Linux version 6.1.0-27-amd64 (debian-kernel@lists.debian.org)",
		"12,2,20,-;fake: Out of memory: Killed process 4242 (fake) total-vm:1kB",
		"3,3,30,-;Out of memory: Killed process 812 (stress) total-vm:1052804kB",
		"12,4,40,-;second user warning",
	} {
		r, err := kmsg.ParseRecord([]byte(line))
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		c.add(r)
	}
	snap := &Snapshot{Metrics: c.metrics(&KmsgSection{Snapshot: c.summary.Snapshot()})}
	if got := metricValue(t, snap, "bootinfo_kmsg_records_total", "facility=user,level=warning"); got != 2 {
		t.Errorf("user warnings counted %v, want 2", got)
	}
	if got := metricValue(t, snap, "bootinfo_kernel_problems_total", "kind=oom_kill"); got != 1 {
		t.Errorf("OOM kills counted %v, want the kernel's one", got)
	}
	res, err := c.Query(context.Background(), "records", url.Values{"limit": {"1"}, "level": {"warn"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := res.(map[string]any)["records"].([]KmsgRecord)
	if len(recs) != 1 || recs[0].Message != "second user warning" || recs[0].Facility != "user" || recs[0].Priority != 12 {
		t.Errorf("newest warning record: %+v", recs)
	}
}

// TestKmsgOneShotReadsWholeBuffer: outside serve, Collect reads the device to
// its end; the count of kernel records is what util-linux's dmesg sees.
func TestKmsgOneShotReadsWholeBuffer(t *testing.T) {
	c, sec := liveKmsg(t, true)
	if sec.Following || sec.RecordsSeen == 0 || sec.RecordsSeen != sec.LastSeq-sec.FirstSeq+1-sec.RecordsLost {
		t.Errorf("seen %d, seq %d..%d, lost %d", sec.RecordsSeen, sec.FirstSeq, sec.LastSeq, sec.RecordsLost)
	}
	// A second collection reads only what is new.
	again, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s2 := again.Section.(*KmsgSection); s2.RecordsSeen < sec.RecordsSeen || s2.FirstSeq != sec.FirstSeq {
		t.Errorf("second collection recounted: %d then %d", sec.RecordsSeen, s2.RecordsSeen)
	}
}

// checkWithheld fails the test when a withheld section still carries
// kernel text; it returns how many boot milestones it checked.
func checkWithheld(t *testing.T, what string, sec *KmsgSection) int {
	t.Helper()
	ms := sec.Milestones
	var events []*kmsg.Event
	for _, e := range []*kmsg.Event{ms.KernelBanner, ms.CommandLine, ms.EFI, ms.SMBIOS, ms.DMI, ms.SecureBoot, ms.InitHandoff, ms.FreeingInitMem} {
		if e != nil {
			events = append(events, e)
		}
	}
	if !sec.MessageWithheld || ms.CommandLineText != "" {
		t.Errorf("%s: messages not withheld: %+v", what, ms)
	}
	for _, e := range events {
		if e.Message != "" {
			t.Errorf("%s: a milestone's message leaks: %+v", what, e)
		}
	}
	for _, p := range sec.Problems {
		if p.Last != nil && p.Last.Message != "" {
			t.Errorf("%s: problem message leaks: %+v", what, p.Last)
		}
	}
	return len(events)
}

// TestKmsgWithheldAndBadQueries: without --collector.kmsg.records no
// milestone or problem carries the kernel's text, on this machine's live
// log and on a whole recorded boot (the live ring of a machine up for
// long has rotated its boot out), and the records query is refused.
func TestKmsgWithheldAndBadQueries(t *testing.T) {
	c, sec := liveKmsg(t, false)
	if n := checkWithheld(t, "live /dev/kmsg", sec); n == 0 {
		t.Log("no boot milestone left in this machine's kernel log; the recorded boot is checked alone")
	}
	f, err := os.ReadFile(testutil.Shared(t, "boots", "seabios-pc", "dev-kmsg.txt"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := kmsg.ParseCapture(f)
	if err != nil {
		t.Fatalf("recorded boot: %v", err)
	}
	rec := newKmsg(t, false)
	for _, r := range recs {
		rec.add(r)
	}
	if n := checkWithheld(t, "recorded boot", rec.snapshot(false, kmsg.FollowerState{}).Section.(*KmsgSection)); n < 5 {
		t.Errorf("recorded boot: only %d boot milestones found to check", n)
	}
	if _, err := c.Query(context.Background(), "records", nil); !errors.Is(err, ErrForbidden) {
		t.Errorf("records while withheld: %v", err)
	}
	open := newKmsg(t, true)
	for _, q := range []url.Values{{"level": {"loud"}}, {"since_seq": {"-1"}}, {"limit": {"x"}}} {
		if _, err := open.Query(context.Background(), "records", q); !errors.Is(err, ErrBadRequest) {
			t.Errorf("Query(%v) = %v, want ErrBadRequest", q, err)
		}
	}
	if _, err := open.Query(context.Background(), "nope", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Query(nope) = %v", err)
	}
}

func TestKmsgUnreadableDevice(t *testing.T) {
	c, _ := NewKmsgCollector(Config{Paths: Paths{DevFS: t.TempDir()}, Logger: promslog.NewNopLogger(), Kmsg: KmsgConfig{Records: true}})
	if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "kmsg") {
		t.Errorf("missing device: %v", err)
	}
}

// metricValue returns the value of the sample of name whose labels, printed
// as metricsText prints them, equal labels; 0 when absent, as for a counter
// that has not counted yet.
func metricValue(t *testing.T, s *Snapshot, name, labels string) float64 {
	t.Helper()
	for _, line := range strings.Split(metricsText(t, s, name), "\n") {
		if strings.HasPrefix(line, name+"{"+labels+"} ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(line, name+"{"+labels+"} "), &v)
			return v
		}
	}
	return 0
}

// TestKmsgReaderFailsWithoutSpinning: a device that cannot be read (here a
// directory where /dev/kmsg should be) fails the collector at once rather
// than at the deadline, and the reader retries with backoff, not in a loop.
func TestKmsgReaderFailsWithoutSpinning(t *testing.T) {
	dev := t.TempDir()
	if err := os.Mkdir(dev+"/kmsg", 0o755); err != nil {
		t.Fatal(err)
	}
	c, _ := NewKmsgCollector(Config{Paths: Paths{DevFS: dev}, Logger: promslog.NewNopLogger(), Kmsg: KmsgConfig{Records: true}})
	kc := c.(*kmsgCollector)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	kc.Run(ctx)
	// No deadline on this context: if the first failure did not release
	// scrapes, this call would never return and the test would time out.
	if _, err := kc.Collect(context.Background()); err == nil {
		t.Fatal("a reader that cannot read reported no error")
	}
	// The reader does retry: a second failure, after the first backoff.
	var restarts uint64
	testutil.WaitFor(t, "the reader's second try", func() error {
		if restarts = kc.follower.State().Restarts; restarts < 2 {
			return fmt.Errorf("%d restarts", restarts)
		}
		return nil
	})
	// And not sooner than its backoff lets it: restart n+1 comes at the
	// earliest after the first n backoffs (one second, doubling while
	// under a minute). However long this test was held up, more restarts
	// than fit in the time since the start are a reader that spins.
	elapsed := time.Since(start)
	most := uint64(1)
	for backoff, sum := time.Second, time.Second; sum <= elapsed; sum += backoff {
		most++
		if backoff < time.Minute {
			backoff *= 2
		}
	}
	if restarts > most {
		t.Errorf("%d restarts in %v; backoff allows at most %d", restarts, elapsed, most)
	}
}
