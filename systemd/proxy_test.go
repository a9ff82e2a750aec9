package systemd

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/godbus/dbus/v5"
)

// detailProxy stands between watchers and a manager's private socket and
// passes every message on, except Properties.GetAll of the unit interface
// of the object at path, which it answers itself with reply: a manager
// that, for that one unit, answers as large as a test needs, at once.
type detailProxy struct {
	path     dbus.ObjectPath
	reply    []byte // an encoded method return
	serialAt int    // where reply's reply serial is
	answered atomic.Int64
}

// replySerialMark is the reply serial the encoded reply is made with, to
// find where to put each call's.
const replySerialMark = 0xfeedf00d

// startDetailProxy listens on a socket of its own for watchers of the
// manager at target (a private socket address) and returns its address.
func startDetailProxy(t *testing.T, target string, path dbus.ObjectPath, props map[string]dbus.Variant) (*detailProxy, string) {
	t.Helper()
	sock, err := socketPath(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &detailProxy{path: path}
	out := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(uint32(replySerialMark)),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(props)),
	}, Body: []any{props}}
	var b bytes.Buffer
	if err := out.EncodeTo(&b, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	p.reply = b.Bytes()
	p.serialAt = bytes.Index(p.reply[:256], binary.LittleEndian.AppendUint32(nil, replySerialMark))
	if p.serialAt < 0 {
		t.Fatal("no reply serial in the encoded reply")
	}
	return p, listenProxy(t, sock, p.serve)
}

// listenProxy listens on a socket of its own, connects each client that
// comes to the manager's socket sock, and has serve relay between them;
// it returns the socket's D-Bus address.
func listenProxy(t *testing.T, sock string, serve func(client, mgr net.Conn)) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdproxy")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "private"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
		os.RemoveAll(dir)
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			m, err := net.Dial("unix", sock)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, m)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(c, m)
			}()
		}
	}()
	return "unix:path=" + l.Addr().String()
}

// serve relays one client's connection, a whole line (authentication) or
// message at a time in each direction.
func (p *detailProxy) serve(client, mgr net.Conn) {
	defer client.Close()
	defer mgr.Close()
	var wmu sync.Mutex // one line or message at a time to the client
	go func() {
		defer client.Close()
		r := bufio.NewReader(mgr)
		for {
			chunk, err := readChunk(r, false, true)
			if err != nil {
				return
			}
			wmu.Lock()
			_, err = client.Write(chunk)
			wmu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	fromClient(client, func(chunk []byte, message bool) bool {
		if !message {
			_, err := mgr.Write(chunk)
			return err == nil
		}
		if m, err := parseMessage(chunk); err == nil && m.typ == msgMethodCall && string(m.member) == "GetAll" &&
			dbus.ObjectPath(m.path) == p.path {
			if d := (decoder{b: m.body, order: m.order}); string(d.str()) == unitIface {
				p.answered.Add(1)
				hdr := append([]byte(nil), p.reply[:p.serialAt+4]...)
				binary.LittleEndian.PutUint32(hdr[p.serialAt:], m.order.Uint32(chunk[8:12]))
				wmu.Lock()
				defer wmu.Unlock()
				_, err := client.Write(hdr)
				if err == nil {
					_, err = client.Write(p.reply[p.serialAt+4:])
				}
				return err == nil
			}
		}
		_, err := mgr.Write(chunk)
		return err == nil
	})
}

// fromClient reads what a client writes, a line (authentication) or a
// message at a time, and hands each to relay, saying whether it is a
// message; it returns once the client is gone or relay returns false.
func fromClient(client net.Conn, relay func(chunk []byte, message bool) bool) {
	r := bufio.NewReader(client)
	begun := false
	for {
		chunk, err := readChunk(r, begun, false)
		if err != nil {
			return
		}
		message := begun
		begun = begun || strings.HasPrefix(string(chunk), "BEGIN")
		if !relay(chunk, message) {
			return
		}
	}
}

// readChunk reads a whole message or else a line or the client's opening
// NUL byte. From the client, messages come once it said BEGIN (messages
// true); from the server, a byte order mark ('l' or 'B') starts one: its
// authentication lines start with other capitals.
func readChunk(r *bufio.Reader, messages, server bool) ([]byte, error) {
	first, err := r.Peek(1)
	if err != nil {
		return nil, err
	}
	switch {
	case first[0] == 0 && !messages:
		_, err := r.ReadByte()
		return []byte{0}, err
	case messages || server && (first[0] == 'l' || first[0] == 'B'):
		fixed, err := r.Peek(16)
		if err != nil {
			return nil, err
		}
		h, err := parseFixed(fixed)
		if err != nil {
			return nil, err
		}
		msg := make([]byte, h.size())
		_, err = io.ReadFull(r, msg)
		return msg, err
	}
	line, err := r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return line, err
}
