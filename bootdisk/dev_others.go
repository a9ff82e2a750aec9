//go:build !linux

package bootdisk

import (
	"errors"
	"fmt"
	iofs "io/fs"
)

// fileDevNum needs Linux's device numbers.
func fileDevNum(fi iofs.FileInfo) (maj, min uint32, err error) {
	return 0, 0, fmt.Errorf("bootdisk: %s: %w", fi.Name(), errors.ErrUnsupported)
}
