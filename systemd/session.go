package systemd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// session runs one connection: subscribe, sync, then follow signals. synced
// reports whether it got as far as a full sync.
func (w *Watcher) session(ctx context.Context) (synced bool, err error) {
	life, cancelLife := context.WithCancel(ctx)
	defer cancelLife()
	dctx, cancel := w.callCtx(ctx)
	c, err := dial(dctx, life, w.opts.Address, w.opts.Bus)
	cancel()
	if err != nil {
		return false, err
	}
	defer func() {
		w.conn.CompareAndSwap(c, nil)
		c.close()
	}()

	sigs := make(chan *dbus.Signal, 4096)
	c.c.Signal(sigs)

	cctx, cancel := w.callCtx(ctx)
	err = w.subscribe(cctx, c)
	cancel()
	if err != nil {
		return false, err
	}
	w.conn.Store(c)
	w.sessions.Add(1)
	if err := w.fullSync(ctx, c, true); err != nil {
		return false, err
	}
	w.publish()

	resync := time.NewTicker(w.opts.ResyncInterval)
	defer resync.Stop()
	ping := time.NewTicker(w.opts.PingInterval)
	defer ping.Stop()
	var (
		debounce *time.Timer
		fire     <-chan time.Time
		d        = newDirty()
	)
	defer func() {
		if debounce != nil {
			debounce.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-c.c.Context().Done():
			return true, errors.New("connection closed")
		case s, ok := <-sigs:
			if !ok {
				return true, errors.New("connection closed")
			}
			w.signals.Add(1)
			if err := d.add(s); err != nil {
				return true, err
			}
			if d.pending() && fire == nil {
				debounce = time.NewTimer(w.opts.Debounce)
				fire = debounce.C
			}
		case <-fire:
			fire, debounce = nil, nil
			w.refreshes.Add(1)
			if err := w.refresh(ctx, c, d); err != nil {
				return true, err
			}
			d = newDirty()
			w.publish()
		case <-resync.C:
			if err := w.fullSync(ctx, c, time.Since(w.filesAt) >= w.opts.UnitFilesInterval); err != nil {
				return true, err
			}
			w.publish()
		case <-ping.C:
			before := w.c.mgr
			if err := w.refreshManager(ctx, c); err != nil {
				return true, err
			}
			if w.c.mgr != before {
				w.publish()
			} else {
				w.touch()
			}
		}
	}
}

func (w *Watcher) subscribe(ctx context.Context, c *conn) error {
	if c.bus {
		// On a bus, signals reach us only through match rules; follow the
		// manager's name too, since the bus outlives a manager restart.
		if err := c.c.AddMatchSignalContext(ctx, dbus.WithMatchSender(busName)); err != nil {
			return fmt.Errorf("systemd: add match: %w", err)
		}
		if err := c.c.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.DBus"),
			dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, busName)); err != nil {
			return fmt.Errorf("systemd: add match: %w", err)
		}
	}
	return c.manager(ctx, "Subscribe", nil)
}
