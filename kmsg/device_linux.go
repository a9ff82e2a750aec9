package kmsg

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Device reads records from /dev/kmsg, one read(2) per record. It is not
// safe for concurrent use, except that a cancelled context may interrupt a
// blocked Next from another goroutine.
type Device struct {
	f      *os.File
	raw    syscall.RawConn
	follow bool
	buf    []byte

	haveLast bool
	last     uint64
	lost     uint64
	overruns uint64
	tooLarge uint64
	skipped  uint64 // records the kernel skipped since the last one returned
}

// Open opens the kmsg device. Each reader gets its own position in the
// log, starting at the oldest record still held (or at the end with
// FromEnd). Reading needs CAP_SYSLOG or kernel.dmesg_restrict=0.
func (fs FS) Open(opts OpenOptions) (*Device, error) {
	path := fs.Path()
	// Opened non-blocking, and checked after the open rather than before
	// it: a FIFO put in the device's place under --path.dev must not hold
	// the open, nor one swapped in between a check and the open. Only the
	// kernel's own log device is read: a regular file or FIFO is no
	// device, and another character device (a link to /dev/zero, say)
	// would be read for ever.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("kmsg: %w", &iofs.PathError{Op: "open", Path: path, Err: err})
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("kmsg: %w", &iofs.PathError{Op: "stat", Path: path, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		unix.Close(fd)
		return nil, fmt.Errorf("kmsg: %s is not a character device", path)
	}
	if maj, mnr := unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)); maj != kmsgMajor || mnr != kmsgMinor {
		unix.Close(fd)
		return nil, fmt.Errorf("kmsg: %s is character device %d:%d, not the kernel log (%d:%d)", path, maj, mnr, kmsgMajor, kmsgMinor)
	}
	// The os package registers a character device with the runtime poller,
	// so a read at the end of the log returns EAGAIN, and in follow mode
	// waits in the poller where a read deadline can interrupt it.
	f := os.NewFile(uintptr(fd), path)
	d := &Device{f: f, follow: opts.Follow}
	if d.raw, err = f.SyscallConn(); err != nil {
		f.Close()
		return nil, fmt.Errorf("kmsg: %w", err)
	}
	// Non-blocking in any case: without it a read at the end would block
	// even when the device could not be registered with the poller.
	var nbErr error
	if err := d.raw.Control(func(fd uintptr) { nbErr = syscall.SetNonblock(int(fd), true) }); err != nil || nbErr != nil {
		f.Close()
		return nil, fmt.Errorf("kmsg: set non-blocking: %w", errors.Join(err, nbErr))
	}
	if opts.Follow {
		if err := f.SetReadDeadline(time.Time{}); err != nil {
			f.Close()
			return nil, fmt.Errorf("kmsg: %s cannot be polled: %w", path, err)
		}
	}
	if opts.FromEnd {
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return nil, fmt.Errorf("kmsg: seek to end: %w", err)
		}
	}
	size := opts.BufferSize
	if size <= 0 {
		size = DefaultBufferSize
	}
	d.buf = make([]byte, min(size, MaxRecordSize))
	return d, nil
}

// Next returns the next record. Without Follow it returns io.EOF at the
// end of the log; with Follow it waits for a record until ctx is done and
// then returns ctx.Err(). Records the kernel overwrote before they were
// read (EPIPE) are skipped and counted in Lost, as are records larger
// than the buffer (EINVAL; see TooLarge). A record that does not
// decode is returned with an error wrapping ErrMalformed; reading may go
// on.
func (d *Device) Next(ctx context.Context) (Record, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Record{}, err
		}
		n, err := d.read(ctx)
		switch {
		case err == nil:
		case errors.Is(err, syscall.EPIPE):
			// The kernel moved our position to the oldest record it
			// still holds; the sequence gap to it tells how many
			// were lost.
			d.overruns++
			continue
		case errors.Is(err, syscall.EINVAL):
			// The record did not fit. The kernel has already moved
			// past it (it advances before checking the size), so it
			// is lost; a bigger buffer saves the next large one.
			d.tooLarge++
			d.skipped++
			if len(d.buf) < MaxRecordSize {
				d.buf = make([]byte, min(2*len(d.buf), MaxRecordSize))
			}
			continue
		case errors.Is(err, syscall.EAGAIN):
			return Record{}, io.EOF
		case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
			return Record{}, ctx.Err()
		default:
			return Record{}, fmt.Errorf("kmsg: read: %w", err)
		}
		rec, err := ParseRecord(d.buf[:n])
		if err != nil {
			return Record{}, err
		}
		switch {
		case d.haveLast && rec.Seq > d.last+1:
			d.lost += rec.Seq - d.last - 1
		case !d.haveLast:
			// No earlier record shows the gap: count what the
			// kernel told us was skipped.
			d.lost += d.skipped
		}
		d.haveLast, d.last, d.skipped = true, rec.Seq, 0
		return rec, nil
	}
}

// read performs one read(2). In follow mode it waits for data in the
// runtime poller, and a done ctx sets a past read deadline to wake it.
func (d *Device) read(ctx context.Context) (int, error) {
	var n int
	var errno error
	readOnce := func(fd uintptr) bool {
		n, errno = syscall.Read(int(fd), d.buf)
		if errno == syscall.EINTR {
			return false
		}
		// Returning false on EAGAIN makes the poller wait for data.
		return !(d.follow && errno == syscall.EAGAIN)
	}
	if !d.follow {
		if err := d.raw.Read(readOnce); err != nil {
			return 0, err
		}
		return n, errno
	}
	var wg sync.WaitGroup
	wg.Add(1)
	stop := context.AfterFunc(ctx, func() {
		defer wg.Done()
		d.f.SetReadDeadline(time.Unix(1, 0))
	})
	err := d.raw.Read(readOnce)
	if !stop() {
		// The wake-up ran (or is running): wait for it, then clear
		// the deadline so the next call can block again.
		wg.Wait()
		d.f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		return 0, err
	}
	return n, errno
}

// Lost returns how many records were skipped between those returned
// (overwritten before this reader got to them).
func (d *Device) Lost() uint64 { return d.lost }

// Overruns returns how often the kernel reported EPIPE: that records were
// overwritten under this reader's position.
func (d *Device) Overruns() uint64 { return d.overruns }

// TooLarge returns how many records were larger than the read buffer
// (EINVAL). The kernel skips such a record, so it is also counted in Lost;
// with the default buffer the kernel never produces one.
func (d *Device) TooLarge() uint64 { return d.tooLarge }

// Close releases the device.
func (d *Device) Close() error { return d.f.Close() }
