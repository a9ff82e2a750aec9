package testutil

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
)

// Process is a program a test started: the agent, a peer exporter,
// Prometheus, a lab script.
type Process struct {
	// Name is how logs and failures call it.
	Name string
	Cmd  *exec.Cmd
	// Output holds what the process wrote to standard output and standard
	// error, unless the caller set those before StartProcess.
	Output *SyncBuffer

	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// StartProcess starts cmd. When the test ends the process is killed, if it
// still runs, and its output is logged if the test failed. On Linux it is
// also killed should the test binary die before its cleanups run.
func StartProcess(tb testing.TB, name string, cmd *exec.Cmd) *Process {
	tb.Helper()
	p := &Process{Name: name, Cmd: cmd, Output: &SyncBuffer{}, exited: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.Output
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.Output
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	dieWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if tb.Failed() {
			tb.Logf("%s output:\n%s", name, p.Output)
		}
	})
	return p
}

// PID is the process's ID.
func (p *Process) PID() int { return p.Cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to exit and returns its exit status, as
// exec.Cmd.Wait does; it may be called any number of times.
func (p *Process) Wait() error {
	<-p.exited
	return p.err
}

// Stop sends SIGTERM and returns the exit status.
func (p *Process) Stop() error {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	return p.Wait()
}

// Alive returns nil while the process runs, and once it has exited an
// error with its exit status and output.
func (p *Process) Alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited (%v):\n%s", p.Name, p.err, p.Output)
	default:
		return nil
	}
}

// Resources reads what the process holds now.
func (p *Process) Resources() (Resources, error) { return ReadResources(p.PID()) }
