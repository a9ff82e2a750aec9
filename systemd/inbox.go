package systemd

import (
	"sync"
	"sync/atomic"
	"time"
)

// An inbox collects what the manager's signals said, between two refreshes
// of the cache. The connection's reader fills it as each signal arrives (it
// never blocks and never queues a signal); the watcher drains it. Its size
// is bounded by the number of units, not by the number of signals: a
// crash-looping service that sends a hundred signals a second has one
// pending record, holding the latest values they carried.
type inbox struct {
	mu      sync.Mutex
	units   map[string]*pending // by unit object path
	manager bool                // the manager's counters moved
	mgrAll  bool                // the manager's other properties moved
	files   bool                // UnitFilesChanged
	full    bool                // a daemon-reload ended, or too much to track
	gone    bool                // the manager left the bus
	notify  chan struct{}       // one slot: "something is pending"
	// poked says notify was sent since the last drain: the watcher is
	// already awake or has its refresh timer armed, so the signals after
	// the first wake no one.
	poked bool

	// owner is the manager's unique bus name, whose signals are the only
	// ones believed on a bus; bus is false on the private socket, where
	// the peer is the manager itself.
	owner string
	bus   bool

	// seq numbers every message the connection read, in order; a pending
	// record notes the seq of the signals it holds, so a refresh can tell
	// values older than a property read from newer ones.
	seq atomic.Uint64

	signals, ignored atomic.Uint64

	// failedResult holds, by unit object path, the Result of services
	// whose last known Result is not success: a signal whose Result
	// differs from it (success when absent) reports a new failure, and
	// the same failure signalled again at each later state change
	// (stop-post, then auto-restart) is not counted twice.
	failedResult map[string]string
}

// maxPending is the most units an inbox tracks before it gives up and asks
// for a full resync instead: more than any manager loads.
const maxPending = 1 << 16

func newInbox(bus bool) *inbox {
	return &inbox{units: map[string]*pending{}, notify: make(chan struct{}, 1), bus: bus}
}

// pending is what the signals since the last drain said about one unit.
type pending struct {
	// reread asks for the unit's properties: it is new, was removed, or
	// a property the cache holds was invalidated or came in a form the
	// watcher does not read.
	reread bool
	// failures are the failures the signals reported, oldest first, at
	// most maxPendingFailures; extraFailures counts those past it.
	failures      []Failure
	extraFailures uint64
	// amend completes the unit's last failure, reported in an earlier
	// refresh, with how its process ended.
	amend *Failure
	// seq is, for each group of values, the seq of the last signal that
	// set them.
	seq [groups]uint64
	v   unitValues
}

// drained is what a drain took out of the inbox.
type drained struct {
	units                                  map[string]*pending
	manager, managerAll, files, full, gone bool
}

func (d *drained) any() bool {
	return len(d.units) > 0 || d.manager || d.managerAll || d.files || d.full || d.gone
}

// drain empties the inbox.
func (in *inbox) drain() drained {
	in.mu.Lock()
	defer in.mu.Unlock()
	d := drained{units: in.units, manager: in.manager, managerAll: in.mgrAll, files: in.files, full: in.full, gone: in.gone}
	if len(in.units) > 0 {
		in.units = make(map[string]*pending, len(in.units))
	}
	in.manager, in.mgrAll, in.files, in.full, in.gone = false, false, false, false, false
	in.poked = false
	return d
}

func (in *inbox) setOwner(owner string) {
	in.mu.Lock()
	in.owner = owner
	in.mu.Unlock()
}

// poke wakes the watcher, once per drain; called with mu held.
func (in *inbox) poke() {
	if in.poked {
		return
	}
	in.poked = true
	select {
	case in.notify <- struct{}{}:
	default:
	}
}

// unit returns the pending record of the unit at path, creating it; nil
// once the inbox tracks maxPending units (a full resync is then due).
// Called with mu held.
func (in *inbox) unit(path []byte) *pending {
	p := in.units[string(path)]
	if p == nil {
		if len(in.units) >= maxPending {
			in.full = true
			return nil
		}
		p = &pending{}
		in.units[string(path)] = p
	}
	return p
}

// route handles one signal message read from the connection. Nothing of
// the message is kept but the values copied into the pending record.
func (in *inbox) route(m *wireMsg) {
	seq := in.seq.Load()
	in.signals.Add(1)
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.believe(m) {
		in.ignored.Add(1)
		return
	}
	d := decoder{b: m.body, order: m.order}
	switch string(m.member) {
	case "NameOwnerChanged":
		// Only the bus's own signal, about the manager's name.
		if string(m.sig) == "sss" && string(d.str()) == busName {
			d.str()
			if owner := d.str(); d.err == nil && string(owner) != in.owner {
				in.gone = true
			}
		}
	case "PropertiesChanged":
		if string(m.sig) != "sa{sv}as" {
			break
		}
		if string(m.path) == string(managerPath) {
			in.manager = true
			break
		}
		if !isUnitPath(m.path) {
			break
		}
		if p := in.unit(m.path); p != nil {
			g, ok := p.v.parse(&d)
			if g >= 0 {
				p.seq[g] = seq
			}
			p.reread = p.reread || !ok
			if g == groupService && p.v.last&vResult != 0 {
				in.noteResult(m.path, p)
			}
		}
	case "UnitNew", "UnitRemoved":
		// Whether the unit is there is asked at refresh time.
		if string(m.sig) == "so" {
			d.str()
			if path := d.str(); d.err == nil && isUnitPath(path) {
				if p := in.unit(path); p != nil {
					p.reread = true
				}
				if string(m.member) == "UnitRemoved" {
					// A unit unloaded (a transient one, typically) has
					// no result to repeat.
					delete(in.failedResult, string(path))
				}
			}
		}
	case "JobNew", "JobRemoved":
		// The unit's own signals carry its new state; the job count is
		// the manager's.
		in.manager = true
	case "StartupFinished":
		in.mgrAll = true
	case "UnitFilesChanged":
		in.files = true
	case "Reloading":
		// A daemon-reload or reexec may change anything: resync once it
		// is over (the body is false then).
		if string(m.sig) == "b" && d.u32() == 0 && d.err == nil {
			in.full = true
		}
	default:
		in.ignored.Add(1)
		return
	}
	in.poke()
}

// noteResult records a new failure when a service's signalled Result moved
// away from its last known one to something other than success. Called
// with mu held.
func (in *inbox) noteResult(path []byte, p *pending) {
	prev := in.failedResult[string(path)]
	v := &p.v
	if v.result == "success" || v.result == "" {
		if prev != "" {
			delete(in.failedResult, string(path))
		}
		return
	}
	if v.result == prev {
		// A timeout's Result comes first, how the process it killed
		// ended in a later signal: complete the failure with it.
		if v.last&vExecMainCode != 0 && v.execMainCode != 0 {
			f, _ := failureOf(v.result, sigchldCode(v.execMainCode), v.execMainStatus, v.nRestarts, time.Time{})
			if n := len(p.failures); n > 0 && p.failures[n-1].Code == "" {
				p.failures[n-1].Code, p.failures[n-1].Status, p.failures[n-1].Signal = f.Code, f.Status, f.Signal
			} else if n == 0 {
				p.amend = &f
			}
		}
		return
	}
	if in.failedResult == nil {
		in.failedResult = map[string]string{}
	}
	if len(in.failedResult) < maxPending {
		in.failedResult[string(path)] = v.result
	}
	code := ""
	if v.last&vExecMainCode != 0 {
		code = sigchldCode(v.execMainCode)
	}
	f, _ := failureOf(v.result, code, v.execMainStatus, v.nRestarts, time.Now())
	f.Observed = true
	if len(p.failures) < maxPendingFailures {
		p.failures = append(p.failures, f)
	} else {
		p.extraFailures++
	}
}

// knowResults seeds failedResult with the Results the watcher read: a
// service already failed when first read is not a new failure when its
// next signal repeats the result.
func (in *inbox) knowResults(failed map[string]string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for path, r := range failed {
		if _, ok := in.failedResult[path]; ok {
			continue
		}
		if in.failedResult == nil {
			in.failedResult = map[string]string{}
		}
		in.failedResult[path] = r
	}
}

// believe says whether m comes from the manager (or, for NameOwnerChanged,
// from the bus itself) on a path and interface the manager signals on.
func (in *inbox) believe(m *wireMsg) bool {
	if string(m.member) == "NameOwnerChanged" {
		return in.bus && string(m.sender) == "org.freedesktop.DBus" &&
			string(m.path) == "/org/freedesktop/DBus" && string(m.iface) == "org.freedesktop.DBus"
	}
	if in.bus && (in.owner == "" || string(m.sender) != in.owner) {
		return false
	}
	switch string(m.iface) {
	case managerIface:
		return string(m.path) == string(managerPath)
	case propsIface:
		return true
	}
	return false
}

// isUnitPath says whether p is a unit's object path, without allocating.
func isUnitPath(p []byte) bool {
	if len(p) <= len(unitPathPrefix) || string(p[:len(unitPathPrefix)]) != unitPathPrefix {
		return false
	}
	for _, c := range p[len(unitPathPrefix):] {
		if c == '/' {
			return false
		}
	}
	return true
}
