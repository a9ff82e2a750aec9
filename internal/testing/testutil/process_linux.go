package testutil

import "syscall"

// dieWithParent makes the kernel kill the process when the thread that
// started it exits, unless the caller chose another signal.
func dieWithParent(attr *syscall.SysProcAttr) {
	if attr.Pdeathsig == 0 {
		attr.Pdeathsig = syscall.SIGKILL
	}
}
