package qemulab

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// The "new ASCII" (newc) cpio format that the kernel unpacks into its initial
// rootfs (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte
// header of "070701" and thirteen 8-digit hexadecimal fields, the NUL-terminated
// name padded so the data starts on a 4-byte boundary, then the data, padded to
// 4 bytes as well. A "TRAILER!!!" entry ends the archive.
const (
	cpioMagic      = "070701"
	cpioHeaderSize = 110
	cpioTrailer    = "TRAILER!!!"

	modeDir  = 0o040000
	modeReg  = 0o100000
	modeLink = 0o120000
	modeChr  = 0o020000
)

// cpioWriter writes a newc archive. Inode numbers count up from 1; owners are
// root and times are zero so the same inputs give the same bytes.
type cpioWriter struct {
	w   io.Writer
	ino uint32
	err error
}

// cpioEntry is one archive member.
type cpioEntry struct {
	name      string // relative to the archive root, no leading slash
	mode      uint32 // file type and permission bits
	data      []byte // file contents or a symlink's target
	rdevMajor uint32 // device numbers of a character or block node
	rdevMinor uint32
	nlink     uint32
}

func (c *cpioWriter) write(e cpioEntry) error {
	if c.err != nil {
		return c.err
	}
	if e.name == "" || strings.HasPrefix(e.name, "/") || strings.ContainsRune(e.name, 0) {
		c.err = fmt.Errorf("qemulab: bad cpio member name %q", e.name)
		return c.err
	}
	if uint64(len(e.data)) > 0xffffffff {
		c.err = errors.New("qemulab: cpio member larger than 4 GiB")
		return c.err
	}
	c.ino++
	if e.nlink == 0 {
		e.nlink = 1
		if e.mode&0o170000 == modeDir {
			e.nlink = 2
		}
	}
	return c.raw(c.ino, e)
}

func (c *cpioWriter) raw(ino uint32, e cpioEntry) error {
	namesize := len(e.name) + 1
	hdr := fmt.Sprintf("%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		cpioMagic,
		ino, e.mode, 0, 0, e.nlink, 0, // ino, mode, uid, gid, nlink, mtime
		len(e.data), 0, 0, // filesize, devmajor, devminor
		e.rdevMajor, e.rdevMinor, namesize, 0) // rdevmajor, rdevminor, namesize, check
	buf := make([]byte, 0, cpioHeaderSize+namesize+3+len(e.data)+3)
	buf = append(buf, hdr...)
	buf = append(buf, e.name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	buf = append(buf, e.data...)
	buf = pad4(buf)
	_, c.err = c.w.Write(buf)
	return c.err
}

// close writes the trailer.
func (c *cpioWriter) close() error {
	if c.err != nil {
		return c.err
	}
	return c.raw(0, cpioEntry{name: cpioTrailer, nlink: 1})
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
