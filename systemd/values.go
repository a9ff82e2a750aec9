package systemd

// unitValues holds the properties the cache keeps that a PropertiesChanged
// signal carried, decoded straight from the message. systemd sends, on
// every change of a unit, each interface's properties that are marked to
// emit their values (org.freedesktop.systemd1(5): "emits-change"); the ones
// read here all are, so a change costs no property read.
type unitValues struct {
	// set holds the values of all signals merged in; last those of the
	// latest signal alone.
	set, last valueSet

	activeState, subState, loadState string
	stateChange                      uint64
	times                            UnitTimes

	nRestarts      uint32
	result         string
	execMainStatus int32
	execMainCode   int32
	mainPID        uint32

	lastTrigger, nextRealtime, nextMonotonic uint64
}

type valueSet uint32

const (
	vActiveState valueSet = 1 << iota
	vSubState
	vLoadState
	vStateChange
	vInactiveExit
	vActiveEnter
	vActiveExit
	vInactiveEnter
	vNRestarts
	vResult
	vExecMainStatus
	vMainPID
	vExecMainCode
	vLastTrigger
	vNextRealtime
	vNextMonotonic
)

// The groups of values, one per interface, and their bits.
const (
	groupUnit = iota
	groupService
	groupTimer
	groups
)

var groupBits = [groups]valueSet{
	groupUnit:    vActiveState | vSubState | vLoadState | vStateChange | vInactiveExit | vActiveEnter | vActiveExit | vInactiveEnter,
	groupService: vNRestarts | vResult | vExecMainStatus | vExecMainCode | vMainPID,
	groupTimer:   vLastTrigger | vNextRealtime | vNextMonotonic,
}

// groupOf is the group of an interface's values, -1 for one not kept.
func groupOf(iface []byte) int {
	switch string(iface) {
	case unitIface:
		return groupUnit
	case serviceIface:
		return groupService
	case timerIface:
		return groupTimer
	}
	return -1
}

// A tracked property: its interface, name, D-Bus type and bit.
type trackedProp struct {
	iface string
	typ   byte
	bit   valueSet
}

var trackedProps = map[string]trackedProp{
	"ActiveState":                     {unitIface, 's', vActiveState},
	"SubState":                        {unitIface, 's', vSubState},
	"LoadState":                       {unitIface, 's', vLoadState},
	"StateChangeTimestamp":            {unitIface, 't', vStateChange},
	"InactiveExitTimestampMonotonic":  {unitIface, 't', vInactiveExit},
	"ActiveEnterTimestampMonotonic":   {unitIface, 't', vActiveEnter},
	"ActiveExitTimestampMonotonic":    {unitIface, 't', vActiveExit},
	"InactiveEnterTimestampMonotonic": {unitIface, 't', vInactiveEnter},
	"NRestarts":                       {serviceIface, 'u', vNRestarts},
	"Result":                          {serviceIface, 's', vResult},
	"ExecMainStatus":                  {serviceIface, 'i', vExecMainStatus},
	"MainPID":                         {serviceIface, 'u', vMainPID},
	"ExecMainCode":                    {serviceIface, 'i', vExecMainCode},
	"LastTriggerUSec":                 {timerIface, 't', vLastTrigger},
	"NextElapseUSecRealtime":          {timerIface, 't', vNextRealtime},
	"NextElapseUSecMonotonic":         {timerIface, 't', vNextMonotonic},
}

// cachedProps are the other properties the cache holds, which systemd
// does not send with a change (they move only with a daemon-reload, which
// resyncs): if a signal invalidates or sends one, the unit is read again.
var cachedProps = map[string]bool{
	"FragmentPath": true, "SourcePath": true, "After": true, "Description": true,
	"UnitFileState": true, "Restart": true,
}

// parse merges the body of a PropertiesChanged signal (signature
// sa{sv}as, d positioned at its start) into v, and returns the group of the
// interface it was about (-1: none kept). ok is false when the unit must
// be read again instead: the body is malformed, a property the cache holds
// came with another type, or was invalidated.
func (v *unitValues) parse(d *decoder) (group int, ok bool) {
	iface := d.str()
	group = groupOf(iface)
	ok = true
	v.last = 0
	n := d.u32()
	d.align(8)
	end := d.pos + int(n)
	if d.err != nil || end > len(d.b) {
		return group, false
	}
	for d.pos < end && d.err == nil {
		d.align(8)
		key := d.str()
		sig := d.signature()
		tp, tracked := trackedProps[string(key)]
		switch {
		case d.err != nil:
		case tracked && tp.iface == string(iface):
			if len(sig) != 1 || sig[0] != tp.typ {
				ok = false
				d.skip(sig, 0)
				continue
			}
			v.decode(d, tp)
		case cachedProps[string(key)]:
			ok = false
			d.skip(sig, 0)
		default:
			d.skip(sig, 0)
		}
	}
	if d.pos != end {
		return group, false
	}
	// The invalidated properties, names only.
	n = d.u32()
	end = d.pos + int(n)
	for d.pos < end && d.err == nil {
		k := d.str()
		if _, tracked := trackedProps[string(k)]; tracked || cachedProps[string(k)] {
			ok = false
		}
	}
	return group, ok && d.err == nil && d.pos == len(d.b)
}

func (v *unitValues) decode(d *decoder, tp trackedProp) {
	v.set |= tp.bit
	v.last |= tp.bit
	switch tp.bit {
	case vActiveState:
		v.activeState = internState(d.str())
	case vSubState:
		v.subState = internState(d.str())
	case vLoadState:
		v.loadState = internState(d.str())
	case vResult:
		v.result = internState(d.str())
	case vStateChange:
		v.stateChange = d.u64()
	case vInactiveExit:
		v.times.InactiveExitUSec = d.u64()
	case vActiveEnter:
		v.times.ActiveEnterUSec = d.u64()
	case vActiveExit:
		v.times.ActiveExitUSec = d.u64()
	case vInactiveEnter:
		v.times.InactiveEnterUSec = d.u64()
	case vNRestarts:
		v.nRestarts = d.u32()
	case vExecMainStatus:
		v.execMainStatus = int32(d.u32())
	case vMainPID:
		v.mainPID = d.u32()
	case vExecMainCode:
		v.execMainCode = int32(d.u32())
	case vLastTrigger:
		v.lastTrigger = d.u64()
	case vNextRealtime:
		v.nextRealtime = d.u64()
	case vNextMonotonic:
		v.nextMonotonic = d.u64()
	}
}

// apply sets the values v holds, of the groups in mask, on u.
func (v *unitValues) apply(u *Unit, mask valueSet) {
	set := func(b valueSet) bool { return v.set&mask&b != 0 }
	if set(vActiveState) {
		u.ActiveState = v.activeState
	}
	if set(vSubState) {
		u.SubState = v.subState
	}
	if set(vLoadState) {
		u.LoadState = v.loadState
	}
	if set(vStateChange) {
		u.StateChangeUSec = v.stateChange
	}
	if set(vInactiveExit) {
		u.Times.InactiveExitUSec = v.times.InactiveExitUSec
	}
	if set(vActiveEnter) {
		u.Times.ActiveEnterUSec = v.times.ActiveEnterUSec
	}
	if set(vActiveExit) {
		u.Times.ActiveExitUSec = v.times.ActiveExitUSec
	}
	if set(vInactiveEnter) {
		u.Times.InactiveEnterUSec = v.times.InactiveEnterUSec
	}
	if s := u.Service; s != nil && v.set&mask&groupBits[groupService] != 0 {
		c := *s // snapshots share the old one
		if set(vNRestarts) {
			c.NRestarts = v.nRestarts
		}
		if set(vResult) {
			c.Result = v.result
		}
		if set(vExecMainStatus) {
			c.ExecMainStatus = v.execMainStatus
		}
		if set(vMainPID) {
			c.MainPID = v.mainPID
		}
		if set(vExecMainCode) {
			c.ExecMainCode = sigchldCode(v.execMainCode)
		}
		u.Service = &c
	}
	if t := u.Timer; t != nil && v.set&mask&groupBits[groupTimer] != 0 {
		c := *t
		if set(vLastTrigger) {
			c.LastTriggerUSec = v.lastTrigger
		}
		if set(vNextRealtime) {
			c.NextElapseRealtimeUSec = v.nextRealtime
		}
		if set(vNextMonotonic) {
			c.NextElapseMonotonicUSec = v.nextMonotonic
		}
		u.Timer = &c
	}
}

// knownStates are the state and result names systemd uses, kept as one
// string each: a signal's value is looked up here without allocating.
var knownStates = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		// ActiveState
		"active", "reloading", "inactive", "failed", "activating", "deactivating", "maintenance",
		// LoadState
		"stub", "loaded", "not-found", "bad-setting", "error", "merged", "masked",
		// SubState, all unit types
		"dead", "condition", "start-pre", "start", "start-post", "running", "exited", "reload",
		"stop", "stop-watchdog", "stop-sigterm", "stop-sigkill", "stop-post", "final-watchdog",
		"final-sigterm", "final-sigkill", "auto-restart", "cleaning", "waiting", "elapsed",
		"listening", "mounted", "mounting", "unmounting", "remounting", "plugged", "tentative",
		"abandoned", "start-chown", "stop-pre", "activating-done", "deactivating-sigterm",
		"deactivating-sigkill", "mounting-done", "remounting-sigterm", "remounting-sigkill",
		"unmounting-sigterm", "unmounting-sigkill", "start-socket-chown", "stop-pre-sigterm", "stop-pre-sigkill",
		// Result
		"success", "resources", "protocol", "timeout", "exit-code", "signal", "core-dump",
		"watchdog", "start-limit-hit", "oom-kill", "exec-condition", "skip-condition", "trigger-limit-hit",
		"service-start-limit-hit", "frozen", "freezing", "thawing",
	} {
		m[s] = s
	}
	return m
}()

func internState(b []byte) string {
	if s, ok := knownStates[string(b)]; ok {
		return s
	}
	return string(b)
}
