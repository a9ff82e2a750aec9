package systemd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// socketPair returns a blockingConn and the net.Conn at the other end of a
// unix socket.
func socketPair(t *testing.T) (*blockingConn, net.Conn) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	nc, err := net.Dial("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := newBlockingConn(nc)
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { bc.Close(); peer.Close() })
	return bc, peer
}

func TestBlockingConnPassesBytes(t *testing.T) {
	bc, peer := socketPair(t)
	if _, err := bc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(peer, got); err != nil || string(got) != "hello" {
		t.Fatalf("peer read %q, %v", got, err)
	}
	if _, err := peer.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(bc, got); err != nil || string(got) != "world" {
		t.Fatalf("read %q, %v", got, err)
	}
	peer.Close()
	if n, err := bc.Read(got); n != 0 || err != io.EOF {
		t.Fatalf("read after the peer closed: %d, %v; want EOF", n, err)
	}
}

// A read blocked on a silent peer, and a write blocked on a peer that never
// reads, both return when the conn is closed: that is how a call to a
// frozen manager is abandoned.
func TestBlockingConnCloseReleasesBlockedCalls(t *testing.T) {
	bc, _ := socketPair(t)
	readDone := make(chan error, 1)
	go func() {
		_, err := bc.Read(make([]byte, 16))
		readDone <- err
	}()
	writeDone := make(chan error, 1)
	var written atomic.Int64
	go func() {
		// Until the socket buffers are full.
		chunk := bytes.Repeat([]byte("x"), 4096)
		for {
			n, err := bc.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				writeDone <- err
				return
			}
		}
	}()
	// Wait for the writer to stall: no progress across a few looks.
	for last, still := int64(-1), 0; still < 5; time.Sleep(10 * time.Millisecond) {
		if n := written.Load(); n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
	if err := bc.Close(); err != nil {
		t.Fatal(err)
	}
	// Both return (the test would hang otherwise); the read sees the end
	// of the stream or the close, the write a broken pipe or the close.
	if err := <-readDone; err != io.EOF && !errors.Is(err, net.ErrClosed) {
		t.Errorf("blocked read returned %v", err)
	}
	if err := <-writeDone; err == nil {
		t.Error("blocked write returned no error")
	}
	if _, err := bc.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after Close: %v, want net.ErrClosed", err)
	}
}
