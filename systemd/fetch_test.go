package systemd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/godbus/dbus/v5"
)

// fakeManager answers the Properties.Get calls written to server with
// answer, on the wire as a manager would: a value, or an error name, or
// (reply false) never.
func fakeManager(t *testing.T, server net.Conn, answer func(path dbus.ObjectPath, prop string) (v any, errName string, reply bool)) {
	r := bufio.NewReader(server)
	for {
		fixed, err := r.Peek(16)
		if err != nil {
			return
		}
		h, err := parseFixed(fixed)
		if err != nil {
			t.Errorf("fake manager: %v", err)
			return
		}
		msg := make([]byte, h.size())
		if _, err := io.ReadFull(r, msg); err != nil {
			return
		}
		m, err := parseMessage(msg)
		if err != nil || m.typ != msgMethodCall || string(m.member) != "Get" {
			t.Errorf("fake manager: not a Get: %v %q", err, m.member)
			return
		}
		serial := h.order.Uint32(msg[8:12])
		d := decoder{b: m.body, order: m.order}
		d.str()
		prop := string(d.str())
		v, errName, reply := answer(dbus.ObjectPath(m.path), prop)
		if !reply {
			continue
		}
		out := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldReplySerial: dbus.MakeVariant(serial),
		}}
		if errName != "" {
			out.Type = dbus.TypeError
			out.Headers[dbus.FieldErrorName] = dbus.MakeVariant(errName)
		} else {
			out.Body = []any{dbus.MakeVariant(v)}
			out.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(out.Body...))
		}
		var b bytes.Buffer
		if err := out.EncodeTo(&b, binary.LittleEndian); err != nil {
			t.Error(err)
			return
		}
		if _, err := server.Write(b.Bytes()); err != nil {
			return
		}
	}
}

// fakeConn is a watcher's connection to a fakeManager answering with
// answer, over a pipe, past authentication.
func fakeConn(t *testing.T, answer func(path dbus.ObjectPath, prop string) (v any, errName string, reply bool)) *conn {
	client, server := net.Pipe()
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	in := newInbox(false)
	wc := newWireConn(client, in)
	wc.msgs.Store(true)
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := wc.Read(buf); err != nil {
				return
			}
		}
	}()
	go fakeManager(t, server, answer)
	return &conn{wc: wc, in: in}
}

// TestFetchOneBadUnit: a unit whose reads the manager refuses, one it
// never answers and one it answers with the wrong type are reported as
// such; every other unit is read.
func TestFetchOneBadUnit(t *testing.T) {
	denied, silent, odd := unitPath("denied.service"), unitPath("silent.service"), unitPath("odd.service")
	c := fakeConn(t, func(path dbus.ObjectPath, prop string) (any, string, bool) {
		switch {
		case path == denied && prop == "NRestarts":
			return nil, "org.freedesktop.DBus.Error.AccessDenied", true
		case path == silent && prop == "After":
			return nil, "", false
		case path == odd && prop == "NRestarts":
			return "three", "", true
		case prop == "NRestarts":
			return uint32(3), "", true
		case prop == "Names" || prop == "After":
			return []string{"x"}, "", true
		case prop == "Result" || prop == "Restart" || prop == "FragmentPath" || prop == "SourcePath":
			return "", "", true
		case prop == "ExecMainStatus" || prop == "ExecMainCode":
			return int32(0), "", true
		case prop == "MainPID":
			return uint32(0), "", true
		case prop == "NeedDaemonReload":
			return false, "", true
		}
		return uint64(1), "", true
	})
	w := New(Options{Timeout: 300 * time.Millisecond})
	var rows []unitRow
	for _, n := range []string{"a.service", "denied.service", "silent.service", "odd.service", "b.service", "t.target"} {
		rows = append(rows, unitRow{Name: n, Path: unitPath(n), LoadState: "loaded", ActiveState: "active", SubState: "running"})
	}
	entries, err := w.fetchBatch(t.Context(), c, rows)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Unit{}
	for _, e := range entries {
		got[e.unit.Name] = e.unit
	}
	if len(got) != len(rows) {
		t.Fatalf("%d units read, want %d", len(got), len(rows))
	}
	for _, n := range []string{"a.service", "b.service"} {
		if u := got[n]; u.DetailError != "" || u.Service == nil || u.Service.NRestarts != 3 {
			t.Errorf("%s: %+v", n, u)
		}
	}
	if e := got["denied.service"].DetailError; e != "NRestarts: org.freedesktop.DBus.Error.AccessDenied" {
		t.Errorf("denied.service: detail error %q", e)
	}
	if e := got["silent.service"].DetailError; e != "After: no reply within 300ms" {
		t.Errorf("silent.service: detail error %q", e)
	}
	if e := got["odd.service"].DetailError; e != `NRestarts: type "s", want "u"` {
		t.Errorf("odd.service: detail error %q", e)
	}
	if f := w.Stats().UnitFaults; f != 3 {
		t.Errorf("%d unit faults counted, want 3", f)
	}
}

// TestFetchSilentManager: a manager that answers nothing fails the batch
// rather than blaming every unit.
func TestFetchSilentManager(t *testing.T) {
	c := fakeConn(t, func(dbus.ObjectPath, string) (any, string, bool) { return nil, "", false })
	w := New(Options{Timeout: 100 * time.Millisecond})
	_, err := w.fetchBatch(t.Context(), c, []unitRow{{Name: "a.service", Path: unitPath("a.service")}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline", err)
	}
	if f := w.Stats().UnitFaults; f != 0 {
		t.Errorf("%d units blamed", f)
	}
}

// TestFetchBusLimit: a bus that refuses calls past its limit of replies
// awaited (LimitsExceeded) gets fewer at a time, and every refused call
// again: all units are read, none blamed.
func TestFetchBusLimit(t *testing.T) {
	refused := 0
	c := fakeConn(t, func(path dbus.ObjectPath, prop string) (any, string, bool) {
		if refused < 20 {
			refused++
			return nil, errLimitsExceeded, true
		}
		if prop == "NRestarts" {
			return uint32(7), "", true
		}
		return nil, errUnknownProp, true
	})
	w := New(Options{Timeout: time.Second})
	var rows []unitRow
	for i := range 40 {
		n := fmt.Sprintf("u%d.service", i)
		rows = append(rows, unitRow{Name: n, Path: unitPath(n)})
	}
	entries, err := w.fetchBatch(t.Context(), c, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(rows) || w.Stats().UnitFaults != 0 {
		t.Fatalf("%d units read, %d faults", len(entries), w.Stats().UnitFaults)
	}
	for _, e := range entries {
		if e.unit.Service == nil || e.unit.Service.NRestarts != 7 {
			t.Errorf("%s: %+v", e.unit.Name, e.unit.Service)
		}
	}
	if d := c.depth(); d >= pipelineDepth {
		t.Errorf("depth %d after the bus refused calls", d)
	}
}

// TestGetPropsRaw: the watcher reads properties through its own wire
// calls: values of each type, an unknown property as none, another error
// as the first error (named, so askReload can tell a unit's trouble), and
// a manager that never answers as the context's end, with the calls
// given up on.
func TestGetPropsRaw(t *testing.T) {
	c := fakeConn(t, func(path dbus.ObjectPath, prop string) (any, string, bool) {
		switch prop {
		case "SystemState":
			return "degraded", "", true
		case "NFailedUnits":
			return uint32(2), "", true
		case "NJobs":
			return nil, errUnknownProp, true
		case "NNames":
			return nil, "org.freedesktop.DBus.Error.AccessDenied", true
		}
		return nil, "", false // Silent
	})
	p, err := c.getProps(context.Background(), managerPath, managerIface, counterProps)
	if p.str("SystemState") != "degraded" || p.u32("NFailedUnits") != 2 || p.u32("NJobs") != 0 {
		t.Errorf("read %v", p)
	}
	if dbusErrorName(err) != "org.freedesktop.DBus.Error.AccessDenied" {
		t.Errorf("error %v, want NNames's access denied, by name", err)
	}
	if _, err := c.getProps(context.Background(), managerPath, managerIface, []string{"SystemState", "NFailedUnits"}); err != nil {
		t.Errorf("a read of two answered properties: %v", err)
	}

	// The manager's counters are read under a call's deadline: they count
	// against the watcher's budget of calls, but never wait for it, even
	// for a budget no call could get.
	c.wc.pacer = newPacer(0, time.Now())
	done := make(chan error, 1)
	go func() {
		_, err := c.getProps(context.Background(), managerPath, managerIface, []string{"SystemState", "NFailedUnits"})
		done <- err
	}()
	testutil.WaitFor(t, "the counters read with the budget spent", func() error {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the counters read with the budget spent: %v", err)
			}
			return nil
		default:
			return errors.New("still reading")
		}
	})
	if c.wc.pacer.total != 2 {
		t.Errorf("the pacer counted %d calls, want the 2 reads", c.wc.pacer.total)
	}
	c.wc.pacer = nil

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.getProps(ctx, managerPath, managerIface, []string{"Silent"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a silent manager: %v, want the context's end", err)
	}
	c.wc.cmu.Lock()
	n := len(c.wc.calls)
	c.wc.cmu.Unlock()
	if n != 0 {
		t.Errorf("%d calls still in flight after giving up", n)
	}
}
