package systemd

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// serviceSignal is the service interface's PropertiesChanged as systemd
// sends it: every property that emits changes, each time.
func serviceSignal(t *testing.T, result string, code, status int32, restarts uint32) []byte {
	return propsChanged(t, binary.LittleEndian, crashPath, "", serviceIface, map[string]dbus.Variant{
		"Result":         dbus.MakeVariant(result),
		"ExecMainCode":   dbus.MakeVariant(code),
		"ExecMainStatus": dbus.MakeVariant(status),
		"NRestarts":      dbus.MakeVariant(restarts),
		"MainPID":        dbus.MakeVariant(uint32(0)),
	}, nil)
}

// TestInboxFailures: a failure is a move of Result away from success (or
// from another failure); the same Result signalled again at each later
// state change is the same failure, and a timeout's code, which comes in
// a later signal, completes it.
func TestInboxFailures(t *testing.T) {
	in := newInbox(false)
	route(t, in, serviceSignal(t, "success", 0, 0, 0))
	route(t, in, serviceSignal(t, "signal", 2, 9, 0)) // stop-sigterm
	route(t, in, serviceSignal(t, "signal", 2, 9, 0)) // auto-restart: the same failure
	route(t, in, serviceSignal(t, "success", 0, 0, 1))
	route(t, in, serviceSignal(t, "exit-code", 1, 3, 1))
	route(t, in, serviceSignal(t, "success", 0, 0, 2))
	route(t, in, serviceSignal(t, "timeout", 0, 0, 2))
	p := in.drain().units[string(crashPath)]
	var got []string
	for _, f := range p.failures {
		if !f.Observed || f.At.IsZero() {
			t.Errorf("failure %+v: not observed or no time", f)
		}
		got = append(got, fmt.Sprintf("%s/%s/%d/%s/%d", f.Result, f.Code, f.Status, f.Signal, f.NRestarts))
	}
	want := fmt.Sprint([]string{"signal/killed/0/SIGKILL/0", "exit-code/exited/3//1", "timeout//0//2"})
	if fmt.Sprint(got) != want {
		t.Errorf("failures %v, want %v", got, want)
	}

	// The timeout's process ends after the drain: the next pending
	// record amends the failure instead of adding one.
	route(t, in, serviceSignal(t, "timeout", 2, 15, 2))
	p = in.drain().units[string(crashPath)]
	if len(p.failures) != 0 || p.amend == nil || p.amend.Signal != "SIGTERM" || p.amend.Code != "killed" {
		t.Fatalf("after the timeout's SIGCHLD: failures %+v amend %+v", p.failures, p.amend)
	}
	var fl failures
	fl.observe("crash.service", []Failure{{Result: "timeout", At: time.Unix(5, 0)}}, 0)
	fl.amend("crash.service", *p.amend)
	if l := fl.units["crash.service"].last; l.Code != "killed" || l.Signal != "SIGTERM" {
		t.Errorf("amended last failure %+v", l)
	}
	if r := fl.latest()[0]; r.Signal != "SIGTERM" || r.Unit != "crash.service" {
		t.Errorf("amended ring entry %+v", r)
	}
}

// TestInboxFailuresKnownResult: a service that had already failed when the
// watcher read it is not counted again when its next signal repeats the
// result.
func TestInboxFailuresKnownResult(t *testing.T) {
	in := newInbox(false)
	in.knowResults(map[string]string{string(crashPath): "exit-code"})
	route(t, in, serviceSignal(t, "exit-code", 1, 1, 0))
	if p := in.drain().units[string(crashPath)]; len(p.failures) != 0 {
		t.Errorf("a known failure counted again: %+v", p.failures)
	}
}

// TestInboxFailuresBounded: a unit that fails more often than the pending
// record holds is still counted exactly.
func TestInboxFailuresBounded(t *testing.T) {
	in := newInbox(false)
	const n = 3 * maxPendingFailures
	for i := range n {
		route(t, in, serviceSignal(t, "exit-code", 1, 1, uint32(i)))
		route(t, in, serviceSignal(t, "success", 0, 0, uint32(i+1)))
	}
	p := in.drain().units[string(crashPath)]
	if len(p.failures) != maxPendingFailures || p.extraFailures != n-maxPendingFailures {
		t.Fatalf("pending holds %d failures and %d more, want %d and %d", len(p.failures), p.extraFailures, maxPendingFailures, n-maxPendingFailures)
	}
	var fl failures
	fl.observe("crash.service", p.failures, p.extraFailures)
	if c := fl.units["crash.service"].counts["exit-code"]; c != n {
		t.Errorf("counted %d exit-code failures, want %d", c, n)
	}
}

// TestFailureRing: the ring keeps the latest RecentFailuresKept failures,
// newest first, and records are never changed once made.
func TestFailureRing(t *testing.T) {
	var fl failures
	for i := range RecentFailuresKept + 5 {
		fl.observe(fmt.Sprintf("u%d.service", i), []Failure{{Result: "signal", At: time.Unix(int64(i), 0)}}, 0)
	}
	got := fl.latest()
	if len(got) != RecentFailuresKept || got[0].Unit != fmt.Sprintf("u%d.service", RecentFailuresKept+4) || got[len(got)-1].Unit != "u5.service" {
		t.Errorf("ring: %d entries, first %s, last %s", len(got), got[0].Unit, got[len(got)-1].Unit)
	}
	before := fl.units["u0.service"]
	counts := before.counts
	fl.observe("u0.service", []Failure{{Result: "timeout"}}, 0)
	if counts["timeout"] != 0 || before.last.Result != "signal" {
		t.Error("a published record changed")
	}
	if c := fl.units["u0.service"].counts; c["timeout"] != 1 || c["signal"] != 1 {
		t.Errorf("counts %v", c)
	}
	// found never overrides what was seen.
	fl.found("u0.service", Failure{Result: "exit-code"})
	if fl.units["u0.service"].last.Result != "timeout" {
		t.Error("found replaced an observed failure")
	}
}
