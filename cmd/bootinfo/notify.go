package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/coreos/go-systemd/v22/daemon"
)

// notifier speaks systemd's service notification protocol (sd_notify(3))
// for serve, so that a Type=notify unit becomes active only once the agent
// has something to serve, and so that a watchdog can restart an agent that
// stopped making progress. Without $NOTIFY_SOCKET (not started by systemd,
// or by a unit of another type) it sends nothing and starts nothing.
type notifier struct {
	logger  *slog.Logger
	enabled bool
	// watchdog is $WATCHDOG_USEC as a duration when this process is the
	// one systemd watches, else 0.
	watchdog time.Duration
	warned   atomic.Bool
}

func newNotifier(logger *slog.Logger) *notifier {
	n := &notifier{logger: logger}
	// SdNotify dials $NOTIFY_SOCKET per message; an unset variable is not
	// an error, so whether it is set decides everything else.
	n.enabled = os.Getenv("NOTIFY_SOCKET") != ""
	if !n.enabled {
		return n
	}
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		logger.Warn("ignoring the service manager's watchdog settings", "err", err)
	}
	n.watchdog = d
	return n
}

// notify sends state. A failure is logged once at warn level and after
// that at debug level: a watchdog that cannot be reached would otherwise
// log twice a watchdog interval.
func (n *notifier) notify(state string) {
	if !n.enabled {
		return
	}
	if _, err := daemon.SdNotify(false, state); err != nil {
		level := slog.LevelDebug
		if !n.warned.Swap(true) {
			level = slog.LevelWarn
		}
		n.logger.Log(context.Background(), level, "cannot notify the service manager", "state", strings.ReplaceAll(state, "\n", " "), "err", err)
	}
}

// listening returns a BaseContext for the HTTP server and a channel that
// is closed the first time the server serves a listener. net/http calls
// BaseContext as Serve starts, and exporter-toolkit opens every
// --web.listen-address before serving any, so by then all are bound.
func listening() (func(net.Listener) context.Context, <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return func(net.Listener) context.Context {
		once.Do(func() { close(ch) })
		return context.Background()
	}, ch
}

// ready sends READY=1 once the first collection is in and the server
// listens: the moment a Type=notify unit becomes active, and what units
// ordered after bootinfo wait for. It returns without a word when ctx ends
// first.
func (n *notifier) ready(ctx context.Context, set *collectors.Set, bound time.Duration, serving <-chan struct{}) {
	if !n.enabled {
		return
	}
	n.notify("STATUS=collecting for the first time")
	outs := firstCollection(ctx, set, bound)
	select {
	case <-serving:
	case <-ctx.Done():
		return
	}
	if ctx.Err() != nil {
		return
	}
	status := collectionStatus(outs)
	n.logger.Info("ready: first collection done", "status", status)
	n.notify(daemon.SdNotifyReady + "\nSTATUS=" + status)
}

// firstCollection gathers every collector until each has answered, within
// bound (--collector.timeout: no collector is waited for longer than a
// scrape would wait for it). A collector that fails counts as answered,
// except a systemd collector whose watcher has not completed its first
// sync yet: it is asked again until it has, or until bound, because its
// first answer, from a manager that is still being read, is no answer.
func firstCollection(ctx context.Context, set *collectors.Set, bound time.Duration) []collectors.Outcome {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	got := map[string]collectors.Outcome{}
	var pending []string
	pause := 100 * time.Millisecond
	for {
		for _, o := range set.Gather(ctx, pending...) {
			got[o.Name] = o
		}
		pending = pending[:0]
		for name, o := range got {
			if errors.Is(o.Err, systemd.ErrNotSynced) {
				pending = append(pending, name)
			}
		}
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
			pause = min(2*pause, time.Second)
			continue
		}
		break
	}
	outs := make([]collectors.Outcome, 0, len(got))
	for _, name := range set.Names() {
		if o, ok := got[name]; ok {
			outs = append(outs, o)
		}
	}
	return outs
}

// collectionStatus says in one line how the first collection went, for
// STATUS= (systemctl status shows it).
func collectionStatus(outs []collectors.Outcome) string {
	var failed []string
	for _, o := range outs {
		if o.Err != nil {
			failed = append(failed, o.Name)
		}
	}
	s := fmt.Sprintf("serving; first collection: %d of %d collectors answered", len(outs)-len(failed), len(outs))
	if len(failed) > 0 {
		s += " (failed: " + strings.Join(failed, ", ") + ")"
	}
	return s
}

// runWatchdog sends WATCHDOG=1 every half watchdog interval while the
// agent makes progress, until ctx ends. Progress is a collection through
// the Set, the same path a scrape takes, made before every ping and
// bounded by probe: a process that is stopped, starved of CPU, or whose
// collection machinery is deadlocked never gets to the ping, and systemd
// restarts it. A source that hangs is not a wedged agent: the Set answers
// for it at the deadline (and keeps serving the others), so the probe
// returns, the ping goes out, and the failure shows in the metrics instead
// of in a restart loop that could not help.
func (n *notifier) runWatchdog(ctx context.Context, set *collectors.Set, timeout time.Duration) {
	if !n.enabled || n.watchdog <= 0 {
		return
	}
	// The probe ends well before the ping after it is due: the gap
	// between two pings is at most interval/2 + interval/4.
	probe := min(timeout, n.watchdog/4)
	n.logger.Info("watchdog enabled", "interval", n.watchdog, "ping_every", n.watchdog/2, "probe_deadline", probe)
	n.watch(ctx, n.watchdog/2, func() {
		pctx, cancel := context.WithTimeout(ctx, probe)
		defer cancel()
		set.Gather(pctx)
	})
}

// watch pings every period once probe has returned.
func (n *notifier) watch(ctx context.Context, period time.Duration, probe func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		probe()
		if ctx.Err() != nil {
			return
		}
		n.notify(daemon.SdNotifyWatchdog)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stopping tells the manager that the agent is shutting down, so that
// systemctl shows it deactivating while it records the shutdown.
func (n *notifier) stopping() {
	n.notify(daemon.SdNotifyStopping + "\nSTATUS=shutting down")
}
