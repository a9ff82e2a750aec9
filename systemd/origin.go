package systemd

// OriginUSec is the CLOCK_MONOTONIC time (µs) the timeline counts from: 0,
// the kernel's start, for a host's system manager; the manager's own start
// for a user manager or a system manager in a container. Subtracting it
// puts a unit's raw timestamps (UnitTimes) on the timeline, as
// systemd-analyze plot does. It is not part of the JSON encoding: a
// Timeline decoded from JSON reports 0.
func (tl Timeline) OriginUSec() uint64 { return tl.offset }
