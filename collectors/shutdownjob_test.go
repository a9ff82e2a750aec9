package collectors

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/systemd"
)

// TestShutdownKind maps each of systemd's shutdown words to the stop
// mark's kind (systemd's TestLabQueuedShutdown asks a real manager).
func TestShutdownKind(t *testing.T) {
	for word, kind := range map[string]string{"reboot": history.KindReboot, "poweroff": history.KindPoweroff, "halt": history.KindHalt, "kexec": history.KindKexec} {
		job := &systemd.ShutdownJob{Kind: word, ID: 7, Unit: word + ".target", Type: "start", State: "waiting"}
		k, detail, err := shutdownKind(job, 3)
		if k != kind || detail != "job 7 "+word+".target start waiting" || err != nil {
			t.Errorf("%s: %q %q %v", word, k, detail, err)
		}
	}
	if k, detail, err := shutdownKind(nil, 3); k != "" || detail != "no shutdown job among 3 queued" || err != nil {
		t.Errorf("none: %q %q %v", k, detail, err)
	}
	if _, _, err := shutdownKind(&systemd.ShutdownJob{Kind: "suspend"}, 1); err == nil {
		t.Errorf("an unknown kind was taken")
	}
	// A host without a manager: the error says so, which Stop does not log.
	_, _, err := QueuedShutdown("unix:path="+filepath.Join(t.TempDir(), "private"), false)(context.Background())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no manager: %v", err)
	}
}
