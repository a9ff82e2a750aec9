package bootdisk

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// MountInfo is one line of /proc/PID/mountinfo (proc_pid_mountinfo(5)),
// the fields discovery needs.
type MountInfo struct {
	// Device is the mount's device number, "MAJ:MIN".
	Device string
	// MountPoint is where it is mounted, its octal escapes undone.
	MountPoint string
	FSType     string
	Source     string
}

// ParseMountInfo parses a mountinfo file: ID, parent ID, MAJ:MIN, root,
// mount point, options, optional fields up to a "-", then the file system
// type, the source and the super block options. A malformed line is
// skipped and counted in the error, which comes with every line that did
// parse.
func ParseMountInfo(b []byte) ([]*MountInfo, error) {
	var out []*MountInfo
	var bad []int
	n := 0
	for line := range bytes.Lines(b) {
		n++
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 10 || sep < 0 || sep+2 >= len(f) || !strings.Contains(f[2], ":") {
			bad = append(bad, n)
			continue
		}
		out = append(out, &MountInfo{Device: f[2], MountPoint: unescapeMountPath(f[4]), FSType: f[sep+1], Source: unescapeMountPath(f[sep+2])})
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("%d malformed mountinfo lines (first: line %d): %w", len(bad), bad[0], ErrMalformedMountInfo)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no mounts: %w", ErrMalformedMountInfo)
	}
	return out, nil
}

// ErrMalformedMountInfo is wrapped by ParseMountInfo's errors.
var ErrMalformedMountInfo = errors.New("malformed mountinfo")
