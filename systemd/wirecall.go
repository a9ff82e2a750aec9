package systemd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// A sync reads thousands of properties, one Properties.Get each. Through
// godbus each costs a goroutine, a context and reflection on both the call
// and the reply (about 38 µs of the watcher's CPU in the lab, more than
// the manager spends answering it), so the wire connection makes these
// calls itself: it writes the call and decodes the reply's variant on its
// reader. Their serials have the top bit set, which godbus's (counting up
// from 1) never reach.

const (
	fieldErrorName   = 4
	fieldReplySerial = 5
	fieldDestination = 6

	flagNoAutoStart = 0x2

	rawSerialBase = 1 << 31
)

// rawReply is what a raw call's callback gets: the value of a Get, or the
// D-Bus error name, or err when the connection failed first.
type rawReply struct {
	value   dbus.Variant
	errName string
	err     error
}

var errConnClosed = errors.New("systemd: connection closed")

// get sends Properties.Get(iface, prop) to the object at path and calls
// done with the call's serial and the reply, on the connection's reader
// goroutine: done must not block.
func (c *wireConn) get(path dbus.ObjectPath, iface, prop string, done func(uint32, rawReply)) (uint32, error) {
	c.cmu.Lock()
	if c.closed != nil {
		err := c.closed
		c.cmu.Unlock()
		return 0, err
	}
	c.serial++
	serial := rawSerialBase | c.serial&(rawSerialBase-1)
	if c.calls == nil {
		c.calls = map[uint32]func(uint32, rawReply){}
	}
	c.calls[serial] = done
	c.cmu.Unlock()
	c.pacer.count(time.Now())
	c.wmu.Lock()
	c.wbuf = encodeGet(c.wbuf[:0], serial, path, iface, prop)
	_, err := c.Conn.Write(c.wbuf)
	c.wmu.Unlock()
	if err != nil {
		c.forget(serial)
	} else {
		c.called()
	}
	return serial, err
}

// forget gives up on a raw call: its reply, if it ever comes, is dropped.
func (c *wireConn) forget(serial uint32) {
	c.cmu.Lock()
	delete(c.calls, serial)
	c.cmu.Unlock()
}

// reply hands m, a method return or error, to the raw call it answers; it
// returns false when m is not for one (godbus's then).
func (c *wireConn) reply(m *wireMsg) bool {
	if m.replySerial&rawSerialBase == 0 {
		return false
	}
	c.cmu.Lock()
	done := c.calls[m.replySerial]
	delete(c.calls, m.replySerial)
	c.cmu.Unlock()
	if done == nil {
		return true // a call given up on
	}
	var r rawReply
	if m.typ == msgError {
		r.errName = string(m.errName)
		if r.errName == "" {
			r.errName = "org.freedesktop.DBus.Error.Failed"
		}
	} else if string(m.sig) != "v" {
		r.err = fmt.Errorf("systemd: Get answered with signature %q", m.sig)
	} else {
		d := decoder{b: m.body, order: m.order}
		r.value = decodeVariant(&d)
		if d.err != nil {
			r.err = fmt.Errorf("systemd: Get reply: %w", d.err)
		}
	}
	done(m.replySerial, r)
	return true
}

// fail ends every raw call in flight with err, once the connection is
// gone.
func (c *wireConn) fail(err error) {
	c.cmu.Lock()
	calls := c.calls
	c.calls, c.closed = nil, err
	c.cmu.Unlock()
	for serial, done := range calls {
		done(serial, rawReply{err: err})
	}
}

// decodeVariant reads a variant holding one of the types unit properties
// have (s, o, b, u, i, t, as). Any other is passed over and reads as no
// value, as godbus's decoding of an unexpected type reads as zero.
func decodeVariant(d *decoder) dbus.Variant {
	sig := d.signature()
	switch string(sig) {
	case "s":
		return dbus.MakeVariant(string(d.str()))
	case "o":
		return dbus.MakeVariant(dbus.ObjectPath(d.str()))
	case "b":
		return dbus.MakeVariant(d.u32() != 0)
	case "u":
		return dbus.MakeVariant(d.u32())
	case "i":
		return dbus.MakeVariant(int32(d.u32()))
	case "t":
		return dbus.MakeVariant(d.u64())
	case "as":
		n := d.u32()
		end := d.pos + int(n)
		if end > len(d.b) {
			d.fail("array past the end")
			return dbus.Variant{}
		}
		out := []string{}
		for d.pos < end && d.err == nil {
			out = append(out, string(d.str()))
		}
		return dbus.MakeVariant(out)
	}
	d.skip(sig, 0)
	return dbus.Variant{}
}

// encodeGet appends a Properties.Get method call to b, little-endian.
func encodeGet(b []byte, serial uint32, path dbus.ObjectPath, iface, prop string) []byte {
	e := encoder{b: b}
	e.bytes('l', msgMethodCall, flagNoAutoStart, 1)
	bodyLenAt := e.u32(0)
	e.u32(serial)
	fieldsLenAt := e.u32(0)
	fieldsStart := len(e.b)
	field := func(code byte, sig string, val string) {
		e.pad(8)
		e.bytes(code, 1, sig[0], 0)
		if sig == "g" {
			e.sig(val)
		} else {
			e.str(val)
		}
	}
	field(fieldPath, "o", string(path))
	field(fieldInterface, "s", propsIface)
	field(fieldMember, "s", "Get")
	field(fieldDestination, "s", busName)
	field(fieldSignature, "g", "ss")
	binary.LittleEndian.PutUint32(e.b[fieldsLenAt:], uint32(len(e.b)-fieldsStart))
	e.pad(8)
	bodyStart := len(e.b)
	e.str(iface)
	e.str(prop)
	binary.LittleEndian.PutUint32(e.b[bodyLenAt:], uint32(len(e.b)-bodyStart))
	return e.b
}

// encoder appends little-endian D-Bus values; b starts a message.
type encoder struct{ b []byte }

func (e *encoder) pad(n int) {
	for len(e.b)%n != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) bytes(v ...byte) { e.b = append(e.b, v...) }

// u32 appends v and returns where it is.
func (e *encoder) u32(v uint32) int {
	e.pad(4)
	at := len(e.b)
	e.b = binary.LittleEndian.AppendUint32(e.b, v)
	return at
}

func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
}

func (e *encoder) sig(s string) {
	e.b = append(e.b, byte(len(s)))
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
}
