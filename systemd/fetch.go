package systemd

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// pipelineDepth is how many property reads are in flight at once: enough to
// hide the round trips (32 and 100 took the same time in the lab), and
// below the 128 replies a message bus lets one connection await
// (dbus-daemon's max_replies_per_connection).
const pipelineDepth = 64

// The properties read per unit, one Get each. GetAll would be one call per
// interface, but it makes systemd compute every property: UnitFileState
// (resolving the unit's install state on disk, afresh after every
// daemon-reload) and, for services, cgroup accounting. The states and
// description come with ListUnits.
var (
	unitProps = []string{"FragmentPath", "StateChangeTimestamp",
		"InactiveExitTimestampMonotonic", "ActiveEnterTimestampMonotonic",
		"ActiveExitTimestampMonotonic", "InactiveEnterTimestampMonotonic", "After"}
	// SourcePath (which says a unit came from a SysV script, of which the
	// generator makes services only) is read of the unit interface too.
	serviceProps = []string{"NRestarts", "Result", "ExecMainStatus", "ExecMainCode", "MainPID", "Restart"}
	timerProps   = []string{"LastTriggerUSec", "NextElapseUSecRealtime", "NextElapseUSecMonotonic"}
)

// propTypes are the D-Bus types of the properties read
// (org.freedesktop.systemd1(5)).
var propTypes = map[string]string{
	"Names": "as", "After": "as", "NeedDaemonReload": "b", "FragmentPath": "s", "SourcePath": "s", "UnitFileState": "s",
	"StateChangeTimestamp": "t", "InactiveExitTimestampMonotonic": "t", "ActiveEnterTimestampMonotonic": "t",
	"ActiveExitTimestampMonotonic": "t", "InactiveEnterTimestampMonotonic": "t",
	"NRestarts": "u", "Result": "s", "ExecMainStatus": "i", "ExecMainCode": "i", "MainPID": "u", "Restart": "s",
	"LastTriggerUSec": "t", "NextElapseUSecRealtime": "t", "NextElapseUSecMonotonic": "t",
}

// errLimitsExceeded is what a bus answers a call past its limits.
const errLimitsExceeded = "org.freedesktop.DBus.Error.LimitsExceeded"

// errUnknownProp is what a manager too old for a property answers.
const errUnknownProp = "org.freedesktop.DBus.Error.UnknownProperty"

type propReq struct {
	path  dbus.ObjectPath
	iface string
	prop  string
	e     *fetched
}

// fetched collects one unit's property values by interface, and the
// window of messages (inbox seq) its reads spanned.
type fetched struct {
	row      unitRow
	props    map[string]props
	from, to uint64
	err      string // the first of this unit's reads that failed, and why
}

func (f *fetched) fault(why string) {
	if f.err == "" {
		f.err = why
	}
}

// fetchChunk is how many units fetchUnits reads at a time: their
// properties arrive as a map of variants per unit, which is turned into an
// entry once the chunk is complete, so the transient memory of a sync is
// bounded by the chunk, not by the number of units.
const fetchChunk = 256

// fetchUnits reads the properties of the units in rows, fetchChunk units
// at a time, through pipelined calls, and hands each chunk's entries to
// sink. A unit that vanished meanwhile is left out, a property the manager
// does not know reads as zero; any other failure (including a deadline)
// fails the whole fetch.
func (w *Watcher) fetchUnits(ctx context.Context, c *conn, rows []unitRow, sink func([]*entry)) error {
	for len(rows) > 0 {
		n := min(len(rows), fetchChunk)
		entries, err := w.fetchBatch(ctx, c, rows[:n])
		if err != nil {
			return err
		}
		sink(entries)
		rows = rows[n:]
	}
	return nil
}

// fetchBatch reads the properties of one chunk of rows, with up to
// pipelineDepth calls in flight, and fails when no reply arrives for
// Options.Timeout.
func (w *Watcher) fetchBatch(ctx context.Context, c *conn, rows []unitRow) ([]*entry, error) {
	all := make([]*fetched, 0, len(rows))
	reqs := make([]propReq, 0, len(rows)*len(unitProps))
	for _, r := range rows {
		f := &fetched{row: r, props: map[string]props{unitIface: {
			"Description": dbus.MakeVariant(r.Description),
			"LoadState":   dbus.MakeVariant(r.LoadState),
			"ActiveState": dbus.MakeVariant(r.ActiveState),
			"SubState":    dbus.MakeVariant(r.SubState),
		}}}
		all = append(all, f)
		add := func(iface string, names []string) {
			if f.props[iface] == nil {
				f.props[iface] = props{}
			}
			for _, p := range names {
				reqs = append(reqs, propReq{r.Path, iface, p, f})
			}
		}
		add(unitIface, unitProps)
		switch unitType(r.Name) {
		case "service":
			add(unitIface, []string{"SourcePath"})
			add(serviceIface, serviceProps)
		case "timer":
			add(timerIface, timerProps)
		}
	}
	gone, err := w.readProps(ctx, c, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]*entry, 0, len(all))
	for _, f := range all {
		if gone[f] {
			continue
		}
		up := f.props[unitIface]
		e := &entry{unit: unitFromProps(f.row.Name, up), after: up.strs("After"),
			path: f.row.Path, detail: true, readFrom: f.from, readTo: f.to}
		if f.err != "" {
			e.unit.DetailError = f.err
			w.unitFaults.Add(1)
		}
		if sp, ok := f.props[serviceIface]; ok {
			e.unit.Service = serviceFromProps(sp)
		}
		if tp, ok := f.props[timerIface]; ok {
			e.unit.Timer = timerFromProps(tp)
		}
		out = append(out, e)
	}
	return out, nil
}

// readProps reads reqs, with up to pipelineDepth calls in flight, into
// their fetched records, and returns those whose unit vanished meanwhile.
// It fails when no reply arrives for Options.Timeout.
func (w *Watcher) readProps(ctx context.Context, c *conn, reqs []propReq) (map[*fetched]bool, error) {
	w.propReads.Add(uint64(len(reqs)))
	// The batch may take as long as the manager keeps answering; a
	// watchdog fails it when no reply came for Options.Timeout (a frozen
	// manager, or a call it never answers).
	bctx, cancelBatch := context.WithCancel(ctx)
	defer cancelBatch()
	done := make(chan error, 1)
	gone := map[*fetched]bool{}
	progress := make(chan struct{}, 1)
	go func() {
		// Replies come on the connection's reader, which must never wait:
		// the channel holds twice as many as can be in flight (a reply to
		// a call given up on may still come), and a send that would block
		// is dropped (its call then times out).
		type result struct {
			serial uint32
			rawReply
		}
		type flight struct {
			req  propReq
			sent time.Time
		}
		ch := make(chan result, 2*pipelineDepth)
		flights := make(map[uint32]flight, pipelineDepth)
		var (
			retry     []propReq // refused for too many calls in flight
			order     []uint32  // serials, in the order sent
			lastReply time.Time
			firstErr  error
		)
		handle := func(r result) {
			fl, ok := flights[r.serial]
			if !ok {
				return // given up on
			}
			delete(flights, r.serial)
			lastReply = time.Now()
			req := fl.req
			req.e.to = c.in.seq.Load()
			select {
			case progress <- struct{}{}:
			default:
			}
			switch {
			case r.err != nil:
				if firstErr == nil {
					firstErr = fmt.Errorf("systemd: %s of %s: %w", req.prop, req.e.row.Name, r.err)
				}
			case r.errName == errUnknownObj, r.errName == errNoSuchUnit:
				gone[req.e] = true
			case r.errName == errUnknownProp:
			case r.errName == errLimitsExceeded && c.lowerDepth(len(flights)):
				// A bus allows fewer replies awaited per connection than
				// pipelineDepth (dbus-daemon's max_replies_per_connection):
				// fewer calls in flight from now on, and this one again.
				retry = append(retry, req)
			case r.errName != "":
				// This unit's fault (access denied, ...): say so and
				// serve the others.
				req.e.fault(fmt.Sprintf("%s: %s", req.prop, r.errName))
			default:
				if want := propTypes[req.prop]; want != "" && r.value.Signature().String() != want {
					// Read as zero it would be a wrong answer.
					req.e.fault(fmt.Sprintf("%s: type %q, want %q", req.prop, r.value.Signature().String(), want))
					break
				}
				req.e.props[req.iface][req.prop] = r.value
			}
		}
		var timer *time.Timer
		defer func() {
			if timer != nil {
				timer.Stop()
			}
		}()
		// wait handles one reply, or gives up on the oldest call when the
		// manager has answered later ones but not it for Options.Timeout.
		// When it answers nothing at all, the watchdog below ends the batch.
		wait := func() {
			for len(order) > 0 {
				if _, ok := flights[order[0]]; ok {
					break
				}
				order = order[1:]
			}
			if len(order) == 0 {
				handle(<-ch)
				return
			}
			head := flights[order[0]]
			// One timer for the batch, reset for each wait: a timer per
			// reply was a fifth of a first sync's garbage.
			if timer == nil {
				timer = time.NewTimer(time.Until(head.sent.Add(w.opts.Timeout)))
			} else {
				timer.Reset(time.Until(head.sent.Add(w.opts.Timeout)))
			}
			select {
			case r := <-ch:
				handle(r)
			case <-timer.C:
				if !lastReply.After(head.sent) {
					handle(<-ch)
					return
				}
				c.wc.forget(order[0])
				delete(flights, order[0])
				head.req.e.fault(fmt.Sprintf("%s: no reply within %v", head.req.prop, w.opts.Timeout))
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}
		next := 0
		for firstErr == nil && bctx.Err() == nil {
			if len(flights) >= c.depth() || (next == len(reqs) && len(retry) == 0) {
				if len(flights) == 0 {
					break
				}
				wait()
				continue
			}
			if d := c.wc.pacer.due(time.Now()); d > 0 {
				// The second's budget is spent (see pacer): answers
				// are taken meanwhile, and the watchdog told that the
				// batch is not stuck.
				if len(flights) > 0 {
					wait()
					continue
				}
				t := time.NewTimer(min(d, w.opts.Timeout))
				select {
				case <-t.C:
				case <-bctx.Done():
				}
				t.Stop()
				select {
				case progress <- struct{}{}:
				default:
				}
				continue
			}
			var req propReq
			if len(retry) > 0 {
				req, retry = retry[0], retry[1:]
			} else {
				req, next = reqs[next], next+1
			}
			if req.e.from == 0 {
				req.e.from = c.in.seq.Load()
			}
			serial, err := c.wc.get(req.path, req.iface, req.prop, func(serial uint32, r rawReply) {
				select {
				case ch <- result{serial, r}:
				default:
				}
			})
			if err != nil {
				firstErr = fmt.Errorf("systemd: %s of %s: %w", req.prop, req.e.row.Name, err)
				break
			}
			flights[serial] = flight{req, time.Now()}
			order = append(order, serial)
		}
		for len(flights) > 0 {
			wait()
		}
		if firstErr == nil {
			firstErr = bctx.Err()
		}
		done <- firstErr
	}()
	// Twice the call timeout: a call left unanswered while others are
	// answered is given up on first, as that unit's fault.
	quiet := 2 * w.opts.Timeout
	watchdog := time.NewTimer(quiet)
	defer watchdog.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return nil, err
			}
			return gone, nil
		case <-progress:
			watchdog.Reset(quiet)
		case <-watchdog.C:
			// The goroutine is released when the session closes the
			// connection.
			return nil, fmt.Errorf("systemd: reading unit properties: no reply for %v: %w", quiet, context.DeadlineExceeded)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// syncInstanceStates reads the unit file state of units the unit file list
// cannot tell it for: template instances (an instance is enabled or
// disabled by a link of its own), except one whose template is static
// (then so is the instance), and units whose file is not listed (transient
// units, which no UnitFilesChanged announces). systemd computes the answer from disk
// the first time, up to a few milliseconds each, which is why this comes
// after everything else. With all, every such instance is read again
// (the unit files changed); else only those without a state yet.
func (w *Watcher) syncInstanceStates(ctx context.Context, c *conn, all bool) error {
	var reqs []propReq
	for name, e := range w.c.units {
		if e.unit.FragmentPath == "" || !e.detail || (e.unit.UnitFileState != "" && !all) {
			continue
		}
		if _, own := w.c.files[name]; own {
			continue
		}
		// Not listed under its own name: an instance, or a unit whose file
		// came after the listing (a transient unit, which no
		// UnitFilesChanged announces).
		if t := templateName(name); t != "" {
			if uf, ok := w.c.files[t]; ok && uf.State == "static" {
				continue
			}
		}
		f := &fetched{row: e.row(), props: map[string]props{unitIface: {}}}
		reqs = append(reqs, propReq{e.path, unitIface, "UnitFileState", f})
	}
	for len(reqs) > 0 {
		n := min(len(reqs), fetchChunk)
		gone, err := w.readProps(ctx, c, reqs[:n])
		if err != nil {
			return err
		}
		for _, r := range reqs[:n] {
			e := w.c.units[r.e.row.Name]
			if gone[r.e] || e == nil {
				continue
			}
			ne := *e
			ne.unit.UnitFileState = r.e.props[unitIface].str("UnitFileState")
			w.c.units[r.e.row.Name] = &ne
		}
		reqs = reqs[n:]
	}
	return nil
}
