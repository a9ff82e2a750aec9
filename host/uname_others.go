//go:build !linux

package host

import (
	"errors"
	"runtime"
)

func unameMachine() (string, error) {
	if runtime.GOARCH == "" {
		return "", errors.New("host: unknown architecture")
	}
	return runtime.GOARCH, nil
}
