package collectors

// Collectors blocked in a real system call: an open(2) of a FIFO that no
// one writes, which no context can interrupt, as a FIFO left where a file
// was or a hung NFS mount does to a source.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/promslog"
)

// mkfifo makes a FIFO at path.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readBlocking opens path without O_NONBLOCK and reads up to 64 bytes: on
// a FIFO with no writer the open blocks in the kernel until one comes.
func readBlocking(path string) (string, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 64)
	n, err := syscall.Read(fd, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:max(n, 0)]), nil
}

// release opens the FIFO at path for writing and closes it again, which
// lets every open blocked on it return (and read end of file).
func release(t *testing.T, path string) {
	t.Helper()
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("releasing %s: %v", path, err)
	}
	syscall.Close(fd)
}

// replaceWithFile puts a regular file holding content at path, moving what
// was there (a FIFO) to aside, where release can still reach it.
func replaceWithFile(t *testing.T, path, aside, content string) {
	t.Helper()
	if err := os.Rename(path, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fileCollector's Collect reads the file at path, blocking in open(2) when
// it is a FIFO: a source that cannot honour its context.
type fileCollector struct {
	path  string
	calls atomic.Int32
}

func (c *fileCollector) Collect(context.Context) (*Snapshot, error) {
	c.calls.Add(1)
	s, err := readBlocking(c.path)
	if err != nil {
		return nil, err
	}
	// Faults that differ from call to call make each call log them, and
	// so overlap, under -race, with the fresh call beside it.
	return &Snapshot{Section: map[string]string{"read": s}, Faults: map[string]string{"read": "got " + s}}, nil
}

// scrapeCounts returns the bootinfo_scrape_collector_blocked and
// _abandoned_total samples of collector name, from a full gathering.
func scrapeCounts(t *testing.T, s *Set, name string) (blocked, abandoned float64) {
	t.Helper()
	fams, err := s.GatherFamilies()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != name {
				continue
			}
			switch f.GetName() {
			case "bootinfo_scrape_collector_blocked":
				blocked = m.GetGauge().GetValue()
				found++
			case "bootinfo_scrape_collector_abandoned_total":
				abandoned = m.GetCounter().GetValue()
				found++
			}
		}
	}
	if found != 2 {
		t.Fatalf("collector %s: found %d of the blocked and abandoned_total samples, want 2", name, found)
	}
	return blocked, abandoned
}

func section(o Outcome) string {
	if o.Snapshot == nil {
		return ""
	}
	return o.Snapshot.Section.(map[string]string)["read"]
}

// TestSetAbandonsCollectorBlockedInRead: a collection blocked in open(2)
// of a FIFO is abandoned at its deadline and no longer shared; once the
// FIFO is replaced by a file the next collection reads it, while the
// abandoned one still hangs. At most MaxBlocked hang at once; past that no
// collection starts (a clear error instead) until one returns. The counts
// are exported.
func TestSetAbandonsCollectorBlockedInRead(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "source")
	mkfifo(t, src)
	fc := &fileCollector{path: src}
	// The deadline is the collector's, not an assertion on time: the
	// test counts collections, whatever the machine's speed.
	s := NewSet(map[string]Collector{"good": okCollector(1), "stuck": fc}, 20*time.Millisecond, promslog.NewNopLogger())
	gather := func() (good, stuck Outcome) {
		out := s.Gather(context.Background())
		if out[0].Err != nil {
			t.Errorf("the good collector failed beside the stuck one: %v", out[0].Err)
		}
		return out[0], out[1]
	}

	_, o := gather()
	if !errors.Is(o.Err, ErrTimeout) || fc.calls.Load() != 1 {
		t.Fatalf("first collection: %v after %d calls, want a timeout after 1", o.Err, fc.calls.Load())
	}

	// The FIFO becomes a file: the next collection reads it.
	replaceWithFile(t, src, filepath.Join(dir, "fifo1"), "v2")
	_, o = gather()
	if o.Err != nil || section(o) != "v2" {
		t.Fatalf("after the FIFO was replaced: %v %q after %d calls; the stuck collection was shared instead of a fresh one started", o.Err, section(o), fc.calls.Load())
	}
	if b, a := scrapeCounts(t, s, "stuck"); b != 1 || a != 1 {
		t.Errorf("blocked %v, abandoned_total %v; want 1 and 1 (the first collection still hangs)", b, a)
	}
	if b, a := scrapeCounts(t, s, "good"); b != 0 || a != 0 {
		t.Errorf("good collector: blocked %v, abandoned_total %v; want 0", b, a)
	}

	// A FIFO again: one more collection hangs, then none is started.
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, src)
	calls := fc.calls.Load()
	if _, o = gather(); !errors.Is(o.Err, ErrTimeout) || fc.calls.Load() != calls+1 {
		t.Fatalf("second FIFO: %v after %d new calls, want a timeout after 1", o.Err, fc.calls.Load()-calls)
	}
	for range 3 {
		_, o = gather()
		if !errors.Is(o.Err, ErrBlocked) || !errors.Is(o.Err, ErrTimeout) {
			t.Errorf("with %d collections blocked: %v, want ErrBlocked", MaxBlocked, o.Err)
		}
	}
	if n := fc.calls.Load() - calls; n != 1 {
		t.Errorf("%d collections started while %d were blocked, want 1", n, MaxBlocked)
	}
	if !strings.Contains(fmt.Sprint(o.Err), "still blocked") {
		t.Errorf("error %q does not say why nothing was collected", o.Err)
	}
	if b, a := scrapeCounts(t, s, "stuck"); b != MaxBlocked || a != MaxBlocked {
		t.Errorf("blocked %v, abandoned_total %v; want %d and %d", b, a, MaxBlocked, MaxBlocked)
	}

	// Both hung opens return: the count falls, and collection resumes.
	release(t, filepath.Join(dir, "fifo1"))
	replaceWithFile(t, src, filepath.Join(dir, "fifo2"), "v3")
	release(t, filepath.Join(dir, "fifo2"))
	testutil.WaitFor(t, "the blocked collections to return", func() error {
		if b, _ := s.runners[1].blockedCount(); b != 0 {
			return fmt.Errorf("%d still blocked", b)
		}
		return nil
	})
	_, o = gather()
	if o.Err != nil || section(o) != "v3" {
		t.Errorf("after the blocked collections returned: %v %q", o.Err, section(o))
	}
	if b, a := scrapeCounts(t, s, "stuck"); b != 0 || a != MaxBlocked {
		t.Errorf("blocked %v, abandoned_total %v; want 0 and %d", b, a, MaxBlocked)
	}
}

// runnerCollector's Run reads path at start, blocking on a FIFO, as the
// history collector records this boot; Stop reads it too.
type runnerCollector struct {
	path       string
	ran        atomic.Bool
	stopResult atomic.Value
}

func (c *runnerCollector) Run(context.Context) {
	readBlocking(c.path)
	c.ran.Store(true)
}

func (c *runnerCollector) Stop() {
	_, err := readBlocking(c.path)
	c.stopResult.Store(fmt.Sprint(err))
}

func (c *runnerCollector) Collect(context.Context) (*Snapshot, error) {
	if !c.ran.Load() {
		return nil, errors.New("collected before Run returned")
	}
	return &Snapshot{Section: "ok", Metrics: []prometheus.Metric{}}, nil
}

// returns calls f in a goroutine and waits until it returns: a hang fails
// the test (near the -timeout) instead of ending it.
func returns(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	testutil.WaitFor(t, what, func() error {
		select {
		case <-done:
			return nil
		default:
			return errors.New("still running")
		}
	})
}

// TestSetRunDoesNotBlock: a Runner whose start blocks in the kernel holds
// neither Set.Run (serve listens after it) nor the other collectors; its
// own collections answer at their deadline until the start returns.
func TestSetRunDoesNotBlock(t *testing.T) {
	src := filepath.Join(t.TempDir(), "os-release")
	mkfifo(t, src)
	rc := &runnerCollector{path: src}
	s := NewSet(map[string]Collector{"good": okCollector(1), "starting": rc}, 20*time.Millisecond, promslog.NewNopLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	returns(t, "Set.Run to return while a Runner is blocked", func() { s.Run(ctx) })

	out := s.Gather(ctx)
	if out[0].Err != nil {
		t.Errorf("good collector: %v", out[0].Err)
	}
	if !errors.Is(out[1].Err, ErrTimeout) || !strings.Contains(out[1].Err.Error(), "starting") {
		t.Errorf("a collector whose Run is blocked: %v, want a timeout saying it is starting", out[1].Err)
	}
	if b, _ := scrapeCounts(t, s, "starting"); b != 0 {
		t.Errorf("waiting for Run left %v collections blocked, want 0", b)
	}
	release(t, src)
	testutil.WaitFor(t, "the collector to be served once Run returned", func() error {
		return s.Gather(ctx, "starting")[0].Err
	})
}

// TestSetStopDoesNotHang: Stop waits for a Stopper blocked in the kernel
// no longer than the Set's timeout, and says which one it left behind.
func TestSetStopDoesNotHang(t *testing.T) {
	src := filepath.Join(t.TempDir(), "state")
	mkfifo(t, src)
	rc := &runnerCollector{path: src}
	rc.ran.Store(true)
	var log testutil.SyncBuffer
	logger := promslog.New(&promslog.Config{Writer: &log})
	s := NewSet(map[string]Collector{"good": okCollector(1), "history": rc}, 20*time.Millisecond, logger)
	returns(t, "Set.Stop to return while a Stopper is blocked", s.Stop)
	if !strings.Contains(log.String(), "history") || !strings.Contains(log.String(), "did not finish stopping") {
		t.Errorf("log does not name the collector left stopping:\n%s", log.String())
	}
	release(t, src)
	testutil.WaitFor(t, "the blocked Stop to return", func() error {
		if rc.stopResult.Load() == nil {
			return errors.New("still blocked")
		}
		return nil
	})
}

// TestSnapshotCacheDoesNotQueueBehindBlockedBuild: a build blocked in the
// kernel does not hold the cache; a later build runs and is kept, and the
// blocked one, when it returns, gets the kept snapshot.
func TestSnapshotCacheDoesNotQueueBehindBlockedBuild(t *testing.T) {
	src := filepath.Join(t.TempDir(), "DMI")
	mkfifo(t, src)
	var c snapshotCache
	stuck := make(chan *Snapshot, 1)
	entered := make(chan struct{})
	go func() {
		s, _ := c.get(func() (*Snapshot, error) {
			close(entered)
			readBlocking(src)
			return &Snapshot{Section: "stale"}, nil
		})
		stuck <- s
	}()
	<-entered
	fresh := &Snapshot{Section: "fresh"}
	var got *Snapshot
	returns(t, "a second build beside a blocked one", func() {
		got, _ = c.get(func() (*Snapshot, error) { return fresh, nil })
	})
	if got != fresh {
		t.Errorf("second build returned %v", got)
	}
	release(t, src)
	if s := <-stuck; s != fresh {
		t.Errorf("the build that was blocked returned %v, want the kept snapshot", s.Section)
	}
	if s, _ := c.get(func() (*Snapshot, error) { return nil, errors.New("built again") }); s != fresh {
		t.Errorf("kept snapshot %v, want the fresh one", s)
	}
}
