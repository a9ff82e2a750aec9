//go:build !linux

package hostfile

import (
	"os"
	"path"

	"golang.org/x/sys/unix"
)

const oPath = unix.O_RDONLY | unix.O_NONBLOCK

func (r Root) open(name string, flags int, want wantMode) (*os.File, error) {
	return r.openWalk(path.Clean("/"+name), flags|unix.O_CLOEXEC, want)
}
