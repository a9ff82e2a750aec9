package systemd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// docUnit is a service whose Documentation= lists about size bytes of
// distinct URLs: a unit whose every property (GetAll) is that large, as
// a unit with tens of thousands of dependencies would be. Lines stay well
// under systemd's limit on a unit file line.
func docUnit(size int) string {
	var b strings.Builder
	b.WriteString("[Unit]\nDescription=Lab unit with a huge detail\n")
	pad := strings.Repeat("x", 64<<10)
	for i := 0; i*(64<<10) < size; i++ {
		if i%4 == 0 {
			b.WriteString("\nDocumentation=")
		}
		fmt.Fprintf(&b, " man:%08d%s", i, pad)
	}
	b.WriteString("\n\n[Service]\nExecStart=/bin/sleep infinity\n")
	return b.String()
}

// heapPeak samples the heap in use until stop is called, and returns the
// highest seen.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestLabDetailHugeReplies: many Detail calls at once for a unit whose
// properties come to 24 MB (issue 20: 16 of them made a watcher reconnect
// and grow to 406 MB) each fail with an error naming the cap, hold no
// more memory than the replies Detail accepts, and leave the watcher
// connected and following the manager. A unit under the cap is still
// read.
func TestLabDetailHugeReplies(t *testing.T) {
	l := startLab(t, systemdlab.Options{Files: map[string]string{
		"doc-huge.service": docUnit(64 << 10),
		"doc-big.service":  docUnit(2 << 20),
	}})
	settle(t, l)
	// The real manager takes seconds to compute so large a reply; the
	// proxy has it ready: a unit After= 100,000 others with long names.
	after := make([]string, 100_000)
	for i := range after {
		after[i] = fmt.Sprintf("dep-%06d-%s.service", i, strings.Repeat("x", 220))
	}
	proxy, addr := startDetailProxy(t, l.PrivateAddress(), unitPath("doc-huge.service"), map[string]dbus.Variant{
		"Id":          dbus.MakeVariant("doc-huge.service"),
		"LoadState":   dbus.MakeVariant("loaded"),
		"ActiveState": dbus.MakeVariant("inactive"),
		"SubState":    dbus.MakeVariant("dead"),
		"After":       dbus.MakeVariant(after),
	})
	after = nil
	t.Logf("a reply of %d MiB", len(proxy.reply)>>20)
	// Each call waits its turn (two at a time) and then reads 23 MiB
	// through the proxy: on a loaded machine that is seconds, past the
	// labs' usual 1 s deadline. The test is about memory and the
	// watcher's connection, not speed.
	w := startWatcher(t, Options{Address: addr, Timeout: time.Minute})
	before := w.Stats()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop := heapPeak()

	const calls = 16
	errs := make(chan error, calls)
	var served atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// States keep being served all along.
		defer wg.Done()
		for {
			select {
			case <-quit:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if _, err := w.Snapshot(); err != nil {
				errs <- fmt.Errorf("Snapshot during the Detail calls: %w", err)
				return
			}
			served.Add(1)
		}
	}()
	var calling sync.WaitGroup
	for range calls {
		calling.Add(1)
		go func() {
			defer calling.Done()
			_, err := w.Detail(context.Background(), "doc-huge.service")
			errs <- err
		}()
	}
	calling.Wait()
	close(quit)
	wg.Wait()
	peak := stop()
	close(errs)
	if n := proxy.answered.Load(); n != calls {
		t.Errorf("%d huge replies sent, want %d", n, calls)
	}
	for err := range errs {
		switch {
		case err == nil:
			t.Error("Detail of a 24 MB unit succeeded; want an error naming the cap")
		case dbusErrorName(err) != errReplyTooLarge || !strings.Contains(err.Error(), "16 MiB") || errors.Is(err, ErrDisconnected):
			t.Errorf("Detail of a 24 MB unit: %v; want an error naming the 16 MiB cap", err)
		}
	}
	t.Logf("heap in use %d MiB before, peak %d MiB during %d Detail calls; %d snapshots served", base>>20, peak>>20, calls, served.Load())
	if bound := base + 2*maxDetailReply; peak > bound {
		t.Errorf("heap in use peaked at %d MiB, over the %d MiB of %d replies within the cap", peak>>20, bound>>20, maxDetails)
	}

	d, err := w.Detail(context.Background(), "doc-big.service")
	if err != nil || d.Name != "doc-big.service" {
		t.Errorf("Detail of a unit under the cap: %+v, %v", d, err)
	}
	// The watcher still follows the manager, on the connection it had.
	systemctl(t, l, "stop", "sleeper.service")
	waitSnapshot(t, w, "sleeper stopped", func(s *Snapshot) bool {
		u, _ := s.Unit("sleeper.service")
		return u.ActiveState == "inactive"
	})
	if after := w.Stats(); after.Sessions != before.Sessions || after.FullSyncs != before.FullSyncs {
		t.Errorf("the Detail calls made the watcher reconnect or resync: %+v -> %+v", before, after)
	}
}

// current is Detail's connection, nil when none is open. Each dial makes a
// new one: a test that holds the one it saw (so its memory is not reused)
// tells a reused connection from a new dial by comparing them.
func (d *detailConns) current() *conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.c
}

// TestLabDetailConnIdle: Detail's connection is dialled for a call, kept
// while calls come, and closed once idle; the next call dials again.
//
// The idle timer starts as a call returns, so the test never looks at the
// connection after a call while a short idle time runs: a stall of the
// test (a loaded machine, -race) as long as it would find the connection
// closed though Detail kept it as it should. Calls that must share a
// connection run with an hour's idle; the short one is set only to wait
// for the close.
func TestLabDetailConnIdle(t *testing.T) {
	l := startLab(t, systemdlab.Options{})
	w := startWatcher(t, Options{Address: l.PrivateAddress()})
	// detail calls Detail and returns the connection it left open.
	detail := func() *conn {
		t.Helper()
		if _, err := w.Detail(context.Background(), "sleeper.service"); err != nil {
			t.Fatal(err)
		}
		return w.dconn.current()
	}
	waitClosed := func() {
		t.Helper()
		testutil.WaitFor(t, "Detail's connection to close when idle", func() error {
			if w.dconn.open() {
				return errors.New("still open")
			}
			return nil
		})
	}
	if w.dconn.open() {
		t.Fatal("Detail's connection open before any Detail call")
	}

	w.detailIdle = time.Hour
	first := detail()
	if first == nil {
		t.Fatal("Detail's connection closed right after the call")
	}
	if c := detail(); c != first {
		t.Fatal("a second call right after the first dialled again instead of reusing the connection")
	}
	// This call arms the short idle timer as it returns.
	w.detailIdle = 50 * time.Millisecond
	detail()
	waitClosed()
	if first.c.Context().Err() == nil {
		t.Error("the idle connection was let go but is still connected")
	}

	w.detailIdle = time.Hour
	second := detail()
	if second == nil || second == first {
		t.Fatalf("the call after the idle close did not dial again (connection %p, before %p)", second, first)
	}
	w.detailIdle = 50 * time.Millisecond
	detail()
	waitClosed()
}

// TestReplyCap: replies within the cap pass unchanged, one over it is
// answered with an error to the same call naming the cap, and signals and
// calls (which any peer on a bus may send) never reach godbus.
func TestReplyCap(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	rc := newReplyCap(client, 1024)
	rc.msgs.Store(true)
	encode := func(typ dbus.Type, replyTo uint32, body string) []byte {
		m := &dbus.Message{Type: typ, Headers: map[dbus.HeaderField]dbus.Variant{}, Body: []any{body}}
		m.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body))
		switch typ {
		case dbus.TypeSignal:
			m.Headers[dbus.FieldPath] = dbus.MakeVariant(managerPath)
			m.Headers[dbus.FieldInterface] = dbus.MakeVariant("org.freedesktop.DBus")
			m.Headers[dbus.FieldMember] = dbus.MakeVariant("NameAcquired")
		case dbus.TypeMethodCall:
			m.Headers[dbus.FieldPath] = dbus.MakeVariant(managerPath)
			m.Headers[dbus.FieldMember] = dbus.MakeVariant("Ping")
		default:
			m.Headers[dbus.FieldReplySerial] = dbus.MakeVariant(replyTo)
		}
		var b bytes.Buffer
		if err := m.EncodeTo(&b, binary.LittleEndian); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	huge := encode(dbus.TypeMethodReply, 8, strings.Repeat("x", 2000))
	go func() {
		defer server.Close()
		for _, m := range [][]byte{
			encode(dbus.TypeMethodReply, 7, "small"),
			encode(dbus.TypeSignal, 0, "forged"),
			huge,
			encode(dbus.TypeMethodCall, 0, "call"),
			encode(dbus.TypeMethodReply, 9, "after"),
		} {
			if _, err := server.Write(m); err != nil {
				return
			}
		}
	}()
	type got struct {
		Type      dbus.Type
		ReplyTo   uint32
		ErrorName string
		Body      string
	}
	var gots []got
	for {
		m, err := dbus.DecodeMessage(rc)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		g := got{Type: m.Type}
		g.ReplyTo, _ = m.Headers[dbus.FieldReplySerial].Value().(uint32)
		g.ErrorName, _ = m.Headers[dbus.FieldErrorName].Value().(string)
		if len(m.Body) == 1 {
			g.Body, _ = m.Body[0].(string)
		}
		gots = append(gots, g)
	}
	want := []got{
		{dbus.TypeMethodReply, 7, "", "small"},
		{dbus.TypeError, 8, errReplyTooLarge, fmt.Sprintf("reply of %d bytes is over the 1024 bytes a reply may be here", len(huge))},
		{dbus.TypeMethodReply, 9, "", "after"},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("messages read (-want +got):\n%s", diff)
	}
	if n := rc.refused.Load(); n != 1 {
		t.Errorf("%d replies refused, want 1", n)
	}
}
