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

func writeKmsg(t *testing.T, line string) {
	t.Helper()
	f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	if err != nil {
		testutil.SkipOrFail(t, "cannot write /dev/kmsg (needs root): %v", err)
	}
	defer f.Close()
	if _, err := f.WriteString(line); err != nil {
		t.Fatal(err)
	}
}

// TestKmsgFollowsLiveDevice runs the collector as serve does, on this
// machine's real /dev/kmsg, writes records from user space, and watches the
// follow reader count them: a user-space line that reads like an OOM kill
// must not count as a kernel problem.
func TestKmsgFollowsLiveDevice(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		testutil.SkipOrFail(t, "no /dev/kmsg: %v", err)
	}
	c := newKmsg(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Run(ctx)
	first, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	before := first.Section.(*KmsgSection)
	if before.RecordsSeen == 0 || !before.Following {
		t.Fatalf("initial read: %+v", before)
	}
	oomBefore := before.Problems["oom_kill"].Count
	userWarnBefore := metricValue(t, first, "bootinfo_kmsg_records_total", "facility=user,level=warning")

	tag := fmt.Sprintf("bootinfo-collector-test-%d", time.Now().UnixNano())
	writeKmsg(t, "<12>"+tag+": Out of memory: Killed process 4242 (fake) total-vm:1kB\n")

	var after *KmsgSection
	for i := 0; ; i++ {
		snap, err := c.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		after = snap.Section.(*KmsgSection)
		if got := metricValue(t, snap, "bootinfo_kmsg_records_total", "facility=user,level=warning"); got == userWarnBefore+1 {
			break
		}
		if i > 500 { // 5 s: a safety net, not a timing assertion
			t.Fatalf("the follow reader never counted the record written to /dev/kmsg")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if after.Problems["oom_kill"].Count != oomBefore {
		t.Errorf("a user-space record counted as an OOM kill")
	}
	res, err := c.Query(context.Background(), "records", url.Values{"limit": {"5"}, "level": {"warn"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := res.(map[string]any)["records"].([]KmsgRecord)
	if len(recs) == 0 || !strings.HasPrefix(recs[len(recs)-1].Message, tag) || recs[len(recs)-1].Facility != "user" || recs[len(recs)-1].Priority != 12 {
		t.Errorf("newest warning record: %+v", recs)
	}
}

// TestKmsgOneShotMatchesDmesg: outside serve, Collect reads the device to
// its end; the count of kernel records is what util-linux's dmesg sees.
func TestKmsgOneShotReadsWholeBuffer(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		testutil.SkipOrFail(t, "no /dev/kmsg: %v", err)
	}
	c := newKmsg(t, true)
	snap, err := c.Collect(context.Background())
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			testutil.SkipOrFail(t, "cannot read /dev/kmsg: %v", err)
		}
		t.Fatal(err)
	}
	sec := snap.Section.(*KmsgSection)
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

func TestKmsgWithheldAndBadQueries(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		testutil.SkipOrFail(t, "no /dev/kmsg: %v", err)
	}
	c := newKmsg(t, false)
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sec := snap.Section.(*KmsgSection)
	if !sec.MessageWithheld || sec.Milestones.KernelBanner == nil || sec.Milestones.KernelBanner.Message != "" || sec.Milestones.CommandLineText != "" {
		t.Errorf("messages not withheld: %+v", sec.Milestones)
	}
	for _, p := range sec.Problems {
		if p.Last != nil && p.Last.Message != "" {
			t.Errorf("problem message leaks: %+v", p.Last)
		}
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
	kc.Run(ctx)
	// No deadline on this context: if the first failure did not release
	// scrapes, this call would never return and the test would time out.
	if _, err := kc.Collect(context.Background()); err == nil {
		t.Fatal("a reader that cannot read reported no error")
	}
	time.Sleep(300 * time.Millisecond)
	restarts := kc.follower.State().Restarts
	// The first retry waits a second; a spinning reader would have
	// restarted thousands of times by now.
	if restarts < 1 || restarts > 2 {
		t.Errorf("%d restarts in 300 ms", restarts)
	}
}
