package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/prometheus/common/promslog"
	"golang.org/x/sys/unix"
)

// notifySocket listens where $NOTIFY_SOCKET points for the rest of the
// test, as systemd does for a Type=notify service: a datagram socket.
func notifySocket(t *testing.T) *net.UnixConn {
	t.Helper()
	// Socket paths are limited to 108 bytes; t.TempDir's grow with the name.
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", p)
	t.Setenv("WATCHDOG_USEC", "")
	t.Setenv("WATCHDOG_PID", "")
	return c
}

// next returns the next message, waiting for it until the test's deadline.
func next(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	d, ok := testutil.Deadline(t)
	if !ok {
		d = time.Time{}
	}
	if err := c.SetReadDeadline(d); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("waiting for a notification: %v", err)
	}
	return string(b[:n])
}

// queued returns the messages sent so far and not yet read, without
// waiting for more. (A read deadline in the past would not do: Go then
// fails the read without looking at the socket.)
func queued(t *testing.T, c *net.UnixConn) []string {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	b := make([]byte, 4096)
	for {
		var n int
		var rerr error
		if err := rc.Control(func(fd uintptr) {
			n, _, rerr = unix.Recvfrom(int(fd), b, unix.MSG_DONTWAIT)
		}); err != nil {
			t.Fatal(err)
		}
		if errors.Is(rerr, unix.EAGAIN) {
			return out
		}
		if rerr != nil {
			t.Fatal(rerr)
		}
		out = append(out, string(b[:n]))
	}
}

// syncingCollector answers as the systemd collector does in serve before
// its watcher's first sync (ErrNotSynced) until synced is closed.
type syncingCollector struct {
	synced chan struct{}
	calls  atomic.Int32
}

func (s *syncingCollector) Collect(context.Context) (*collectors.Snapshot, error) {
	s.calls.Add(1)
	select {
	case <-s.synced:
		return &collectors.Snapshot{Section: map[string]int{"units": 1}}, nil
	default:
		return nil, fmt.Errorf("%w: dial unix /run/systemd/private: connect: no such file or directory", systemd.ErrNotSynced)
	}
}

type okCollector struct{ calls atomic.Int32 }

func (o *okCollector) Collect(context.Context) (*collectors.Snapshot, error) {
	o.calls.Add(1)
	return &collectors.Snapshot{Section: map[string]int{"ok": 1}}, nil
}

func closed() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// TestReadyWaitsForFirstSync: READY=1 is sent only once every collector
// has answered, and the systemd collector's "not synced yet" is no answer:
// while it says so, only the first STATUS= line is out; once it syncs,
// READY=1 follows with a STATUS= line counting the answers.
func TestReadyWaitsForFirstSync(t *testing.T) {
	c := notifySocket(t)
	sd := &syncingCollector{synced: make(chan struct{})}
	host := &okCollector{}
	set := collectors.NewSet(map[string]collectors.Collector{"systemd": sd, "host": host}, 10*time.Minute, promslog.NewNopLogger())
	n := newNotifier(promslog.NewNopLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); n.ready(ctx, set, 10*time.Minute, closed()) }()

	if got := next(t, c); got != "STATUS=collecting for the first time" {
		t.Errorf("first message %q", got)
	}
	testutil.WaitFor(t, "the systemd collector to be asked three times", func() error {
		if n := sd.calls.Load(); n < 3 {
			return fmt.Errorf("asked %d times", n)
		}
		return nil
	})
	if q := queued(t, c); len(q) != 0 {
		t.Fatalf("before the first sync the manager was told %q", q)
	}
	if host.calls.Load() != 1 {
		t.Errorf("host collected %d times; an answered collector is not asked again", host.calls.Load())
	}
	close(sd.synced)
	want := "READY=1\nSTATUS=serving; first collection: 2 of 2 collectors answered"
	if got := next(t, c); got != want {
		t.Errorf("after the first sync: %q, want %q", got, want)
	}
	<-done
}

// TestReadyWaitsForListener: collected but not yet serving is not ready.
// The hook is net/http's own: BaseContext, which Serve calls as it starts.
func TestReadyWaitsForListener(t *testing.T) {
	c := notifySocket(t)
	host := &okCollector{}
	set := collectors.NewSet(map[string]collectors.Collector{"host": host}, time.Minute, promslog.NewNopLogger())
	n := newNotifier(promslog.NewNopLogger())
	srv := &http.Server{Handler: http.NotFoundHandler()}
	var serving <-chan struct{}
	srv.BaseContext, serving = listening()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.ready(ctx, set, time.Minute, serving)

	if got := next(t, c); got != "STATUS=collecting for the first time" {
		t.Errorf("first message %q", got)
	}
	testutil.WaitFor(t, "the first collection", func() error {
		if host.calls.Load() == 0 {
			return errors.New("not collected")
		}
		return nil
	})
	if q := queued(t, c); len(q) != 0 {
		t.Fatalf("before the server served, the manager was told %q", q)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	if got, want := next(t, c), "READY=1\nSTATUS=serving; first collection: 1 of 1 collectors answered"; got != want {
		t.Errorf("once serving: %q, want %q", got, want)
	}
}

// TestFirstCollectionBound: a manager that never syncs holds READY=1 no
// longer than the bound, and the status names what failed.
func TestFirstCollectionBound(t *testing.T) {
	c := notifySocket(t)
	sd := &syncingCollector{synced: make(chan struct{})}
	set := collectors.NewSet(map[string]collectors.Collector{"systemd": sd, "host": &okCollector{}}, time.Minute, promslog.NewNopLogger())
	n := newNotifier(promslog.NewNopLogger())
	go n.ready(context.Background(), set, 300*time.Millisecond, closed())
	next(t, c)
	want := "READY=1\nSTATUS=serving; first collection: 1 of 2 collectors answered (failed: systemd)"
	if got := next(t, c); got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestWatchdogPingsOnlyAfterProbe: each WATCHDOG=1 follows a probe that
// returned. While the third probe hangs (a wedged collection), exactly two
// pings are out; the third comes only when the probe returns.
func TestWatchdogPingsOnlyAfterProbe(t *testing.T) {
	c := notifySocket(t)
	n := newNotifier(promslog.NewNopLogger())
	var probes atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		n.watch(ctx, time.Millisecond, func() {
			if probes.Add(1) == 3 {
				close(entered)
				<-release
			}
		})
	}()
	<-entered
	// Each ping is sent (a datagram is queued when the send returns)
	// before the next probe starts.
	if q := queued(t, c); len(q) != 2 || q[0] != "WATCHDOG=1" || q[1] != "WATCHDOG=1" {
		t.Fatalf("while the third probe hangs: %q, want two WATCHDOG=1", q)
	}
	close(release)
	if got := next(t, c); got != "WATCHDOG=1" {
		t.Errorf("after the probe returned: %q", got)
	}
	cancel()
	<-stopped
}

// TestRunWatchdogPings runs the watchdog as serve does, from
// $WATCHDOG_USEC, over a real Set: pings keep coming and each one follows
// a collection.
func TestRunWatchdogPings(t *testing.T) {
	c := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "40000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	host := &okCollector{}
	set := collectors.NewSet(map[string]collectors.Collector{"host": host}, time.Minute, promslog.NewNopLogger())
	n := newNotifier(promslog.NewNopLogger())
	if n.watchdog != 40*time.Millisecond {
		t.Fatalf("watchdog %v, want 40ms", n.watchdog)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); n.runWatchdog(ctx, set, time.Minute) }()
	for range 3 {
		if got := next(t, c); got != "WATCHDOG=1" {
			t.Errorf("ping %q", got)
		}
	}
	cancel()
	wg.Wait()
	if host.calls.Load() < 3 {
		t.Errorf("3 pings after %d collections", host.calls.Load())
	}
}

// TestNotifierOffWithoutSocket: without $NOTIFY_SOCKET nothing is sent,
// collected or started, even with $WATCHDOG_USEC set.
func TestNotifierOffWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "1000000")
	host := &okCollector{}
	set := collectors.NewSet(map[string]collectors.Collector{"host": host}, time.Minute, promslog.NewNopLogger())
	n := newNotifier(promslog.NewNopLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Both return at once when off; a watchdog loop would never return.
	n.ready(ctx, set, time.Minute, make(chan struct{}))
	n.runWatchdog(ctx, set, time.Minute)
	n.stopping()
	if host.calls.Load() != 0 {
		t.Errorf("collected %d times with no manager to tell", host.calls.Load())
	}
}

// TestWatchdogForAnotherProcess: $WATCHDOG_PID naming another process
// (inherited from a parent systemd watches) turns the watchdog off.
func TestWatchdogForAnotherProcess(t *testing.T) {
	notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "1000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if n := newNotifier(promslog.NewNopLogger()); n.watchdog != 0 {
		t.Errorf("watchdog %v for another process's settings", n.watchdog)
	}
}

func TestStopping(t *testing.T) {
	c := notifySocket(t)
	newNotifier(promslog.NewNopLogger()).stopping()
	if got, want := next(t, c), "STOPPING=1\nSTATUS=shutting down"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
