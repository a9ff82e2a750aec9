package systemd

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// This file reads just enough of the D-Bus wire format (the D-Bus
// specification, "Message Protocol") to route the manager's signals without
// godbus: a message's header fields, and the few body shapes the watcher
// needs. godbus decodes every message it reads into reflected Go values,
// about 100 µs a signal; a crash-looping service makes the manager send a
// dozen signals a restart, a few thousand a second for a hundred of them.

// Message types and header field codes.
const (
	msgMethodCall = 1
	msgReturn     = 2
	msgError      = 3
	msgSignal     = 4

	fieldPath      = 1
	fieldInterface = 2
	fieldMember    = 3
	fieldSender    = 7
	fieldSignature = 8
)

// maxMessage is the largest message the specification allows (2^27 bytes).
const maxMessage = 1 << 27

// maxDepth bounds the nesting of containers a value may have (the
// specification allows 32 array and 32 struct levels; variants add more).
const maxDepth = 64

var errWire = errors.New("malformed D-Bus message")

// wireHeader is the fixed part of a message: its byte order, type and the
// lengths that frame it.
type wireHeader struct {
	order   binary.ByteOrder
	typ     byte
	bodyLen uint32
	// fieldsEnd is where the header fields array ends; the body starts at
	// the next multiple of 8.
	fieldsEnd int
}

// parseFixed reads the first 16 bytes of a message.
func parseFixed(b []byte) (wireHeader, error) {
	var h wireHeader
	if len(b) < 16 {
		return h, fmt.Errorf("%w: short header", errWire)
	}
	switch b[0] {
	case 'l':
		h.order = binary.LittleEndian
	case 'B':
		h.order = binary.BigEndian
	default:
		return h, fmt.Errorf("%w: byte order %q", errWire, b[0])
	}
	h.typ = b[1]
	h.bodyLen = h.order.Uint32(b[4:8])
	fields := h.order.Uint32(b[12:16])
	if uint64(fields)+uint64(h.bodyLen)+16+7 > maxMessage {
		return h, fmt.Errorf("%w: %d bytes of header fields and %d of body", errWire, fields, h.bodyLen)
	}
	h.fieldsEnd = 16 + int(fields)
	return h, nil
}

// size is the length of the whole message.
func (h wireHeader) size() int { return align(h.fieldsEnd, 8) + int(h.bodyLen) }

func align(n, a int) int { return (n + a - 1) &^ (a - 1) }

// wireMsg is a whole message with the header fields the watcher routes on.
// The byte slices point into the message.
type wireMsg struct {
	wireHeader
	path, iface, member, sender, sig, errName []byte
	replySerial                               uint32
	body                                      []byte
}

// parseMessage reads the header fields of msg, a whole message.
func parseMessage(msg []byte) (wireMsg, error) {
	h, err := parseFixed(msg)
	if err != nil {
		return wireMsg{}, err
	}
	if len(msg) != h.size() {
		return wireMsg{}, fmt.Errorf("%w: %d bytes, header says %d", errWire, len(msg), h.size())
	}
	m := wireMsg{wireHeader: h, body: msg[align(h.fieldsEnd, 8):]}
	d := decoder{b: msg[:h.fieldsEnd], pos: 16, order: h.order}
	for d.pos < len(d.b) {
		d.align(8)
		code := d.u8()
		sig := d.signature()
		switch {
		case d.err != nil:
		case code == fieldPath && string(sig) == "o", code == fieldInterface && string(sig) == "s",
			code == fieldMember && string(sig) == "s", code == fieldSender && string(sig) == "s":
			v := d.str()
			switch code {
			case fieldPath:
				m.path = v
			case fieldInterface:
				m.iface = v
			case fieldMember:
				m.member = v
			case fieldSender:
				m.sender = v
			}
		case code == fieldSignature && string(sig) == "g":
			m.sig = d.signature()
		case code == fieldReplySerial && string(sig) == "u":
			m.replySerial = d.u32()
		case code == fieldErrorName && string(sig) == "s":
			m.errName = d.str()
		default:
			d.skip(sig, 0)
		}
		if d.err != nil {
			return wireMsg{}, d.err
		}
	}
	return m, nil
}

// decoder reads values from b, which starts at an 8-byte boundary of the
// message (so alignment is relative to b). Errors stick: after the first
// every read returns zero values.
type decoder struct {
	b     []byte
	pos   int
	order binary.ByteOrder
	err   error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at offset %d", errWire, what, d.pos)
	}
}

func (d *decoder) align(n int) {
	p := align(d.pos, n)
	if p > len(d.b) {
		d.fail("padding past the end")
		return
	}
	d.pos = p
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.pos {
		d.fail("value past the end")
		return nil
	}
	v := d.b[d.pos : d.pos+n]
	d.pos += n
	return v
}

func (d *decoder) u8() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	d.align(4)
	if v := d.take(4); v != nil {
		return d.order.Uint32(v)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	d.align(8)
	if v := d.take(8); v != nil {
		return d.order.Uint64(v)
	}
	return 0
}

// str reads a string or object path (without its terminating NUL).
func (d *decoder) str() []byte {
	n := d.u32()
	v := d.take(int(n) + 1)
	if v == nil {
		return nil
	}
	if v[n] != 0 {
		d.fail("string without its NUL")
		return nil
	}
	return v[:n]
}

func (d *decoder) signature() []byte {
	n := d.u8()
	v := d.take(int(n) + 1)
	if v == nil {
		return nil
	}
	if v[n] != 0 {
		d.fail("signature without its NUL")
		return nil
	}
	return v[:n]
}

// skip passes over one value of the single complete type sig.
func (d *decoder) skip(sig []byte, depth int) {
	if d.err != nil {
		return
	}
	if depth > maxDepth {
		d.fail("values nested too deep")
		return
	}
	t, rest, ok := nextType(sig)
	if !ok || len(rest) != 0 {
		d.fail(fmt.Sprintf("signature %q is not one complete type", sig))
		return
	}
	switch t[0] {
	case 'y':
		d.take(1)
	case 'n', 'q':
		d.align(2)
		d.take(2)
	case 'b', 'i', 'u', 'h':
		d.u32()
	case 'x', 't', 'd':
		d.u64()
	case 's', 'o':
		d.str()
	case 'g':
		d.signature()
	case 'v':
		d.skip(d.signature(), depth+1)
	case 'a':
		// An array is skipped by its length, whatever it holds.
		n := d.u32()
		d.align(alignOf(t[1]))
		d.take(int(n))
	case '(':
		d.align(8)
		inner := t[1 : len(t)-1]
		for len(inner) > 0 && d.err == nil {
			m, r, _ := nextType(inner)
			d.skip(m, depth+1)
			inner = r
		}
	default:
		d.fail(fmt.Sprintf("type %q", t[0]))
	}
}

// alignOf is the alignment of values whose type starts with c.
func alignOf(c byte) int {
	switch c {
	case 'n', 'q':
		return 2
	case 'b', 'i', 'u', 'h', 's', 'o', 'a':
		return 4
	case 'x', 't', 'd', '(', '{':
		return 8
	}
	return 1
}

// nextType splits the first single complete type off sig.
func nextType(sig []byte) (t, rest []byte, ok bool) {
	n, ok := typeLen(sig, 0)
	if !ok {
		return nil, nil, false
	}
	return sig[:n], sig[n:], true
}

func typeLen(sig []byte, depth int) (int, bool) {
	if len(sig) == 0 || depth > maxDepth {
		return 0, false
	}
	switch sig[0] {
	case 'y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g', 'v':
		return 1, true
	case 'a':
		n, ok := typeLen(sig[1:], depth+1)
		return n + 1, ok
	case '(', '{':
		closing := byte(')')
		if sig[0] == '{' {
			closing = '}'
		}
		i := 1
		for i < len(sig) && sig[i] != closing {
			n, ok := typeLen(sig[i:], depth+1)
			if !ok {
				return 0, false
			}
			i += n
		}
		if i >= len(sig) || i == 1 {
			return 0, false
		}
		return i + 1, true
	}
	return 0, false
}
