package kmsg

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// ErrUnsupported is returned by FS.Open where the platform has no
// /dev/kmsg.
var ErrUnsupported = errors.New("kmsg: /dev/kmsg is only available on linux")

// DefaultBufferSize is the read buffer for one record: the kernel formats a
// /dev/kmsg record into CONSOLE_EXT_LOG_MAX (8 KiB) bytes.
const DefaultBufferSize = 8 << 10

// FS locates the kernel log device under a /dev directory, so a container
// with the host's /dev mounted elsewhere, or a test, can point it there.
type FS struct {
	dev string
}

// NewFS returns an FS for the device directory devRoot (normally "/dev").
func NewFS(devRoot string) FS { return FS{dev: devRoot} }

// Path returns the path of the kmsg device.
func (fs FS) Path() string { return filepath.Join(fs.dev, "kmsg") }

// OpenOptions configure FS.Open.
type OpenOptions struct {
	// Follow makes Next wait for new records at the end of the log
	// instead of returning io.EOF.
	Follow bool
	// FromEnd starts after the newest record (SEEK_END), so only records
	// logged from now on are read.
	FromEnd bool
	// BufferSize is the initial read buffer (DefaultBufferSize when 0).
	// A record larger than the buffer makes the kernel fail the read with
	// EINVAL and skip the record; the reader counts it as lost and doubles
	// the buffer (up to MaxRecordSize) for the records after it.
	BufferSize int
}

// PermissionHint says what reading the device takes when err is a refusal
// to open it (" (reading /dev/kmsg needs ...)"), and is "" for any other
// error.
func PermissionHint(err error) string {
	if errors.Is(err, fs.ErrPermission) {
		return " (reading /dev/kmsg needs CAP_SYSLOG when kernel.dmesg_restrict=1)"
	}
	return ""
}
