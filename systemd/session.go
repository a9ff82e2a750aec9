package systemd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

var errManagerGone = errors.New("manager left the bus")

// session runs one connection: subscribe, sync, then follow signals. synced
// reports whether it got as far as the units' states.
func (w *Watcher) session(ctx context.Context) (synced bool, err error) {
	life, cancelLife := context.WithCancel(ctx)
	defer cancelLife()
	dctx, cancel := w.callCtx(ctx)
	c, err := dial(dctx, life, w.opts.Address, w.opts.Bus)
	cancel()
	if err != nil {
		return false, err
	}
	c.wc.pacer = w.pacer
	defer func() {
		w.conn.CompareAndSwap(c, nil)
		c.close()
		w.signals.Add(c.in.signals.Load())
		w.ignored.Add(c.in.ignored.Load())
		w.in.CompareAndSwap(c.in, nil)
	}()

	cctx, cancel := w.callCtx(ctx)
	err = w.subscribe(cctx, c)
	cancel()
	if err != nil {
		return false, err
	}
	w.conn.Store(c)
	w.in.Store(c.in)
	w.sessions.Add(1)
	gen := w.gen
	if err := w.fullSync(ctx, c, true); err != nil {
		// Synced if it got as far as publishing the units' states.
		return w.gen != gen, err
	}

	resync := time.NewTicker(w.opts.ResyncInterval)
	defer resync.Stop()
	ping := time.NewTicker(w.opts.PingInterval)
	defer ping.Stop()
	var (
		timer       *time.Timer
		fire        <-chan time.Time
		lastRefresh time.Time
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-c.c.Context().Done():
			return true, errors.New("connection closed")
		case <-c.in.notify:
			// Coalesce: a first change shows after Debounce, and a unit
			// that keeps changing is looked at no more than once per
			// Coalesce, however many signals it sends.
			if fire == nil {
				now := time.Now()
				due := max(w.opts.Debounce, w.opts.Coalesce-now.Sub(lastRefresh))
				timer = time.NewTimer(due)
				fire = timer.C
				// The socket is read just before the refresh, so it
				// sees the signals sent until then.
				c.wc.readBefore(now.Add(due))
			}
		case <-fire:
			fire, timer = nil, nil
			lastRefresh = time.Now()
			d := c.in.drain()
			if !d.any() {
				if w.held {
					w.publish()
				}
				continue
			}
			w.refreshes.Add(1)
			changed, err := w.refresh(ctx, c, d)
			if err != nil {
				return true, err
			}
			if changed || w.held {
				// Nothing to rebuild when the signals said nothing new.
				w.publish()
			}
			mgrChanged, err := w.refreshManagerAfter(ctx, c, d)
			if err != nil {
				return true, err
			}
			switch {
			case mgrChanged && len(c.in.notify) > 0:
				// More signals are waiting, so another refresh comes
				// within Coalesce: the manager's change (NJobs, the
				// system state) goes out with it, one snapshot a
				// refresh instead of two through a crash-loop storm.
				w.held = true
			case mgrChanged:
				w.publish()
			case !changed:
				w.touch()
			}
		case <-resync.C:
			if err := w.resync(ctx, c, time.Since(w.filesAt) >= w.opts.UnitFilesInterval); err != nil {
				return true, err
			}
			if _, err := w.checkReloads(ctx, c, true); err != nil {
				return true, err
			}
			w.publish()
		case <-ping.C:
			before := w.c.mgr
			if err := w.refreshCounters(ctx, c); err != nil {
				return true, err
			}
			reloads, err := w.checkReloads(ctx, c, false)
			if err != nil {
				return true, err
			}
			if w.c.mgr != before || w.held || reloads {
				w.publish()
			} else {
				w.touch()
			}
		}
	}
}

func (w *Watcher) subscribe(ctx context.Context, c *conn) error {
	if c.bus {
		// On a bus, signals reach us only through match rules, and only
		// the manager's are believed: learn its unique name. Follow the
		// name too, since the bus outlives a manager restart.
		var owner string
		if err := c.c.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, busName).Store(&owner); err != nil {
			return fmt.Errorf("systemd: the manager is not on the bus: %w", err)
		}
		c.in.setOwner(owner)
		if err := c.c.AddMatchSignalContext(ctx, dbus.WithMatchSender(busName)); err != nil {
			return fmt.Errorf("systemd: add match: %w", err)
		}
		if err := c.c.AddMatchSignalContext(ctx, dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchInterface("org.freedesktop.DBus"),
			dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, busName)); err != nil {
			return fmt.Errorf("systemd: add match: %w", err)
		}
	}
	return c.manager(ctx, "Subscribe", nil)
}
