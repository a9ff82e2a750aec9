package systemd_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bootinfo/bootinfo/systemd"
)

// A Watcher runs in the background; readers take snapshots, which cost no
// D-Bus call, and fall back to the last good one while the manager is away.
func ExampleWatcher() {
	w := systemd.New(systemd.Options{
		Scope:   systemd.ScopeSystem, // /run/systemd/private as root, else the system bus
		Timeout: 2 * time.Second,
		Exclude: `.+\.(automount|device|mount|scope|slice)`,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)

	s, err := w.Snapshot()
	if errors.Is(err, systemd.ErrDisconnected) {
		if last := w.LastGood(); last != nil {
			fmt.Println("stale by", last.Age(time.Now()))
		}
		return
	}
	if err != nil {
		return // not synced yet
	}
	fmt.Println(s.Manager.SystemState, s.Timeline.Text)
	for _, u := range s.Units {
		if u.Service != nil {
			fmt.Println(u.Name, u.ActiveState, u.Service.NRestarts)
		}
	}

	d, err := w.Detail(ctx, "sshd.service")
	if errors.Is(err, systemd.ErrUnitNotFound) {
		return
	}
	if err == nil {
		fmt.Println(d.FragmentPath, d.ExecStart)
	}
}
