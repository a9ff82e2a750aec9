package systemd

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestLabQueuedShutdown asks a real manager which shutdown is queued:
// nothing at first, then a start job of a target named reboot.target held
// waiting behind a oneshot service, as systemctl list-jobs shows it, over
// the manager's private socket and over its bus.
func TestLabQueuedShutdown(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{})
	ctx := testutil.Context(t)
	job, queued, err := QueuedShutdown(ctx, lab.PrivateAddress(), false)
	if err != nil || job != nil {
		t.Fatalf("idle manager: %v (%d jobs) %v", job, queued, err)
	}
	for name, body := range map[string]string{
		"lab-hold.service": "[Service]\nType=oneshot\nExecStart=/bin/sleep 600\n",
		"reboot.target":    "[Unit]\nWants=lab-hold.service\nAfter=lab-hold.service\n",
	} {
		if err := lab.WriteUnit(name, body); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := lab.Systemctl("daemon-reload"); err != nil {
		t.Fatalf("daemon-reload: %v: %s", err, out)
	}
	if out, err := lab.Systemctl("start", "--no-block", "reboot.target"); err != nil {
		t.Fatalf("start: %v: %s", err, out)
	}
	// "ID UNIT TYPE STATE" rows; the reboot.target row is the oracle.
	jobs, err := lab.Systemctl("list-jobs", "--no-legend")
	if err != nil {
		t.Fatalf("systemctl list-jobs: %v\n%s", err, jobs)
	}
	var want string
	rows := 0
	for _, l := range strings.Split(strings.TrimSpace(jobs), "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		rows++
		if f[1] == "reboot.target" {
			want = "job " + strings.Join(f[:4], " ")
		}
	}
	if want == "" {
		t.Fatalf("systemctl list-jobs shows no reboot.target job:\n%s", jobs)
	}
	for _, via := range []struct {
		address string
		bus     bool
	}{{lab.PrivateAddress(), false}, {lab.BusAddress(), true}} {
		job, queued, err := QueuedShutdown(ctx, via.address, via.bus)
		if err != nil || job == nil || job.Kind != "reboot" || job.String() != want || queued != rows {
			t.Errorf("queued reboot over %s: %v (%d jobs) %v; systemctl list-jobs:\n%s", via.address, job, queued, err, jobs)
		}
	}

	// No manager here: the socket is missing.
	_, _, err = QueuedShutdown(ctx, "unix:path="+filepath.Join(t.TempDir(), "private"), false)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no socket: %v, want an error wrapping fs.ErrNotExist", err)
	}
	// A manager that does not answer holds the question no longer than
	// its context.
	lab.StopManager()
	defer lab.ContinueManager()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, _, err := QueuedShutdown(short, lab.PrivateAddress(), false); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a stopped manager: %v, want the context's deadline", err)
	}
}
