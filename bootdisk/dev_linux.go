package bootdisk

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// blockDevNum returns the device number of the block device node at path.
func blockDevNum(path string) (maj, min uint32, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, 0, fmt.Errorf("bootdisk: %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, fmt.Errorf("bootdisk: %s is not a block device", path)
	}
	return unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)), nil
}
