package systemd

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// Detail reads one unit the way `systemctl show` does, within the watcher's
// call timeout (or ctx's deadline, if sooner), over a connection of its own
// (see detailconn.go), so that however large a unit's detail the watcher
// keeps its own pace. Like systemctl it loads the unit if it has a file but
// is not loaded. It returns an error wrapping ErrUnitNotFound for a unit
// that does not exist, ErrDisconnected when the watcher has no connection
// or the manager does not answer, and an error naming the cap when the
// manager's reply is larger than Detail accepts.
func (w *Watcher) Detail(ctx context.Context, name string) (*UnitDetail, error) {
	d, err := w.detail(ctx, name)
	if err != nil && !errors.Is(err, ErrUnitNotFound) && !errors.Is(err, ErrDisconnected) && dbusErrorName(err) == "" {
		// No reply at all: the manager is gone or not answering.
		err = fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return d, err
}

// maxDetails is how many Detail calls run at once; more wait their turn.
// Each reads every property of a unit, up to maxDetailReply bytes, which
// the manager takes time to compute: this bounds both Detail's memory and
// the manager's work for it.
const maxDetails = 2

func (w *Watcher) detail(ctx context.Context, name string) (*UnitDetail, error) {
	// Detail answers for the manager the watcher follows: not while the
	// watcher has lost it.
	if w.conn.Load() == nil {
		return nil, fmt.Errorf("systemd: unit %s: %w", name, ErrDisconnected)
	}
	ctx, cancel := w.callCtx(ctx)
	defer cancel()
	select {
	case w.details <- struct{}{}:
		defer func() { <-w.details }()
	case <-ctx.Done():
		return nil, fmt.Errorf("systemd: unit %s: waiting for other detail requests: %w", name, ctx.Err())
	}
	c, done, err := w.detailConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("systemd: unit %s: %w", name, err)
	}
	defer done()
	var p dbus.ObjectPath
	if err := c.manager(ctx, "LoadUnit", &p, name); err != nil {
		switch dbusErrorName(err) {
		case errNoSuchUnit, errInvalidArgs:
			return nil, fmt.Errorf("systemd: unit %s: %w: %w", name, ErrUnitNotFound, err)
		}
		return nil, err
	}
	up, err := c.getAll(ctx, p, unitIface)
	if err != nil {
		return nil, err
	}
	pr := props(up)
	id := pr.str("Id")
	if id == "" {
		id = name
	}
	if pr.str("LoadState") == "not-found" && !w.listed(id) {
		// LoadUnit made a stub for a name nothing else refers to; a
		// not-found unit the manager holds (another unit wants it) is
		// shown, as systemctl shows it.
		return nil, fmt.Errorf("systemd: unit %s: %w", name, ErrUnitNotFound)
	}
	d := &UnitDetail{
		Unit:              unitFromProps(id, pr),
		Names:             pr.strs("Names"),
		Requires:          pr.strs("Requires"),
		Wants:             pr.strs("Wants"),
		After:             pr.strs("After"),
		Before:            pr.strs("Before"),
		WantedBy:          pr.strs("WantedBy"),
		RequiredBy:        pr.strs("RequiredBy"),
		InactiveExitUSec:  pr.u64("InactiveExitTimestamp"),
		ActiveEnterUSec:   pr.u64("ActiveEnterTimestamp"),
		ActiveExitUSec:    pr.u64("ActiveExitTimestamp"),
		InactiveEnterUSec: pr.u64("InactiveEnterTimestamp"),

		DropInPaths:            pr.strs("DropInPaths"),
		StartLimitBurst:        pr.u32("StartLimitBurst"),
		StartLimitIntervalUSec: pr.u64("StartLimitIntervalUSec"),
	}
	if d.DropInPaths == nil {
		d.DropInPaths = []string{}
	}
	d.UnitFileState = pr.str("UnitFileState")
	// Failures are the watcher's: the manager forgot them at the restart.
	if s := w.snap.Load(); s != nil {
		if u, ok := s.Unit(id); ok {
			d.LastFailure, d.FailureCounts = u.LastFailure, u.FailureCounts
			if u.FailureCounts != nil {
				d.StartLimitHits = (*u.FailureCounts)["start-limit-hit"]
			}
		}
	}
	switch unitType(id) {
	case "service":
		sp, err := c.getAll(ctx, p, serviceIface)
		if err != nil {
			return nil, err
		}
		d.Service = serviceFromProps(props(sp))
		d.ExecStart = props(sp).execCommands("ExecStart")
		d.ServiceType, d.RestartUSec = props(sp).str("Type"), props(sp).u64("RestartUSec")
	case "timer":
		tp, err := c.getAll(ctx, p, timerIface)
		if err != nil {
			return nil, err
		}
		d.Timer = timerFromProps(props(tp))
	}
	return d, nil
}

// listed says whether the last snapshot lists the unit (before filtering
// it does not see, so an excluded unit counts as not listed).
func (w *Watcher) listed(name string) bool {
	s := w.snap.Load()
	if s == nil {
		return false
	}
	_, ok := s.Unit(name)
	return ok
}
