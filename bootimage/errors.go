package bootimage

import (
	"errors"
	"io"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// ErrNotKernel is wrapped by errors for a file that is not a Linux boot
// image: empty, or without the header of any format this package knows.
var ErrNotKernel = errors.New("bootimage: not a Linux kernel image")

// ErrNotInitrd is wrapped by errors for a file the kernel would not unpack
// as an initial RAM file system: empty, neither a cpio archive nor one of
// the compressed formats the kernel decompresses, or a cpio archive in a
// format the kernel refuses.
var ErrNotInitrd = errors.New("bootimage: not an initramfs")

// ErrTruncated is wrapped by errors for a file shorter than its own headers
// say it is.
var ErrTruncated = errors.New("bootimage: truncated")

// MaxRead bounds the bytes one ReadKernel or ReadInitrd call reads,
// whatever the size of the file: its headers, the kernel's version string,
// the headers of an uncompressed cpio archive and the padding between
// archives. An initramfs whose walk needs more is reported as far as it
// went (Initrd.Incomplete).
const MaxRead = hostfile.LimitImage

// budget is an io.ReaderAt that refuses reads past size and counts what it
// has read against MaxRead.
type budget struct {
	r    io.ReaderAt
	size int64
	used int64
}

// errBudget ends a walk that has read MaxRead bytes.
var errBudget = errors.New("bootimage: read budget spent")

// read reads n bytes at off. A read past the end of the file is
// io.ErrUnexpectedEOF, one past the budget errBudget.
func (b *budget) read(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > b.size || int64(n) > b.size-off {
		return nil, io.ErrUnexpectedEOF
	}
	if b.used+int64(n) > MaxRead {
		return nil, errBudget
	}
	b.used += int64(n)
	buf := make([]byte, n)
	m, err := b.r.ReadAt(buf, off)
	if m == n {
		return buf, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, err
}

func le16(b []byte, off int) uint16 { return uint16(b[off]) | uint16(b[off+1])<<8 }

func le32(b []byte, off int) uint32 {
	return uint32(b[off]) | uint32(b[off+1])<<8 | uint32(b[off+2])<<16 | uint32(b[off+3])<<24
}

func le64(b []byte, off int) uint64 { return uint64(le32(b, off)) | uint64(le32(b, off+4))<<32 }
