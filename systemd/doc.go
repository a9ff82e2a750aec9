// Package systemd reads the state of a systemd service manager over its
// D-Bus API (org.freedesktop.systemd1, see org.freedesktop.systemd1(5)) and
// derives what systemd-analyze(1) reports from it: the boot timeline
// (`systemd-analyze time`), per-unit activation times (`blame`) and the
// critical chain to the default target (`critical-chain`).
//
// A Watcher keeps one long-lived connection to the manager (its private
// socket /run/systemd/private, a message bus, or any unix D-Bus address),
// keeps a cache current from the manager's signals (UnitNew, UnitRemoved,
// JobNew, JobRemoved, PropertiesChanged, Reloading, UnitFilesChanged) with
// a periodic resync as a safety net, and publishes immutable Snapshots:
// reading one makes no D-Bus call. On connecting it publishes the units'
// states from one ListUnits first, then their detail, then the unit file
// list (Snapshot.DetailComplete says when all is there).
//
// Signals never reach godbus, which carries the calls: the connection's
// reader frames each message itself (wire.go), passes replies on, and
// decodes signals into a bounded inbox that holds, per unit, the values the
// last PropertiesChanged carried. A refresh applies them without a
// property read, at most once per Options.Coalesce, so a crash-looping
// service costs a parse per signal and nothing queues behind a slow sync. Every call carries a deadline, so a hung (SIGSTOPped)
// manager never blocks a caller past it, and the connection is re-established
// with capped, jittered backoff when the manager or the bus goes away.
//
// QueuedShutdown, read-only and under a deadline, asks a manager which
// shutdown job it has queued, over a short-lived connection of its own.
//
// The analysis (timeline, blame, critical chain, timespan formatting, unit
// filtering, summaries) lives in pure functions that take plain values, so
// tests feed them directly. They follow systemd 252's src/analyze
// (analyze-time-data.c, analyze-critical-chain.c, analyze-blame.c) and
// format_timespan() in src/basic/time-util.c.
package systemd
