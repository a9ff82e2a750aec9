package systemd

import (
	"maps"
	"time"

	"golang.org/x/sys/unix"
)

// Failure is one run of a service that ended in a result other than
// success, as the manager reported it when it happened. systemd resets a
// service's Result, ExecMainCode and ExecMainStatus when it restarts it, so
// only a watcher that saw the change keeps the cause.
type Failure struct {
	// Unit names the unit in Snapshot.RecentFailures; empty in a unit's
	// own LastFailure.
	Unit string `json:"unit,omitempty"`
	// Result is the service's Result: exit-code, signal, core-dump,
	// timeout, watchdog, start-limit-hit, oom-kill, resources, ...
	Result string `json:"result"`
	// Code is how the main process ended (ExecMainCode): exited, killed
	// or dumped; empty when no process ended (a timeout of a start job,
	// a start limit hit).
	Code string `json:"code,omitempty"`
	// Status is the exit status when Code is exited.
	Status int32 `json:"status"`
	// Signal names the signal when Code is killed or dumped.
	Signal string `json:"signal,omitempty"`
	// At is when the watcher learnt of it (the signal's arrival), or the
	// unit's last state change for a failure older than the watcher.
	At time.Time `json:"at"`
	// NRestarts is the service's restart count at that moment.
	NRestarts uint32 `json:"n_restarts"`
	// Observed is false for a failure found in the unit's properties at
	// the watcher's first reading (older than the watcher; not counted).
	Observed bool `json:"observed"`
}

// FailureCounts counts a unit's failures by result since the watcher
// started.
type FailureCounts map[string]uint64

// Bounds of what the watcher keeps about failures.
const (
	// maxPendingFailures is the most failures one unit's pending record
	// holds between two refreshes (at least a second apart); past it
	// they are still counted, as the last one kept.
	maxPendingFailures = 16
	// maxFailureRecords is the most units with a failure record; past
	// it the records of units no longer loaded are dropped.
	maxFailureRecords = 4096
	// RecentFailuresKept is how many of the host's latest failures
	// Snapshot.RecentFailures holds.
	RecentFailuresKept = 32
)

// failureOf makes a Failure from a service's values; ok is false when the
// result is success (or not known).
func failureOf(result, code string, status int32, nRestarts uint32, at time.Time) (Failure, bool) {
	if result == "" || result == "success" {
		return Failure{}, false
	}
	f := Failure{Result: result, Code: code, NRestarts: nRestarts, At: at}
	switch code {
	case "killed", "dumped":
		f.Signal = unix.SignalName(unix.Signal(status))
	case "exited":
		f.Status = status
	}
	return f, true
}

// failureRecord is what the watcher keeps about one unit's failures. A
// record is never changed once published: an update makes a new one.
type failureRecord struct {
	last   *Failure
	counts FailureCounts
}

// failures holds the watcher's failure records and the host-wide ring of
// the latest ones. Only the watcher's goroutine uses it.
type failures struct {
	units  map[string]*failureRecord
	recent []Failure // ring, oldest at next when full
	next   int
}

// observe records failures a unit's signals reported.
func (fs *failures) observe(unit string, seen []Failure, extra uint64) {
	if len(seen) == 0 {
		return
	}
	if fs.units == nil {
		fs.units = map[string]*failureRecord{}
	}
	old := fs.units[unit]
	r := &failureRecord{counts: FailureCounts{}}
	if old != nil {
		maps.Copy(r.counts, old.counts)
	}
	for _, f := range seen {
		r.counts[f.Result]++
		f.Unit = unit
		fs.push(f)
	}
	last := seen[len(seen)-1]
	r.counts[last.Result] += extra
	r.last = &last
	fs.units[unit] = r
}

// amend completes a unit's last failure, when it is of a's result and has
// no code yet, with how its process ended (a timeout's SIGTERM); the ring
// entry is completed too.
func (fs *failures) amend(unit string, a Failure) {
	old := fs.units[unit]
	if old == nil || old.last == nil || old.last.Code != "" || old.last.Result != a.Result {
		return
	}
	last := *old.last
	last.Code, last.Status, last.Signal = a.Code, a.Status, a.Signal
	fs.units[unit] = &failureRecord{last: &last, counts: old.counts}
	for i := range fs.recent {
		if r := &fs.recent[i]; r.Unit == unit && r.At.Equal(last.At) && r.Code == "" {
			r.Code, r.Status, r.Signal = a.Code, a.Status, a.Signal
		}
	}
}

// found records a failure the unit's properties show, when the watcher has
// none for it yet: a failure older than the watcher, not counted.
func (fs *failures) found(unit string, f Failure) {
	if _, ok := fs.units[unit]; ok {
		return
	}
	if fs.units == nil {
		fs.units = map[string]*failureRecord{}
	}
	fs.units[unit] = &failureRecord{last: &f, counts: FailureCounts{}}
}

func (fs *failures) push(f Failure) {
	if len(fs.recent) < RecentFailuresKept {
		fs.recent = append(fs.recent, f)
		return
	}
	fs.recent[fs.next] = f
	fs.next = (fs.next + 1) % RecentFailuresKept
}

// latest returns the ring's failures, newest first.
func (fs *failures) latest() []Failure {
	out := make([]Failure, 0, len(fs.recent))
	n := len(fs.recent)
	for i := range n {
		out = append(out, fs.recent[(fs.next+n-1-i)%n])
	}
	return out
}

// prune drops the records of units no longer loaded once there are more
// than maxFailureRecords.
func (fs *failures) prune(loaded func(string) bool) {
	if len(fs.units) <= maxFailureRecords {
		return
	}
	for n := range fs.units {
		if !loaded(n) {
			delete(fs.units, n)
		}
	}
}
