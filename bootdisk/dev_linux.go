package bootdisk

import (
	"fmt"
	iofs "io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileDevNum returns the device number of a device node's FileInfo.
func fileDevNum(fi iofs.FileInfo) (maj, min uint32, err error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, fmt.Errorf("bootdisk: %s: no device number", fi.Name())
	}
	return unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)), nil
}
