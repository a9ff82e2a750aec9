//go:build !linux

package bootdisk

import (
	"errors"
	"fmt"
)

// blockDevNum needs Linux's device numbers.
func blockDevNum(path string) (maj, min uint32, err error) {
	return 0, 0, fmt.Errorf("bootdisk: %s: %w", path, errors.ErrUnsupported)
}
