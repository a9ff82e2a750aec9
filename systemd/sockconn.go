package systemd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// blockingConn is a connected unix socket read and written with blocking
// system calls, outside the Go runtime's network poller.
//
// The poller registers a socket with epoll edge-triggered, so every write
// the manager makes to it wakes an idle thread, whether or not anything is
// reading: on the private socket the manager sends every signal to every
// client, and in a crash-loop storm that is thousands of wake-ups a second
// while the wireConn above sleeps between its batched reads (about 2% of a
// core, most of what was left of a storm's cost). A blocking read wakes
// only the thread that is in it.
//
// A read or write blocked on a frozen peer is released by Close, which
// shuts the socket down first (closing alone would wait for them).
type blockingConn struct {
	f     *os.File
	fd    int
	local net.Addr
	peer  net.Addr
	once  sync.Once
	err   error
}

// newBlockingConn takes over a connected *net.UnixConn: its socket leaves
// the poller and the net.Conn is closed; the socket lives on in the
// returned conn.
func newBlockingConn(c net.Conn) (*blockingConn, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, fmt.Errorf("systemd: %T is not a unix socket", c)
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) {
		fd, derr = dupCloexec(int(s))
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("systemd: dup socket: %w", derr)
	}
	local, peer := uc.LocalAddr(), uc.RemoteAddr()
	// Closing the net.Conn takes its descriptor out of epoll; the socket
	// stays open through the duplicate.
	_ = uc.Close()
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("systemd: socket: %w", err)
	}
	// A blocking descriptor makes a File that is not polled.
	return &blockingConn{f: os.NewFile(uintptr(fd), "systemd-socket"), fd: fd, local: local, peer: peer}, nil
}

func dupCloexec(fd int) (int, error) {
	for {
		nfd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(nfd), nil
	}
}

func (c *blockingConn) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return n, err
}

func (c *blockingConn) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return n, err
}

// Close shuts the socket down, which returns a read or write blocked in
// the kernel, then closes it.
func (c *blockingConn) Close() error {
	c.once.Do(func() {
		_ = syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
		c.err = c.f.Close()
	})
	return c.err
}

func (c *blockingConn) LocalAddr() net.Addr  { return c.local }
func (c *blockingConn) RemoteAddr() net.Addr { return c.peer }

// Deadlines are not supported: calls are bounded by contexts, and a call
// stuck on a frozen peer is released by Close.
func (c *blockingConn) SetDeadline(time.Time) error      { return os.ErrNoDeadline }
func (c *blockingConn) SetReadDeadline(time.Time) error  { return os.ErrNoDeadline }
func (c *blockingConn) SetWriteDeadline(time.Time) error { return os.ErrNoDeadline }
