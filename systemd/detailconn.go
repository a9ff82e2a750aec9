package systemd

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Detail reads every property of a unit (GetAll), and the manager computes
// them all: a unit with tens of thousands of dependencies answers with
// megabytes. Read over the watcher's own connection, such replies would
// queue the watcher's calls behind them (its pings time out, and it
// reconnects and resyncs) and godbus would hold each whole, and its
// decoded copy, in memory. So Detail has a connection of its own, and a
// cap on the size of a reply: one past it is read through and thrown away
// as it arrives, and the call answered with an error saying so.

// maxDetailReply is the largest reply Detail accepts. The biggest unit on a
// host with tens of thousands of units (local-fs.target, After= every
// mount) lists each in a few of its dependency properties, some megabytes
// in all; 16 MiB leaves room for several times that, and is half of what
// the system bus lets any message be (max_message_size, 32 MiB). With
// maxDetails calls at once, Detail holds at most twice this in reply bytes,
// plus what godbus decodes them into.
const maxDetailReply = 16 << 20

// detailIdle is how long Detail's connection is kept after its last call:
// a reader paging through units reuses it, and an idle watcher holds no
// second connection on the manager (or a bus) for long.
const detailIdle = 30 * time.Second

// errReplyTooLarge is the D-Bus error name of the answer a call gets when
// its reply was over the cap.
const errReplyTooLarge = "io.github.bootinfo.Error.ReplyTooLarge"

// detailConns holds Detail's connection: dialled on demand, shared by the
// Detail calls running, and closed once it has been idle for
// Watcher.detailIdle.
type detailConns struct {
	mu    sync.Mutex
	c     *conn
	stop  context.CancelFunc // ends c's life
	users int
	idle  *time.Timer
}

// detailConn returns Detail's connection, dialling one within ctx if there
// is none (or it broke), and a function to call when done with it.
func (w *Watcher) detailConn(ctx context.Context) (*conn, func(), error) {
	d := &w.dconn
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.idle != nil {
		d.idle.Stop()
		d.idle = nil
	}
	if d.c != nil && d.c.c.Context().Err() != nil {
		d.closeLocked()
	}
	if d.c == nil {
		life, stop := context.WithCancel(context.Background())
		c, err := dialOver(ctx, life, w.opts.Address, w.opts.Bus, func(raw net.Conn) io.ReadWriteCloser {
			return newReplyCap(raw, maxDetailReply)
		})
		if err != nil {
			stop()
			return nil, nil, err
		}
		d.c, d.stop = c, stop
	}
	c := d.c
	d.users++
	return c, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.users--
		if d.users > 0 || d.c != c {
			return
		}
		d.idle = time.AfterFunc(w.detailIdle, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.users == 0 && d.c == c {
				d.closeLocked()
			}
		})
	}, nil
}

// close closes the connection, if any; calls on it fail.
func (d *detailConns) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeLocked()
}

func (d *detailConns) closeLocked() {
	if d.idle != nil {
		d.idle.Stop()
		d.idle = nil
	}
	if d.c != nil {
		d.stop()
		d.c.close()
		d.c, d.stop = nil, nil
	}
}

// open says whether Detail's connection is open, for tests.
func (d *detailConns) open() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.c != nil
}

// replyCap sits between the socket and godbus on Detail's connection (and
// QueuedShutdown's). Once
// authentication is over it frames the stream: replies up to max bytes
// pass through as they are read (never held whole here); a larger one is
// read through and dropped, and godbus gets in its place an error reply
// to the same call, naming the cap. Signals and calls (nothing Detail
// asked for, which on a bus any peer may send) are dropped, so godbus
// never decodes what could make it panic.
type replyCap struct {
	net.Conn
	r   *bufio.Reader
	max int

	authGate
	left int    // bytes of the reply being passed still to read
	out  []byte // an error reply godbus has still to read

	refused atomic.Uint64 // replies over the cap
}

func newReplyCap(c net.Conn, max int) *replyCap {
	return &replyCap{Conn: c, r: bufio.NewReaderSize(c, 64<<10), max: max}
}

// Write passes through (godbus writes a whole message at a time); the
// client's BEGIN ends authentication.
func (c *replyCap) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.wrote(p)
	return n, err
}

func (c *replyCap) Read(p []byte) (int, error) {
	if !c.messages() {
		return c.r.Read(p)
	}
	for len(c.out) == 0 && c.left == 0 {
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	if len(c.out) > 0 {
		n := copy(p, c.out)
		c.out = c.out[n:]
		return n, nil
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= n
	return n, err
}

// maxReplyHeader bounds the header of a reply over the cap, which is read
// for its reply serial; a manager's are a few dozen bytes.
const maxReplyHeader = 64 << 10

// next looks at the next message: a reply within the cap is passed on,
// anything else read through.
func (c *replyCap) next() error {
	fixed, err := c.r.Peek(16)
	if err != nil {
		return err
	}
	h, err := parseFixed(fixed)
	if err != nil {
		return fmt.Errorf("systemd: %w", err)
	}
	size := h.size()
	reply := h.typ == msgReturn || h.typ == msgError
	if reply && size <= c.max {
		c.left = size
		return nil
	}
	if !reply {
		_, err := c.r.Discard(size)
		return err
	}
	hlen := align(h.fieldsEnd, 8)
	if hlen > maxReplyHeader {
		return fmt.Errorf("systemd: %w: reply with %d bytes of header", errWire, hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(c.r, hdr); err != nil {
		return err
	}
	if _, err := c.r.Discard(int(h.bodyLen)); err != nil {
		return err
	}
	c.refused.Add(1)
	// The header alone, as a message without a body, for its fields.
	h.order.PutUint32(hdr[4:8], 0)
	m, err := parseMessage(hdr)
	if err != nil {
		return fmt.Errorf("systemd: reply over the cap: %w", err)
	}
	if m.replySerial == 0 {
		return nil // answers nothing godbus could wait for
	}
	limit := fmt.Sprintf("%d bytes", c.max)
	if c.max%(1<<20) == 0 {
		limit = fmt.Sprintf("%d MiB", c.max>>20)
	}
	c.out = encodeError(nil, m.replySerial, errReplyTooLarge,
		fmt.Sprintf("reply of %d bytes is over the %s a reply may be here", size, limit))
	return nil
}

// encodeError appends an error reply to the call with serial replyTo,
// carrying msg, to b (little-endian). Its own serial is 1: nothing reads
// it.
func encodeError(b []byte, replyTo uint32, name, msg string) []byte {
	e := encoder{b: b}
	e.bytes('l', msgError, 0, 1)
	bodyLenAt := e.u32(0)
	e.u32(1)
	fieldsLenAt := e.u32(0)
	fieldsStart := len(e.b)
	e.pad(8)
	e.bytes(fieldErrorName, 1, 's', 0)
	e.str(name)
	e.pad(8)
	e.bytes(fieldReplySerial, 1, 'u', 0)
	e.u32(replyTo)
	e.pad(8)
	e.bytes(fieldSignature, 1, 'g', 0)
	e.sig("s")
	binary.LittleEndian.PutUint32(e.b[fieldsLenAt:], uint32(len(e.b)-fieldsStart))
	e.pad(8)
	bodyStart := len(e.b)
	e.str(msg)
	binary.LittleEndian.PutUint32(e.b[bodyLenAt:], uint32(len(e.b)-bodyStart))
	return e.b
}
