//go:build !(linux && (amd64 || arm64 || 386 || arm || riscv64 || s390x || loong64))

package bootdisk

import "errors"

// mountedIdentity needs Linux's FS_IOC_GETFSUUID and FS_IOC_GETFSLABEL,
// encoded here only for the architectures whose _IOR it knows.
func mountedIdentity(_, _ string) (uuid, label string, uuidOK, labelOK bool, err error) {
	return "", "", false, false, errors.ErrUnsupported
}
