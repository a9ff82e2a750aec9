//go:build linux && (amd64 || arm64 || 386 || arm || riscv64 || s390x || loong64)

package bootdisk

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// The ioctls that ask a mounted file system for its UUID and label
// (include/uapi/linux/fs.h), encoded as _IOR is on these architectures:
// FS_IOC_GETFSUUID is _IOR(0x15, 0, struct fsuuid2), a length byte and 16
// bytes (Linux 6.5); FS_IOC_GETFSLABEL is _IOR(0x94, 49, char[256])
// (Linux 4.18 for btrfs and XFS, later for ext4).
const (
	iocRead         = 2 << 30
	fsIocGetFSUUID  = iocRead | 17<<16 | 0x15<<8 | 0
	fsIocGetFSLabel = iocRead | 256<<16 | 0x94<<8 | 49
	fsLabelMax      = 256
	fsUUIDMax       = 16
)

// mountedIdentity asks the file system mounted at mountPoint (a path of
// this process's mount namespace, from its own mountinfo) for its UUID
// and label, if the directory it opens there is on device (mountinfo's
// "MAJ:MIN"): another mount stacked on the same directory would answer
// for its own file system. The ok results say which of the two it
// answered.
func mountedIdentity(mountPoint, device string) (uuid, label string, uuidOK, labelOK bool, err error) {
	f, err := hostfile.NewRoot("/").OpenDir(mountPoint)
	if err != nil {
		return "", "", false, false, err
	}
	defer f.Close()
	fd := f.Fd()
	var st unix.Stat_t
	if err := unix.Fstat(int(fd), &st); err != nil {
		return "", "", false, false, err
	}
	if have := fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)); have != device {
		return "", "", false, false, fmt.Errorf("bootdisk: %s is on device %s, not %s: another mount covers it", mountPoint, have, device)
	}
	var u [1 + fsUUIDMax]byte
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, fsIocGetFSUUID, uintptr(unsafe.Pointer(&u[0]))); e == 0 && int(u[0]) <= fsUUIDMax {
		uuid, uuidOK = formatUUID(u[1:1+u[0]]), true
	}
	var l [fsLabelMax]byte
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, fsIocGetFSLabel, uintptr(unsafe.Pointer(&l[0]))); e == 0 {
		label, labelOK = cString(l[:]), true
	}
	return uuid, label, uuidOK, labelOK, nil
}
