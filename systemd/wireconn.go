package systemd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// wireConn sits between the socket and godbus. Once authentication is over
// it reads whole messages: method returns and errors go on to godbus;
// signals go to the inbox, decoded here, and godbus never sees one. So a
// flood of signals costs one small parse each, queues nothing (the socket
// itself is the only buffer), and a malformed or forged signal reaches no
// code that could panic on it.
type wireConn struct {
	net.Conn
	in *inbox
	r  *bufio.Reader

	authGate
	buf []byte // the message being read
	out []byte // what godbus has still to read of a passed message

	// lastFill is when the socket was last read, and how many bytes it
	// brought; signalsOnly says all they held were signals.
	lastFill    time.Time
	lastBytes   int
	signalsOnly bool
	// wake ends the pause between two batches of signals early: a call
	// was written, and its reply is not to wait for the batch.
	wake  chan struct{}
	pause *time.Timer
	// readBy, when not zero, is when the watcher next drains the inbox
	// (UnixNano): a pause ends readAhead before it, so the signals the
	// socket holds then are routed in time (see readBefore).
	readBy atomic.Int64
	// awaiting counts godbus's calls written and not answered yet (the
	// raw calls in flight are in calls): while any is, the reader does
	// not pause, so no reply waits behind a batch of signals.
	awaiting atomic.Int64

	dropped atomic.Uint64 // method calls from the peer, and unreadable messages

	// pacer counts the raw calls written against the watcher's budget
	// (Options.CallRate); nil: they are not counted.
	pacer *pacer

	wmu  sync.Mutex // one message written at a time, godbus's or a raw call's
	wbuf []byte

	cmu    sync.Mutex
	serial uint32
	calls  map[uint32]func(uint32, rawReply) // raw calls in flight, by serial
	closed error                             // set once the connection failed
}

// authGate tells when a client connection's authentication is over: after
// the client's BEGIN the stream is D-Bus messages, which the wrappers
// between godbus and the socket frame.
type authGate struct{ msgs atomic.Bool }

// wrote notes what the client wrote (godbus writes a line or a message at
// a time).
func (a *authGate) wrote(p []byte) {
	if !a.msgs.Load() && bytes.HasPrefix(p, []byte("BEGIN")) {
		a.msgs.Store(true)
	}
}

// messages says whether authentication is over.
func (a *authGate) messages() bool { return a.msgs.Load() }

func newWireConn(c net.Conn, in *inbox) *wireConn {
	return &wireConn{Conn: c, in: in, r: bufio.NewReaderSize(c, readBuf), wake: make(chan struct{}, 1)}
}

// Write passes through (godbus writes a whole message at a time); the
// client's BEGIN ends authentication.
func (c *wireConn) Write(p []byte) (int, error) {
	// Counted before it is written: its reply may be read before Write
	// returns.
	call := c.messages() && len(p) >= 16 && p[1] == msgMethodCall && p[2]&flagNoReply == 0
	if call {
		c.awaiting.Add(1)
	}
	c.wmu.Lock()
	n, err := c.Conn.Write(p)
	c.wmu.Unlock()
	c.wrote(p)
	if call && err != nil {
		c.answered()
	}
	c.called()
	return n, err
}

// answered counts one of godbus's calls answered (or never sent).
func (c *wireConn) answered() {
	for v := c.awaiting.Load(); v > 0 && !c.awaiting.CompareAndSwap(v, v-1); v = c.awaiting.Load() {
	}
}

// flagNoReply is the message flag NO_REPLY_EXPECTED.
const flagNoReply = 0x1

// inFlight says whether a call, godbus's or raw, waits for its reply.
func (c *wireConn) inFlight() bool {
	if c.awaiting.Load() > 0 {
		return true
	}
	c.cmu.Lock()
	n := len(c.calls)
	c.cmu.Unlock()
	return n > 0
}

// Close closes the socket and wakes the reader from its pause, so that it
// sees the close at once.
func (c *wireConn) Close() error {
	err := c.Conn.Close()
	c.called()
	return err
}

// called ends the reader's pause between batches of signals, if it is in
// one: a reply is due.
func (c *wireConn) called() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// readAhead is how long before the watcher's drain (readBefore) the
// reader reads what the socket holds: reading and routing a batch takes
// a millisecond or two.
const readAhead = 20 * time.Millisecond

// readBefore says the watcher drains the inbox at t: the reader reads the
// socket readAhead before, however far its pause would go, so the drain
// sees every signal sent until then and a counter is at most the
// watcher's Coalesce behind the manager's, not that plus a batch.
func (c *wireConn) readBefore(t time.Time) {
	c.readBy.Store(t.UnixNano())
	c.called() // a pause under way is measured again
}

// pauseFor is how long the reader pauses before its next read at now:
// what is left of signalBatch since the last read, cut short to end
// readAhead before a drain the watcher announced. Once that moment has
// come the read is due at once, and the announcement is done with.
func (c *wireConn) pauseFor(now time.Time) time.Duration {
	wait := signalBatch - now.Sub(c.lastFill)
	if rb := c.readBy.Load(); rb != 0 {
		until := time.Unix(0, rb).Sub(now) - readAhead
		if until <= 0 {
			c.readBy.CompareAndSwap(rb, 0)
			return 0
		}
		wait = min(wait, until)
	}
	return wait
}

// wait pauses the reader for d, or until a call is written.
func (c *wireConn) wait(d time.Duration) {
	if c.pause == nil {
		c.pause = time.NewTimer(d)
	} else {
		c.pause.Reset(d)
	}
	select {
	case <-c.pause.C:
	case <-c.wake:
		c.pause.Stop()
	}
}

func (c *wireConn) Read(p []byte) (int, error) {
	if !c.messages() {
		return c.r.Read(p)
	}
	for len(c.out) == 0 {
		if err := c.next(); err != nil {
			c.fail(fmt.Errorf("%w: %w", errConnClosed, err))
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// readBuf is the size of the read buffer.
const readBuf = 256 << 10

// signalBatch is the least time between two reads of a socket that
// brings only signals. The reader does not pause while a call waits for
// its reply, and a call written meanwhile ends a pause at once, so no
// reply waits for a batch; nor does the watcher's refresh, before which
// the socket is read (readBefore). A variable for tests.
var signalBatch = 250 * time.Millisecond

// maxSignal is the largest signal (or call) read; the manager's are a few
// hundred bytes.
const maxSignal = 1 << 20

// keepBuf is the largest message buffer kept between messages; a larger
// reply (ListUnits of thousands of units) gets one of its own.
const keepBuf = 256 << 10

// next reads one message and either hands it to godbus (c.out) or routes
// it.
func (c *wireConn) next() error {
	filled := c.r.Buffered() == 0
	if filled {
		// A stream of nothing but signals is read in batches, at most
		// once per signalBatch: each read costs a system call and a
		// goroutine wake-up, several times the parse of a signal. Replies
		// (a sync's, or a call's) are never held back, and neither is a
		// stream that fills half the buffer in a batch, which the socket
		// (and then the manager's queue) would otherwise have to hold.
		if wait := c.pauseFor(time.Now()); c.signalsOnly && c.lastBytes < readBuf/2 && wait > 0 && !c.inFlight() {
			c.wait(wait)
		}
	}
	fixed, err := c.r.Peek(16)
	if filled {
		c.lastFill, c.lastBytes, c.signalsOnly = time.Now(), c.r.Buffered(), true
	}
	if err != nil {
		return err
	}
	h, err := parseFixed(fixed)
	if err != nil {
		// The stream cannot be framed any more.
		return fmt.Errorf("systemd: %w", err)
	}
	size := h.size()
	if h.typ != msgReturn && h.typ != msgError && size > maxSignal {
		// No signal the watcher reads is this large: pass over it
		// without holding it.
		if _, err := c.r.Discard(size); err != nil {
			return err
		}
		c.in.seq.Add(1)
		c.dropped.Add(1)
		c.in.ignored.Add(1)
		return nil
	}
	if cap(c.buf) < size {
		c.buf = make([]byte, size, max(size, 4096))
	}
	msg := c.buf[:size]
	if _, err := io.ReadFull(c.r, msg); err != nil {
		return err
	}
	c.in.seq.Add(1)
	switch h.typ {
	case msgReturn, msgError:
		c.signalsOnly = false
		if m, err := parseMessage(msg); err == nil && c.reply(&m) {
			break
		}
		c.answered()
		c.out = msg
		if size > keepBuf {
			c.buf = nil
		}
		return nil
	case msgSignal:
		m, err := parseMessage(msg)
		if err != nil {
			c.dropped.Add(1)
			c.in.ignored.Add(1)
			return nil
		}
		c.in.route(&m)
	default:
		// Nothing calls a watcher's methods.
		c.dropped.Add(1)
	}
	if size > keepBuf {
		c.buf = nil
	}
	return nil
}
