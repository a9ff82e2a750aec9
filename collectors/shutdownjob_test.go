package collectors

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestQueuedShutdownLab asks a real manager which shutdown is queued:
// nothing at first, then a start job of a target named reboot.target held
// waiting behind a oneshot service, as systemctl list-jobs shows it.
func TestQueuedShutdownLab(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{})
	ask := QueuedShutdown(lab.PrivateAddress(), false)
	ctx := testutil.Context(t)
	kind, detail, err := ask(ctx)
	if err != nil || kind != "" || !strings.HasPrefix(detail, "no shutdown job among") {
		t.Fatalf("idle manager: %q %q %v", kind, detail, err)
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
	jobs, err := lab.Systemctl("list-jobs", "--no-legend")
	if err != nil || !strings.Contains(jobs, "reboot.target") {
		t.Fatalf("systemctl list-jobs: %v\n%s", err, jobs)
	}
	kind, detail, err = ask(ctx)
	if err != nil || kind != history.KindReboot || !strings.Contains(detail, "reboot.target start waiting") {
		t.Errorf("queued reboot: %q %q %v; systemctl list-jobs:\n%s", kind, detail, err, jobs)
	}
	// A manager that does not answer holds the question no longer than
	// its context.
	lab.StopManager()
	defer lab.ContinueManager()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, _, err := ask(short); err == nil {
		t.Errorf("a stopped manager answered")
	}
}
