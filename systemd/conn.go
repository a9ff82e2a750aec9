package systemd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// D-Bus names of the manager's API (org.freedesktop.systemd1(5)).
const (
	busName         = "org.freedesktop.systemd1"
	managerPath     = dbus.ObjectPath("/org/freedesktop/systemd1")
	unitPathPrefix  = "/org/freedesktop/systemd1/unit/"
	managerIface    = "org.freedesktop.systemd1.Manager"
	unitIface       = "org.freedesktop.systemd1.Unit"
	serviceIface    = "org.freedesktop.systemd1.Service"
	timerIface      = "org.freedesktop.systemd1.Timer"
	propsIface      = "org.freedesktop.DBus.Properties"
	propsGetAll     = propsIface + ".GetAll"
	propsGet        = propsIface + ".Get"
	errNoSuchUnit   = "org.freedesktop.systemd1.NoSuchUnit"
	errInvalidArgs  = "org.freedesktop.DBus.Error.InvalidArgs"
	errUnknownObj   = "org.freedesktop.DBus.Error.UnknownObject"
	systemPrivate   = "unix:path=/run/systemd/private"
	systemBusSocket = "unix:path=/run/dbus/system_bus_socket"
)

// DefaultAddress returns the D-Bus address Options with an empty Address
// use: the manager's private socket (bus false) or the message bus it is
// on (bus true), for scope, following the environment the way sd-bus does
// (DBUS_SYSTEM_BUS_ADDRESS, DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR).
func DefaultAddress(scope Scope, bus bool) string {
	switch {
	case scope == ScopeSystem && !bus:
		return systemPrivate
	case scope == ScopeSystem:
		if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
			return a
		}
		return systemBusSocket
	case !bus:
		return "unix:path=" + filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "systemd", "private")
	default:
		if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
			return a
		}
		return "unix:path=" + filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "bus")
	}
}

// conn is one authenticated connection to the manager. raw is the socket
// underneath: closing it first unblocks a writer stuck on a frozen peer,
// which (*dbus.Conn).Close alone would wait for. Signals never reach godbus:
// on the watcher's connection the wireConn between them routes them to in;
// on Detail's, a replyCap drops them (in and wc are nil there).
type conn struct {
	c   *dbus.Conn
	raw net.Conn
	bus bool
	obj dbus.BusObject
	in  *inbox
	wc  *wireConn

	inFlight atomic.Int32 // the most property reads in flight; 0: pipelineDepth
}

// depth is how many property reads may be in flight on c.
func (c *conn) depth() int {
	if d := int(c.inFlight.Load()); d > 0 {
		return d
	}
	return pipelineDepth
}

// lowerDepth lowers c's depth to the n calls still in flight when the bus
// refused one more, and says whether to try the refused call again (not
// when even one call at a time is too many).
func (c *conn) lowerDepth(n int) bool {
	if c.depth() <= 1 {
		return false
	}
	c.inFlight.Store(int32(max(1, n)))
	return true
}

func (c *conn) close() {
	if c.raw != nil {
		_ = c.raw.Close()
	}
	go c.c.Close()
}

// socketPath returns the socket a D-Bus address names: the first of its
// unix transports with a path or an abstract name (the only kinds a
// manager or a bus listens on locally).
func socketPath(address string) (string, error) {
	for _, a := range strings.Split(address, ";") {
		t, kv, ok := strings.Cut(a, ":")
		if !ok || t != "unix" {
			continue
		}
		for _, p := range strings.Split(kv, ",") {
			k, v, _ := strings.Cut(p, "=")
			v, err := url.PathUnescape(v)
			if err != nil {
				return "", fmt.Errorf("systemd: D-Bus address %q: %w", address, err)
			}
			switch k {
			case "path":
				return v, nil
			case "abstract":
				return "@" + v, nil
			}
		}
	}
	return "", fmt.Errorf("systemd: D-Bus address %q has no unix:path= or unix:abstract= transport", address)
}

// dial connects and authenticates (and, on a bus, says Hello) within ctx:
// the watcher's connection, whose signals go to an inbox.
func dial(ctx context.Context, life context.Context, address string, bus bool) (*conn, error) {
	in := newInbox(bus)
	var wc *wireConn
	c, err := dialOver(ctx, life, address, bus, func(raw net.Conn) io.ReadWriteCloser {
		wc = newWireConn(raw, in)
		return wc
	})
	if err != nil {
		return nil, err
	}
	c.in, c.wc = in, wc
	return c, nil
}

// dialOver connects and authenticates within ctx, with godbus reading and
// writing through what over makes of the socket.
func dialOver(ctx context.Context, life context.Context, address string, bus bool, over func(net.Conn) io.ReadWriteCloser) (*conn, error) {
	p, err := socketPath(address)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", p)
	if err != nil {
		return nil, fmt.Errorf("systemd: dial %s: %w", address, err)
	}
	raw, err := newBlockingConn(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("systemd: dial %s: %w", address, err)
	}
	dc, err := dbus.NewConn(over(raw), dbus.WithContext(life))
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("systemd: dial %s: %w", address, err)
	}
	c := &conn{c: dc, raw: raw, bus: bus, obj: dc.Object(busName, managerPath)}
	done := make(chan error, 1)
	go func() {
		// EXTERNAL with the numeric uid, as systemd expects; no user
		// name lookup.
		err := dc.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))})
		if err == nil && bus {
			err = dc.Hello()
		}
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		err = c.kick(ctx)
	}
	if err != nil {
		c.close()
		return nil, fmt.Errorf("systemd: authenticate to %s: %w", address, err)
	}
	return c, nil
}

// kickInterval is how long kick waits for a Ping before sending another.
const kickInterval = 25 * time.Millisecond

// kick makes sure the server has left its authentication phase. godbus
// sends NEGOTIATE_UNIX_FD and BEGIN in separate writes; sd-bus servers
// (systemd's private socket) can read BEGIN while still flushing
// AGREE_UNIX_FD and then leave it, and the first message behind it,
// unprocessed until more bytes arrive. Each Ping is such bytes; the first
// answered one proves the connection works.
func (c *conn) kick(ctx context.Context) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, kickInterval)
		r := c.call(pctx, c.obj, "org.freedesktop.DBus.Peer.Ping")
		cancel()
		if r.Err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(r.Err, context.DeadlineExceeded) {
			return r.Err
		}
	}
}

// call makes a method call that returns by ctx's deadline even when the
// peer is frozen and the socket's send buffer is full (godbus writes
// synchronously; the stuck writer is released when the connection is
// closed).
func (c *conn) call(ctx context.Context, obj dbus.BusObject, method string, args ...any) *dbus.Call {
	ch := make(chan *dbus.Call, 1)
	go func() { ch <- obj.CallWithContext(ctx, method, dbus.FlagNoAutoStart, args...) }()
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return &dbus.Call{Err: ctx.Err()}
	}
}

func (c *conn) manager(ctx context.Context, method string, out any, args ...any) error {
	r := c.call(ctx, c.obj, managerIface+"."+method, args...)
	if r.Err != nil {
		return fmt.Errorf("systemd: %s: %w", method, r.Err)
	}
	if out == nil {
		return nil
	}
	if err := r.Store(out); err != nil {
		return fmt.Errorf("systemd: %s reply: %w", method, err)
	}
	return nil
}

func (c *conn) getAll(ctx context.Context, path dbus.ObjectPath, iface string) (map[string]dbus.Variant, error) {
	r := c.call(ctx, c.c.Object(busName, path), propsGetAll, iface)
	if r.Err != nil {
		return nil, fmt.Errorf("systemd: properties of %s: %w", path, r.Err)
	}
	var m map[string]dbus.Variant
	if err := r.Store(&m); err != nil {
		return nil, fmt.Errorf("systemd: properties of %s: %w", path, err)
	}
	return m, nil
}

// getProps reads the named properties of one interface with pipelined
// Gets: cheaper for the manager than GetAll, which computes every property.
func (c *conn) getProps(ctx context.Context, path dbus.ObjectPath, iface string, names []string) (props, error) {
	if c.wc != nil {
		return c.getPropsRaw(ctx, path, iface, names)
	}
	ch := make(chan *dbus.Call, len(names))
	obj := c.c.Object(busName, path)
	calls := make(map[*dbus.Call]string, len(names))
	for _, n := range names {
		calls[obj.GoWithContext(ctx, propsGet, dbus.FlagNoAutoStart, ch, iface, n)] = n
	}
	p := make(props, len(names))
	var firstErr error
	for range names {
		var call *dbus.Call
		select {
		case call = <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("systemd: properties of %s: %w", path, ctx.Err())
		}
		var v dbus.Variant
		err := call.Err
		if err == nil {
			err = call.Store(&v)
		}
		if err != nil && dbusErrorName(err) != errUnknownProp && firstErr == nil {
			firstErr = fmt.Errorf("systemd: %s of %s: %w", calls[call], path, err)
		}
		p[calls[call]] = v
	}
	return p, firstErr
}

// getPropsRaw is getProps through the watcher's own wire calls: the
// replies are decoded without godbus's reflection, which allocated about
// 125 KB a second in a crash-loop storm reading the manager's counters at
// each refresh.
func (c *conn) getPropsRaw(ctx context.Context, path dbus.ObjectPath, iface string, names []string) (props, error) {
	type answer struct {
		prop string
		r    rawReply
	}
	ch := make(chan answer, len(names))
	serials := make([]uint32, 0, len(names))
	giveUp := func() {
		for _, s := range serials {
			c.wc.forget(s)
		}
	}
	for _, n := range names {
		s, err := c.wc.get(path, iface, n, func(_ uint32, r rawReply) { ch <- answer{n, r} })
		if err != nil {
			giveUp()
			return nil, fmt.Errorf("systemd: %s of %s: %w", n, path, err)
		}
		serials = append(serials, s)
	}
	p := make(props, len(names))
	var firstErr error
	for range names {
		var a answer
		select {
		case a = <-ch:
		case <-ctx.Done():
			giveUp()
			return nil, fmt.Errorf("systemd: properties of %s: %w", path, ctx.Err())
		}
		switch {
		case a.r.err != nil:
			firstErr = cmp.Or(firstErr, fmt.Errorf("systemd: %s of %s: %w", a.prop, path, a.r.err))
		case a.r.errName == errUnknownProp:
		case a.r.errName != "":
			firstErr = cmp.Or(firstErr, fmt.Errorf("systemd: %s of %s: %w", a.prop, path, dbus.Error{Name: a.r.errName}))
		}
		p[a.prop] = a.r.value
	}
	return p, firstErr
}

// unitRow is one entry of ListUnits (signature a(ssssssouso)).
type unitRow struct {
	Name, Description, LoadState, ActiveState, SubState, Following string
	Path                                                           dbus.ObjectPath
	JobID                                                          uint32
	JobType                                                        string
	JobPath                                                        dbus.ObjectPath
}

// fileRow is one entry of ListUnitFiles (signature a(ss)).
type fileRow struct {
	Path, State string
}

// unitPath is the object path of a unit (bus_label_escape'd name).
func unitPath(name string) dbus.ObjectPath {
	return dbus.ObjectPath(unitPathPrefix + sdbus.PathBusEscape(name))
}

// unitNameFromPath undoes the object path escaping ("_2d" -> "-");
// ok is false for paths that are not unit objects.
func unitNameFromPath(p dbus.ObjectPath) (string, bool) {
	s, ok := strings.CutPrefix(string(p), unitPathPrefix)
	if !ok || s == "" || strings.Contains(s, "/") {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

// dbusErrorName is the D-Bus error name of err ("" when it is not a D-Bus
// error reply).
func dbusErrorName(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dp *dbus.Error
	if errors.As(err, &dp) {
		return dp.Name
	}
	return ""
}
