package systemd

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
)

// TestLabNeedDaemonReload edits unit files three ways, as people and tools
// do, and each time the unit must show need_daemon_reload as systemctl
// shows NeedDaemonReload, until a daemon-reload clears it: a file renamed
// over the old one (editors, package managers), a drop-in added, and a
// file rewritten in place (caught at the resync).
func TestLabNeedDaemonReload(t *testing.T) {
	l := startLab(t, systemdlab.Options{
		Files: map[string]string{
			"edited.service":  "[Service]\nExecStart=/bin/sleep infinity\n",
			"dropped.service": "[Service]\nExecStart=/bin/sleep infinity\n",
			"inplace.service": "[Service]\nExecStart=/bin/sleep infinity\n",
			"other.service":   "[Service]\nExecStart=/bin/sleep infinity\n",
			"before.service":  "[Service]\nExecStart=/bin/sleep infinity\n",
		},
		Wants: []string{"edited.service", "dropped.service", "inplace.service", "other.service", "before.service"},
	})
	// Edited in place before the watcher starts: the first sync must
	// find it, with no rename or later change to look at.
	before := filepath.Join(l.UnitDir(), "before.service")
	if err := os.WriteFile(before, []byte("[Service]\nExecStart=/bin/sleep 99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(before, time.Now().Add(time.Second), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	w := startWatcher(t, Options{Address: l.PrivateAddress(), PingInterval: 100 * time.Millisecond, ResyncInterval: time.Second})
	names := []string{"edited.service", "dropped.service", "inplace.service", "other.service", "before.service"}
	oracle := func() map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = strings.TrimSpace(systemctl(t, l, "show", "-p", "NeedDaemonReload", "--value", n)) == "yes"
		}
		return m
	}
	mine := func(s *Snapshot) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			u, _ := s.Unit(n)
			m[n] = u.NeedDaemonReload
		}
		return m
	}
	if s := snapshotNow(t, w); !mine(s)["before.service"] || !maps.Equal(mine(s), oracle()) {
		t.Fatalf("at the first sync: %v, systemctl %v", mine(s), oracle())
	}
	// Files get a newer time than the manager loaded, whatever the
	// file system's time granularity.
	later := time.Now().Add(2 * time.Second)
	write := func(name, body string) {
		later = later.Add(2 * time.Second)
		p := filepath.Join(l.UnitDir(), name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, later, later); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, p); err != nil {
			t.Fatal(err)
		}
	}

	write("edited.service", "[Service]\nExecStart=/bin/sleep 1000\n")
	agree(t, w, "after a rename over edited.service", oracle, mine)
	// The manager looks for drop-ins only in the directories it knew at
	// its last reload: one that exists gets a second file.
	write("dropped.service.d/a.conf", "[Service]\nEnvironment=X=1\n")
	systemctl(t, l, "daemon-reload")
	waitSnapshot(t, w, "the reload's full sync", func(s *Snapshot) bool {
		u, _ := s.Unit("edited.service")
		return !u.NeedDaemonReload
	})
	write("edited.service", "[Service]\nExecStart=/bin/sleep 2000\n")
	write("dropped.service.d/b.conf", "[Service]\nEnvironment=Y=1\n")
	agree(t, w, "after a drop-in for dropped.service", oracle, mine)
	p := filepath.Join(l.UnitDir(), "inplace.service")
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("Environment=Y=2\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	later = later.Add(2 * time.Second)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	s := waitSnapshot(t, w, "inplace.service rewritten in place", func(s *Snapshot) bool {
		u, _ := s.Unit("inplace.service")
		return u.NeedDaemonReload
	})
	if got, want := mine(s), oracle(); got["other.service"] || !want["inplace.service"] || !got["edited.service"] || !got["dropped.service"] {
		t.Errorf("after an in-place edit: %v, systemctl %v", got, want)
	}

	systemctl(t, l, "daemon-reload")
	agree(t, w, "after daemon-reload", oracle, mine)

	// The detail shows the unit file as the manager loaded it.
	d, err := w.Detail(t.Context(), "dropped.service")
	if err != nil {
		t.Fatal(err)
	}
	show := func(p string) string {
		return strings.TrimSpace(systemctl(t, l, "show", "-p", p, "--value", "dropped.service"))
	}
	if got := strings.Join(d.DropInPaths, " "); got != show("DropInPaths") || len(d.DropInPaths) != 2 {
		t.Errorf("drop-ins %q, systemctl %q", got, show("DropInPaths"))
	}
	if d.ServiceType != show("Type") || strconv.Itoa(int(d.StartLimitBurst)) != show("StartLimitBurst") ||
		FormatTimespan(d.RestartUSec, 0) != show("RestartUSec") || FormatTimespan(d.StartLimitIntervalUSec, 0) != show("StartLimitIntervalUSec") {
		t.Errorf("detail: type %q burst %d restart %d interval %d; systemctl: %s %s %s %s", d.ServiceType, d.StartLimitBurst, d.RestartUSec, d.StartLimitIntervalUSec,
			show("Type"), show("StartLimitBurst"), show("RestartUSec"), show("StartLimitIntervalUSec"))
	}
	if s := snapshotNow(t, w); mine(s)["edited.service"] {
		t.Errorf("daemon-reload left need_daemon_reload set: %v", mine(s))
	}
}

// TestLabScopeFromManager: a user manager found at an explicit address,
// with the watcher told nothing of its scope, says it is a user manager.
func TestLabScopeFromManager(t *testing.T) {
	l := systemdlab.Start(t, systemdlab.Options{Units: 1})
	w := New(Options{Address: l.PrivateAddress(), Scope: ScopeSystem, Timeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	s := waitSnapshot(t, w, "first sync", func(s *Snapshot) bool { return s.DetailComplete })
	if s.Scope != ScopeUser.String() {
		t.Errorf("scope %q, want %q", s.Scope, ScopeUser.String())
	}
}
