package testutil

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// Resources is what the kernel says a process holds and has used.
type Resources struct {
	// RSS and PeakRSS are its resident memory now and at most so far
	// (VmRSS and VmHWM), in bytes.
	RSS, PeakRSS uint64
	// FDs counts its open file descriptors.
	FDs int
	// Threads counts its threads.
	Threads int
	// CPU is the user and system time it has used.
	CPU time.Duration
	// Wakeups counts its voluntary context switches: how often it slept
	// and was woken again.
	Wakeups uint64
	// CapEff is its effective capability set.
	CapEff uint64
}

// ReadResources reads the resources of process pid from /proc.
func ReadResources(pid int) (Resources, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Resources{}, err
	}
	status, err := p.NewStatus()
	if err != nil {
		return Resources{}, err
	}
	stat, err := p.Stat()
	if err != nil {
		return Resources{}, err
	}
	fds, err := p.FileDescriptorsLen()
	if err != nil {
		return Resources{}, err
	}
	return Resources{
		RSS: status.VmRSS, PeakRSS: status.VmHWM,
		FDs:     fds,
		Threads: stat.NumThreads,
		CPU:     time.Duration(stat.CPUTime() * float64(time.Second)),
		Wakeups: status.VoluntaryCtxtSwitches,
		CapEff:  status.CapEff,
	}, nil
}

// UnixSockets counts the descriptors of process pid that are unix domain
// sockets (of this network namespace, which the processes a test starts
// share).
func UnixSockets(pid int) (int, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	targets, err := p.FileDescriptorTargets()
	if err != nil {
		return 0, err
	}
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0, err
	}
	sockets, err := fs.NetUNIX()
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, s := range sockets.Rows {
		inodes[strconv.FormatUint(s.Inode, 10)] = true
	}
	n := 0
	for _, t := range targets {
		if ino, ok := strings.CutPrefix(t, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
			n++
		}
	}
	return n, nil
}
