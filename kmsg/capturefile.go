package kmsg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// CaptureFile is a capture file named by the operator, opened for reading
// under a context: a regular file, or a FIFO or socket a capture is piped
// through (`cat /dev/kmsg | bootinfo kmsg --file /dev/stdin`). Its Read
// returns the context's error once the context is done, even when it was
// waiting for a writer that is slow or never comes.
type CaptureFile struct {
	f     *os.File
	raw   syscall.RawConn
	ctx   context.Context
	fifo  bool // a named pipe: read 0 means "no writer yet" until one came
	poll  bool // registered with the runtime poller: reads wait there
	wrote bool // a writer was seen on the pipe

	stop func() bool
	wg   sync.WaitGroup
}

// OpenCapture opens name without blocking (O_NONBLOCK, so a FIFO without a
// writer does not hold the open) and checks what it is. A directory or a
// device is refused with an error wrapping ErrNotCaptureFile: a capture is
// a file, and a device is either the live log, which `bootinfo kmsg`
// without a file reads one record per read(2), or one such as /dev/zero
// that never ends. A FIFO is read as a blocking open would: it waits for
// a writer, and ends when the last writer closes it after one came.
func OpenCapture(ctx context.Context, name string) (*CaptureFile, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	c := &CaptureFile{ctx: ctx}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFSOCK:
	case unix.S_IFIFO:
		c.fifo = true
	case unix.S_IFCHR:
		what := "a character device"
		if unix.Major(uint64(st.Rdev)) == kmsgMajor && unix.Minor(uint64(st.Rdev)) == kmsgMinor {
			what = "the kernel log device (read it without --file)"
		}
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: is %s", ErrNotCaptureFile, what)}
	case unix.S_IFDIR:
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: is a directory", ErrNotCaptureFile)}
	default:
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: is a block device", ErrNotCaptureFile)}
	}
	// A non-blocking descriptor is registered with the runtime poller where
	// the kernel allows it (a pipe or socket, not a regular file), so a
	// read waits there and a deadline or Close wakes it.
	c.f = os.NewFile(uintptr(fd), name)
	if c.raw, err = c.f.SyscallConn(); err != nil {
		c.f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	c.poll = c.f.SetReadDeadline(time.Time{}) == nil
	c.wg.Add(1)
	c.stop = context.AfterFunc(ctx, func() {
		defer c.wg.Done()
		if c.poll {
			c.f.SetReadDeadline(time.Unix(1, 0))
		}
	})
	return c, nil
}

// ErrNotCaptureFile is wrapped by OpenCapture's error for a path that is
// not a file a capture can be read from.
var ErrNotCaptureFile = errors.New("not a capture file")

// The kernel log device's number (drivers/char/mem.c: "kmsg", minor 11 of
// the memory devices).
const (
	kmsgMajor = 1
	kmsgMinor = 11
)

// Name returns the name the file was opened with.
func (c *CaptureFile) Name() string { return c.f.Name() }

// Read reads from the file. Once the context is done it returns the
// context's error; a read waiting on a pipe returns then too.
func (c *CaptureFile) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !c.poll {
		// A regular file: a read does not wait (short of a hung
		// file system, which no descriptor flag interrupts).
		return c.f.Read(p)
	}
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			n, rerr = unix.Read(int(fd), p)
			if rerr != unix.EINTR {
				break
			}
		}
		switch {
		case rerr == unix.EAGAIN:
			// A writer is there (a pipe without one reads 0).
			c.wrote = true
			return false
		case rerr == nil && n == 0 && c.fifo && !c.wrote:
			// No writer: either none came yet, and a blocking open
			// would still wait for one, or one came and went, which
			// poll reports as a hang-up.
			if hungUp(int(fd)) {
				return true
			}
			return false
		case rerr == nil && n > 0:
			c.wrote = true
		}
		return true
	})
	switch {
	case err != nil && c.ctx.Err() != nil:
		return 0, c.ctx.Err()
	case err != nil:
		return 0, &fs.PathError{Op: "read", Path: c.f.Name(), Err: err}
	case rerr != nil:
		return 0, &fs.PathError{Op: "read", Path: c.f.Name(), Err: rerr}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// hungUp tells whether the pipe fd had a writer that is gone: the kernel
// reports POLLHUP to a reader only once a writer came after it opened.
func hungUp(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(pfd, 0)
		if err != unix.EINTR {
			return err == nil && pfd[0].Revents&unix.POLLHUP != 0
		}
	}
}

// Close closes the file.
func (c *CaptureFile) Close() error {
	if !c.stop() {
		c.wg.Wait()
	}
	return c.f.Close()
}
