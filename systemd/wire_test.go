package systemd

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/godbus/dbus/v5"
)

// encode makes a message's wire bytes with godbus's encoder, the other
// implementation of the format these tests hold the decoder to.
func encode(t testing.TB, order binary.ByteOrder, typ dbus.Type, path dbus.ObjectPath, iface, member, sender string, body ...any) []byte {
	t.Helper()
	m := &dbus.Message{Type: typ, Headers: map[dbus.HeaderField]dbus.Variant{}, Body: body}
	if path != "" {
		m.Headers[dbus.FieldPath] = dbus.MakeVariant(path)
	}
	if iface != "" {
		m.Headers[dbus.FieldInterface] = dbus.MakeVariant(iface)
	}
	if member != "" {
		m.Headers[dbus.FieldMember] = dbus.MakeVariant(member)
	}
	if sender != "" {
		m.Headers[dbus.FieldSender] = dbus.MakeVariant(sender)
	}
	if typ == dbus.TypeMethodReply || typ == dbus.TypeError {
		m.Headers[dbus.FieldReplySerial] = dbus.MakeVariant(uint32(7))
	}
	if typ == dbus.TypeError {
		m.Headers[dbus.FieldErrorName] = dbus.MakeVariant(errUnknownProp)
	}
	if len(body) > 0 {
		m.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
	}
	var b bytes.Buffer
	if err := m.EncodeTo(&b, order); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const crashPath = dbus.ObjectPath(unitPathPrefix + "crash_2eservice")

func propsChanged(t testing.TB, order binary.ByteOrder, path dbus.ObjectPath, sender, iface string, changed map[string]dbus.Variant, invalidated []string) []byte {
	return encode(t, order, dbus.TypeSignal, path, propsIface, "PropertiesChanged", sender, iface, changed, invalidated)
}

// route parses msg and routes it into in, as the connection does.
func route(t testing.TB, in *inbox, msg []byte) {
	t.Helper()
	m, err := parseMessage(msg)
	if err != nil {
		t.Fatalf("parseMessage: %v", err)
	}
	in.route(&m)
}

func TestParseMessageHeader(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		msg := encode(t, order, dbus.TypeSignal, managerPath, managerIface, "UnitNew", ":1.5", "crash.service", crashPath)
		m, err := parseMessage(msg)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.path) != string(managerPath) || string(m.iface) != managerIface || string(m.member) != "UnitNew" || string(m.sender) != ":1.5" || string(m.sig) != "so" || m.typ != msgSignal {
			t.Errorf("%v: path %q iface %q member %q sender %q sig %q type %d", order, m.path, m.iface, m.member, m.sender, m.sig, m.typ)
		}
		d := decoder{b: m.body, order: m.order}
		if name, path := d.str(), d.str(); string(name) != "crash.service" || string(path) != string(crashPath) || d.err != nil {
			t.Errorf("%v: body %q %q, %v", order, name, path, d.err)
		}
		if _, err := parseMessage(msg[:len(msg)-1]); err == nil {
			t.Errorf("%v: a message one byte short parsed", order)
		}
	}
}

// TestPropertiesChangedValues: the values systemd sends with a change are
// read from the signal as they are, in either byte order.
func TestPropertiesChangedValues(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		in := newInbox(false)
		route(t, in, propsChanged(t, order, crashPath, "", unitIface, map[string]dbus.Variant{
			"ActiveState":                   dbus.MakeVariant("activating"),
			"SubState":                      dbus.MakeVariant("auto-restart"),
			"StateChangeTimestamp":          dbus.MakeVariant(uint64(1_700_000_000_000_000)),
			"ActiveEnterTimestampMonotonic": dbus.MakeVariant(uint64(42)),
			"Conditions":                    dbus.MakeVariant([][]any{{"ConditionPathExists", false, false, "/x", int32(0)}}),
			"ActivationDetails":             dbus.MakeVariant([][]string{{"trigger_unit", "x.timer"}}),
			"InvocationID":                  dbus.MakeVariant([]byte{1, 2, 3}),
		}, []string{"Asserts"}))
		route(t, in, propsChanged(t, order, crashPath, "", serviceIface, map[string]dbus.Variant{
			"NRestarts":      dbus.MakeVariant(uint32(65)),
			"Result":         dbus.MakeVariant("exit-code"),
			"ExecMainStatus": dbus.MakeVariant(int32(-3)),
			"MainPID":        dbus.MakeVariant(uint32(4242)),
			"StatusText":     dbus.MakeVariant("whatever"),
		}, []string{"ExecStart", "ExecStartEx"}))
		d := in.drain()
		p := d.units[string(crashPath)]
		if p == nil || p.reread {
			t.Fatalf("%v: pending %+v", order, p)
		}
		u := Unit{Service: &Service{Restart: "always"}}
		p.v.apply(&u, ^valueSet(0))
		want := Unit{ActiveState: "activating", SubState: "auto-restart", StateChangeUSec: 1_700_000_000_000_000,
			Times:   UnitTimes{ActiveEnterUSec: 42},
			Service: &Service{NRestarts: 65, Result: "exit-code", ExecMainStatus: -3, MainPID: 4242, Restart: "always"}}
		if u.ActiveState != want.ActiveState || u.SubState != want.SubState || u.StateChangeUSec != want.StateChangeUSec || u.Times != want.Times || *u.Service != *want.Service {
			t.Errorf("%v: applied %+v %+v, want %+v %+v", order, u, *u.Service, want, *want.Service)
		}
	}
}

// TestPropertiesChangedRereads: a signal that leaves doubt sends the unit
// to be read again instead of setting a wrong value.
func TestPropertiesChangedRereads(t *testing.T) {
	for name, msg := range map[string][]byte{
		"wrong type":          propsChanged(t, binary.LittleEndian, crashPath, "", serviceIface, map[string]dbus.Variant{"NRestarts": dbus.MakeVariant("65")}, nil),
		"tracked invalidated": propsChanged(t, binary.LittleEndian, crashPath, "", unitIface, nil, []string{"ActiveState"}),
		"cached property":     propsChanged(t, binary.LittleEndian, crashPath, "", unitIface, map[string]dbus.Variant{"FragmentPath": dbus.MakeVariant("/x")}, nil),
	} {
		in := newInbox(false)
		route(t, in, msg)
		if p := in.drain().units[string(crashPath)]; p == nil || !p.reread {
			t.Errorf("%s: pending %+v, want a reread", name, p)
		}
	}
}

// TestInboxBelievesOnlyTheManager: on a bus, signals from any other peer
// are ignored, and only the bus itself says the manager left.
func TestInboxBelievesOnlyTheManager(t *testing.T) {
	le := binary.LittleEndian
	changed := map[string]dbus.Variant{"ActiveState": dbus.MakeVariant("failed")}
	in := newInbox(true)
	in.setOwner(":1.5")
	forged := [][]byte{
		propsChanged(t, le, crashPath, ":1.9", unitIface, changed, nil),
		encode(t, le, dbus.TypeSignal, managerPath, managerIface, "Reloading", ":1.9", false),
		encode(t, le, dbus.TypeSignal, "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged", ":1.9", busName, ":1.5", ""),
		encode(t, le, dbus.TypeSignal, managerPath, managerIface, "Reloading", "", false),
		// godbus panicked on these from any peer.
		encode(t, le, dbus.TypeSignal, "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameAcquired", "org.freedesktop.DBus"),
		encode(t, le, dbus.TypeSignal, "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameLost", "org.freedesktop.DBus", uint32(3)),
	}
	for _, msg := range forged {
		route(t, in, msg)
	}
	if d := in.drain(); d.any() {
		t.Errorf("forged signals were believed: %+v", d)
	}
	if got := in.ignored.Load(); got != uint64(len(forged)) {
		t.Errorf("%d signals ignored, want %d", got, len(forged))
	}
	route(t, in, propsChanged(t, le, crashPath, ":1.5", unitIface, changed, nil))
	route(t, in, encode(t, le, dbus.TypeSignal, "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged", "org.freedesktop.DBus", busName, ":1.5", ""))
	d := in.drain()
	if p := d.units[string(crashPath)]; p == nil || p.v.activeState != "failed" || !d.gone {
		t.Errorf("the manager's signals were not believed: %+v, gone %v", p, d.gone)
	}
}

// TestInboxStaysSmall: however many signals a unit sends, the inbox holds
// one record for it, and routing a signal allocates nothing once it has.
func TestInboxStaysSmall(t *testing.T) {
	in := newInbox(false)
	msg := propsChanged(t, binary.LittleEndian, crashPath, "", unitIface, map[string]dbus.Variant{
		"ActiveState": dbus.MakeVariant("activating"), "SubState": dbus.MakeVariant("auto-restart"),
		"StateChangeTimestamp": dbus.MakeVariant(uint64(1)),
	}, []string{"Conditions"})
	m, err := parseMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() { in.route(&m) })
	if allocs != 0 {
		t.Errorf("routing a signal for a pending unit allocates %v times", allocs)
	}
	if len(in.units) != 1 {
		t.Errorf("%d pending records, want 1", len(in.units))
	}
}

// TestWireConnRouting: behind the wire connection godbus reads only
// replies; signals go to the inbox and calls from the peer are dropped.
func TestWireConnRouting(t *testing.T) {
	le := binary.LittleEndian
	reply := encode(t, le, dbus.TypeMethodReply, "", "", "", "", "ok")
	var stream bytes.Buffer
	stream.Write(propsChanged(t, le, crashPath, "", unitIface, map[string]dbus.Variant{"ActiveState": dbus.MakeVariant("failed")}, nil))
	stream.Write(encode(t, le, dbus.TypeMethodCall, "/x", "x.y", "Z", ""))
	stream.Write([]byte{'l', 4, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}) // a signal with no fields
	// A signal far larger than any the manager sends is passed over.
	huge := propsChanged(t, le, crashPath, "", unitIface, map[string]dbus.Variant{"Description": dbus.MakeVariant(strings.Repeat("x", maxSignal))}, nil)
	stream.Write(huge)
	stream.Write(reply)

	client, server := net.Pipe()
	defer client.Close()
	in := newInbox(false)
	wc := newWireConn(client, in)
	go func() {
		_, _ = io.ReadAll(server) // what the client writes
	}()
	go func() {
		_, _ = server.Write([]byte("OK 1234\r\n"))
		_, _ = server.Write(stream.Bytes())
	}()
	line := make([]byte, 9)
	if _, err := io.ReadFull(wc, line); err != nil || string(line) != "OK 1234\r\n" {
		t.Fatalf("auth line %q, %v", line, err)
	}
	if _, err := wc.Write([]byte("BEGIN\r\n")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(reply))
	if _, err := io.ReadFull(wc, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, reply) {
		t.Errorf("godbus would read %x, want the reply %x", got, reply)
	}
	// The huge signal would have asked for a reread (Description).
	if p := in.drain().units[string(crashPath)]; p == nil || p.v.activeState != "failed" || p.reread {
		t.Errorf("the signal did not reach the inbox, or the huge one did: %+v", p)
	}
	if wc.dropped.Load() != 2 || in.ignored.Load() != 2 {
		t.Errorf("%d messages dropped and %d signals ignored, want the call and the huge signal dropped, the empty and the huge signal ignored", wc.dropped.Load(), in.ignored.Load())
	}
}

// FuzzWireMessage: any bytes either parse or are refused, routing never
// panics, and its cost is bounded: a few allocations per message at most,
// whatever its size.
func FuzzWireMessage(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(propsChanged(f, le, crashPath, "", serviceIface, map[string]dbus.Variant{"NRestarts": dbus.MakeVariant(uint32(3)), "Result": dbus.MakeVariant("signal")}, []string{"ExecStart"}))
	f.Add(propsChanged(f, be, crashPath, "", unitIface, map[string]dbus.Variant{"ActiveState": dbus.MakeVariant("active"), "Conditions": dbus.MakeVariant([][]any{{"a", true, false, "b", int32(1)}})}, nil))
	f.Add(encode(f, le, dbus.TypeSignal, managerPath, managerIface, "UnitNew", "", "crash.service", crashPath))
	f.Add(encode(f, le, dbus.TypeSignal, managerPath, managerIface, "JobRemoved", "", uint32(3), dbus.ObjectPath("/org/freedesktop/systemd1/job/3"), "crash.service", "done"))
	f.Add(encode(f, le, dbus.TypeSignal, managerPath, managerIface, "Reloading", "", false))
	f.Add(encode(f, le, dbus.TypeSignal, "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged", "org.freedesktop.DBus", busName, ":1.5", ""))
	f.Add(encode(f, le, dbus.TypeSignal, "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameAcquired", "org.freedesktop.DBus"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, bus := range []bool{false, true} {
			in := newInbox(bus)
			in.setOwner("org.freedesktop.DBus")
			allocs := testing.AllocsPerRun(1, func() {
				if m, err := parseMessage(msg); err == nil {
					in.route(&m)
				}
			})
			if allocs > 12 {
				t.Errorf("bus %v: %v allocations for a %d-byte message", bus, allocs, len(msg))
			}
		}
	})
}

// TestRawGet: a Get the wire connection writes is the call godbus would
// decode, and the reply's variant reads back as godbus would store it.
func TestRawGet(t *testing.T) {
	msg := encodeGet(nil, rawSerialBase|7, crashPath, serviceIface, "NRestarts")
	m, err := dbus.DecodeMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	want := map[dbus.HeaderField]any{dbus.FieldPath: crashPath, dbus.FieldInterface: propsIface, dbus.FieldMember: "Get",
		dbus.FieldDestination: busName, dbus.FieldSignature: dbus.SignatureOf("", "")}
	for f, v := range want {
		if got := m.Headers[f].Value(); got != v {
			t.Errorf("header %d = %v, want %v", f, got, v)
		}
	}
	if len(m.Body) != 2 || m.Body[0] != serviceIface || m.Body[1] != "NRestarts" || m.Flags != dbus.FlagNoAutoStart {
		t.Errorf("body %v, flags %v", m.Body, m.Flags)
	}

	for _, v := range []any{"exit-code", uint32(65), int32(-3), uint64(1 << 40), true, []string{"a.service", "b.target"}, []string{}, dbus.ObjectPath("/x")} {
		reply := encode(t, binary.BigEndian, dbus.TypeMethodReply, "", "", "", "", dbus.MakeVariant(v))
		wm, err := parseMessage(reply)
		if err != nil {
			t.Fatal(err)
		}
		wm.replySerial = rawSerialBase | 7
		wc := &wireConn{calls: map[uint32]func(uint32, rawReply){}}
		var got rawReply
		wc.calls[rawSerialBase|7] = func(_ uint32, r rawReply) { got = r }
		if !wc.reply(&wm) {
			t.Fatal("the reply was not taken")
		}
		if got.err != nil || got.errName != "" || !reflect.DeepEqual(got.value.Value(), v) {
			t.Errorf("%T %v read back as %#v (%v %q)", v, v, got.value.Value(), got.err, got.errName)
		}
	}
	errReply := encode(t, binary.LittleEndian, dbus.TypeError, "", "", "", "")
	wm, _ := parseMessage(errReply)
	wm.replySerial = rawSerialBase | 8
	wc := &wireConn{calls: map[uint32]func(uint32, rawReply){}}
	var got rawReply
	wc.calls[rawSerialBase|8] = func(_ uint32, r rawReply) { got = r }
	wc.reply(&wm)
	if got.errName != errUnknownProp {
		t.Errorf("error reply read as %+v", got)
	}
}

// TestValidRows: a listing's rows with names no unit can have are left
// out and counted.
func TestValidRows(t *testing.T) {
	long := strings.Repeat("x", unitNameMax) + ".service"
	rows := []unitRow{
		{Name: "a.service", Path: unitPath("a.service")},
		{Name: long, Path: unitPath(long)},
		{Name: "b\xff.service", Path: "/org/freedesktop/systemd1/unit/b_ff_2eservice"},
		{Name: "c.service", Path: "/org/freedesktop/systemd1/job/1"},
		{Name: strings.Repeat("y", unitNameMax-len(".service")-1) + ".service", Path: unitPath("y.service")},
	}
	kept, refused := validRows(rows)
	if len(kept) != 2 || kept[0].Name != "a.service" || refused != 3 {
		t.Errorf("kept %d (%v...), refused %d; want a.service and the 255-byte name, 3 refused", len(kept), kept[0].Name, refused)
	}
}

// TestSameUnit: units are compared by their services' and timers' values,
// so a signal that repeats them rebuilds nothing.
func TestSameUnit(t *testing.T) {
	a := Unit{Name: "a.service", ActiveState: "active", Service: &Service{NRestarts: 2}, Timer: &Timer{LastTriggerUSec: 1}}
	b := a
	b.Service, b.Timer = &Service{NRestarts: 2}, &Timer{LastTriggerUSec: 1}
	if !sameUnit(a, b) {
		t.Error("equal values in new pointers differ")
	}
	b.Service = &Service{NRestarts: 3}
	if sameUnit(a, b) {
		t.Error("a new restart count is the same")
	}
	b = a
	b.Times.ActiveEnterUSec = 9
	if sameUnit(a, b) {
		t.Error("a new timestamp is the same")
	}
}

// TestSnapshotStale: a connected watcher whose snapshot has not been
// brought up to date for longer than any sync should take says so.
func TestSnapshotStale(t *testing.T) {
	w := New(Options{})
	s := &Snapshot{UpdatedAt: time.Now()}
	w.snap.Store(s)
	w.setStatus(nil)
	if got, err := w.Snapshot(); err != nil || got != s {
		t.Fatalf("fresh snapshot: %v, %v", got, err)
	}
	w.snap.Store(&Snapshot{UpdatedAt: time.Now().Add(-w.staleAfter() - time.Second)})
	if _, err := w.Snapshot(); !errors.Is(err, ErrStale) || !errors.Is(err, ErrDisconnected) {
		t.Errorf("stale snapshot: err %v, want ErrStale", err)
	}
	if w.LastGood() == nil {
		t.Error("LastGood lost the stale snapshot")
	}
}

// TestNextElapse: list-timers' NEXT is the earlier of the calendar trigger
// and the monotonic one turned into a time of day.
func TestNextElapse(t *testing.T) {
	now := DualTimestamp{RealtimeUSec: 1_000_000_000, MonotonicUSec: 5_000}
	for _, c := range []struct {
		rt, mono, want uint64
	}{
		{0, 0, 0},
		{2_000_000_000, 0, 2_000_000_000},
		{0, 6_000, 1_000_001_000},
		{2_000_000_000, 6_000, 1_000_001_000},
		{1_000_000_500, 6_000, 1_000_000_500},
		{USecInfinity, 6_000, 1_000_001_000},
		{0, USecInfinity, 0},
	} {
		if got := nextElapse(&Timer{NextElapseRealtimeUSec: c.rt, NextElapseMonotonicUSec: c.mono}, now); got != c.want {
			t.Errorf("realtime %d, monotonic %d: %d, want %d", c.rt, c.mono, got, c.want)
		}
	}
}

// TestRefreshSkipsBadPaths: a signal for an object path whose escapes
// decode to a name that is not UTF-8 ("_ff") is counted and passed over; it
// used to be looked up with ListUnitsByPatterns, which D-Bus cannot carry,
// and that ended the session.
func TestRefreshSkipsBadPaths(t *testing.T) {
	w := New(Options{})
	w.c = &cache{units: map[string]*entry{}}
	d := drained{units: map[string]*pending{unitPathPrefix + "_ff_2eservice": {reread: true}}}
	changed, err := w.refresh(t.Context(), nil, d)
	if err != nil || changed || w.badSignals.Load() != 1 {
		t.Errorf("refresh: changed %v, err %v, %d bad signals", changed, err, w.badSignals.Load())
	}
}

// TestWireConnPauseEndsOnCall: between two batches of signals the reader
// pauses (here for an hour), and a call written meanwhile, or Close, ends
// the pause at once: a reply never waits for the next batch. The inbox
// wakes the watcher once per drain, however many signals come.
func TestWireConnPauseEndsOnCall(t *testing.T) {
	wc, in, server, calls := pausingWireConn(t)
	signal, reply, call := pauseSignal(t), pauseReply(t), pauseCall(t)
	go func() {
		// One batch of three.
		_, _ = server.Write(bytes.Repeat(signal, 3))
	}()
	noWake := func() {
		select {
		case <-wc.wake:
		default:
		}
	}
	read := func() <-chan error {
		done := make(chan error, 1)
		go func() {
			got := make([]byte, len(reply))
			_, err := io.ReadFull(wc, got)
			if err == nil && !bytes.Equal(got, reply) {
				err = fmt.Errorf("read %x, want the reply", got)
			}
			done <- err
		}()
		return done
	}
	done := read()
	// The reader took the signals and is in its pause.
	testutil.WaitFor(t, "the signals", func() error {
		if n := in.signals.Load(); n != 3 {
			return fmt.Errorf("%d of 3 routed", n)
		}
		return nil
	})
	if n := len(in.notify); n != 1 {
		t.Errorf("three signals left %d wake-ups for the watcher, want 1", n)
	}
	<-in.notify
	route(t, in, signal)
	if n := len(in.notify); n != 0 {
		t.Error("a signal before the drain woke the watcher again")
	}
	in.drain()
	route(t, in, signal)
	if n := len(in.notify); n != 1 {
		t.Error("the first signal after a drain did not wake the watcher")
	}

	if _, err := wc.Write(call); err != nil {
		t.Fatal(err)
	}
	if got := <-calls; !bytes.Equal(got, call) {
		t.Fatalf("the manager read %x, want the call", got)
	}
	go func() { _, _ = server.Write(reply) }()
	if err := waitDone(t, "the reply, within the pause", done); err != nil {
		t.Fatal(err)
	}

	// Paused again after the reply's batch; Close ends it too.
	done = read()
	noWake()
	routed := in.signals.Load()
	go func() { _, _ = server.Write(signal) }()
	testutil.WaitFor(t, "one more signal", func() error {
		if n := in.signals.Load(); n != routed+1 {
			return fmt.Errorf("%d routed, want %d", n, routed+1)
		}
		return nil
	})
	_ = wc.Close()
	if err := waitDone(t, "the read's end after Close", done); err == nil {
		t.Error("a read after Close succeeded")
	}
}

// waitDone returns what done says, failing the test when it has said
// nothing shortly before the test's deadline.
func waitDone(t *testing.T, what string, done <-chan error) error {
	t.Helper()
	deadline, limited := testutil.Deadline(t)
	if !limited {
		return <-done
	}
	select {
	case err := <-done:
		return err
	case <-time.After(time.Until(deadline)):
		t.Fatalf("waiting for %s: the test binary's -timeout is near", what)
		return nil
	}
}

// TestWireConnNoPauseWhileCallInFlight: while a call waits for its reply
// the reader does not pause after a batch of signals, even when no call
// is written meanwhile: the reply is read as soon as it comes.
func TestWireConnNoPauseWhileCallInFlight(t *testing.T) {
	wc, in, server, got := pausingWireConn(t)
	signal, reply, call := pauseSignal(t), pauseReply(t), pauseCall(t)
	if _, err := wc.Write(call); err != nil {
		t.Fatal(err)
	}
	<-got
	// Neither BEGIN nor the call may end a pause: only the call being in
	// flight keeps the reader from one.
	for range 2 {
		select {
		case <-wc.wake:
		default:
		}
	}
	done := make(chan error, 1)
	go func() {
		b := make([]byte, len(reply))
		_, err := io.ReadFull(wc, b)
		done <- err
	}()
	go func() { _, _ = server.Write(signal) }()
	testutil.WaitFor(t, "the signal", func() error {
		if in.signals.Load() != 1 {
			return errors.New("not routed yet")
		}
		return nil
	})
	go func() { _, _ = server.Write(reply) }()
	if err := waitDone(t, "the reply after a batch of signals, with the call in flight", done); err != nil {
		t.Fatal(err)
	}
	if n := wc.awaiting.Load(); n != 0 {
		t.Errorf("%d calls still counted in flight after their reply", n)
	}
}

// TestWireConnReadsBeforeDrain: the reader's pause is what is left of
// signalBatch, cut short to end readAhead before a drain the watcher
// announced (which also ends a pause under way); at that moment the read
// is due at once, and after it the pauses are whole again.
func TestWireConnReadsBeforeDrain(t *testing.T) {
	hourBatches(t)
	c := &wireConn{wake: make(chan struct{}, 1)}
	now := time.Now()
	c.lastFill = now
	if d := c.pauseFor(now.Add(time.Minute)); d != time.Hour-time.Minute {
		t.Errorf("pause %v a minute after a read, want the rest of the batch", d)
	}
	c.readBefore(now.Add(time.Second))
	if len(c.wake) != 1 {
		t.Error("announcing a drain did not end the pause under way")
	}
	if d := c.pauseFor(now); d != time.Second-readAhead {
		t.Errorf("pause %v a second before a drain, want %v", d, time.Second-readAhead)
	}
	if d := c.pauseFor(now.Add(time.Second - readAhead)); d != 0 {
		t.Errorf("pause %v at the read before the drain, want none", d)
	}
	if d := c.pauseFor(now.Add(time.Second)); d != time.Hour-time.Second {
		t.Errorf("pause %v after the drain's read, want the rest of the batch", d)
	}
}

// pausingWireConn returns a wire connection past authentication over a
// pipe, with signalBatch an hour, the manager's end of the pipe, and a
// channel that receives the first message the manager reads after BEGIN
// (pauseCall's length). BEGIN's wake-up is drained: only what the test
// writes next may end a pause.
func pausingWireConn(t *testing.T) (*wireConn, *inbox, net.Conn, <-chan []byte) {
	t.Helper()
	hourBatches(t)
	client, server := net.Pipe()
	in := newInbox(false)
	wc := newWireConn(client, in)
	t.Cleanup(func() { _ = wc.Close() })
	calls := make(chan []byte, 1)
	n := len(pauseCall(t))
	go func() {
		r := bufio.NewReader(server)
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err == nil {
			calls <- b
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	go func() { _, _ = server.Write([]byte("OK 1234\r\n")) }()
	line := make([]byte, 9)
	if _, err := io.ReadFull(wc, line); err != nil {
		t.Fatal(err)
	}
	if _, err := wc.Write([]byte("BEGIN\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wc.wake:
	default:
	}
	return wc, in, server, calls
}

// hourBatches makes signalBatch an hour for the test: a pause ends only
// by what the test does.
func hourBatches(t *testing.T) {
	old := signalBatch
	signalBatch = time.Hour
	t.Cleanup(func() { signalBatch = old })
}

func pauseSignal(t *testing.T) []byte {
	return propsChanged(t, binary.LittleEndian, crashPath, "", unitIface, map[string]dbus.Variant{"ActiveState": dbus.MakeVariant("failed")}, nil)
}

func pauseReply(t *testing.T) []byte {
	return encode(t, binary.LittleEndian, dbus.TypeMethodReply, "", "", "", "", "ok")
}

func pauseCall(t *testing.T) []byte {
	return encode(t, binary.LittleEndian, dbus.TypeMethodCall, "/x", "x.y", "Z", "")
}
