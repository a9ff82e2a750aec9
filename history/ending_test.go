package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

func TestJudgeKind(t *testing.T) {
	alive := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	stopAt := alive.Add(30 * time.Second)
	words := func(stop *Stop) *Checkpoint {
		return &Checkpoint{BootID: "b", LastAlive: alive, KernelProblems: map[string]uint64{"fs_error": 1},
			KernelMessages: []KernelMessage{{Seq: 7, Level: "err", Message: "EXT4-fs error (device sda1)"}}, Stop: stop}
	}
	esb := WatchdogStatus{Device: "watchdog0", Identity: "i6300ESB timer", BootStatus: WDIOFCardReset}
	idle := WatchdogStatus{Device: "watchdog1", Identity: "softdog", BootStatus: 0}
	cases := []struct {
		name      string
		end       End
		last      *Checkpoint
		watchdogs []WatchdogStatus
		kind      string
		detail    string
	}{
		{"crash beats all", End{State: EndCrashed, Reason: "Panic"}, words(&Stop{At: stopAt, Kind: KindReboot}), []WatchdogStatus{esb}, KindCrash, "Panic"},
		{"watchdog beats the stop", End{State: EndClean}, words(&Stop{At: stopAt, Kind: KindReboot}), []WatchdogStatus{idle, esb}, KindWatchdog, "watchdog0 (i6300ESB timer) bootstatus 0x20; the agent had been stopped"},
		{"watchdog, no checkpoint", End{State: EndUnknown}, nil, []WatchdogStatus{esb}, KindWatchdog, "i6300ESB"},
		{"reboot queued", End{State: EndClean}, words(&Stop{At: stopAt, Kind: KindReboot, Detail: "job reboot.target start"}), []WatchdogStatus{idle}, KindReboot, "reboot queued (job reboot.target start)"},
		{"poweroff queued", End{State: EndClean}, words(&Stop{At: stopAt, Kind: KindPoweroff}), nil, KindPoweroff, "poweroff queued"},
		{"kexec queued", End{State: EndClean}, words(&Stop{At: stopAt, Kind: KindKexec}), nil, KindKexec, "kexec"},
		{"old kernel's restart dump", End{State: EndClean, Reason: "Restart"}, nil, nil, KindReboot, "orderly dump"},
		{"today's shutdown dump names no kind", End{State: EndClean, Reason: "Shutdown"}, nil, nil, KindUnknown, "no shutdown was named"},
		{"stopped, nothing queued", End{State: EndClean}, words(&Stop{At: stopAt, Detail: "no shutdown job queued"}), nil, KindUnknown, "no shutdown was named: no shutdown job queued"},
		{"no stop mark", End{State: EndUnknown}, words(nil), []WatchdogStatus{idle}, KindUnknown, "last alive at 2026-12-01T10:00:00Z"},
		{"nothing at all", End{State: EndUnknown}, nil, nil, KindUnknown, "no checkpoint"},
	}
	for _, c := range cases {
		e := c.end
		JudgeKind(&e, c.last, c.watchdogs)
		if e.Kind != c.kind || !strings.Contains(e.KindDetail, c.detail) {
			t.Errorf("%s: kind %s (%s), want %s (%s)", c.name, e.Kind, e.KindDetail, c.kind, c.detail)
		}
		if c.last != nil {
			if e.LastAlive == nil || !e.LastAlive.Equal(alive) || e.KernelProblems["fs_error"] != 1 || len(e.LastKernelMessages) != 1 {
				t.Errorf("%s: last words %+v", c.name, e)
			}
			if (e.StoppedAt != nil) != (c.last.Stop != nil) {
				t.Errorf("%s: stopped at %v", c.name, e.StoppedAt)
			}
		} else if e.LastAlive != nil || e.LastKernelMessages != nil {
			t.Errorf("%s: last words without a checkpoint: %+v", c.name, e)
		}
	}
}

// TestReadWatchdogs reads a sysfs tree laid out as the kernel's watchdog
// class is: class links into the device tree, bootstatus and identity as
// the core prints them ("%u\n", "%s\n").
func TestReadWatchdogs(t *testing.T) {
	sys := t.TempDir()
	dev := func(path, status, identity string) {
		d := filepath.Join(sys, path)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]string{"bootstatus": status, "identity": identity} {
			if v != "" {
				if err := os.WriteFile(filepath.Join(d, name), []byte(v), 0o444); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	dev("devices/pci0000:00/0000:00:03.0/watchdog/watchdog0", "32\n", "i6300ESB timer\n")
	dev("devices/virtual/watchdog/watchdog1", "0\n", "Software Watchdog\n")
	dev("devices/virtual/watchdog/watchdog2", "", "no status file\n")
	dev("devices/virtual/watchdog/watchdog3", "garbage\n", "x\n")
	class := filepath.Join(sys, "class", "watchdog")
	if err := os.MkdirAll(class, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"watchdog0": "../../devices/pci0000:00/0000:00:03.0/watchdog/watchdog0",
		"watchdog1": "../../devices/virtual/watchdog/watchdog1",
		"watchdog2": "../../devices/virtual/watchdog/watchdog2",
		"watchdog3": "../../devices/virtual/watchdog/watchdog3",
		"watchdog4": "/etc", // leads out of the root
	} {
		if err := os.Symlink(target, filepath.Join(class, name)); err != nil {
			t.Fatal(err)
		}
	}
	got := ReadWatchdogs(hostfile.NewRoot(sys))
	if len(got) != 2 || got[0] != (WatchdogStatus{"watchdog0", "i6300ESB timer", 32}) || !got[0].CardReset() ||
		got[1] != (WatchdogStatus{"watchdog1", "Software Watchdog", 0}) || got[1].CardReset() {
		t.Fatalf("%+v", got)
	}
	if got := ReadWatchdogs(hostfile.NewRoot(t.TempDir())); got != nil {
		t.Errorf("no watchdog class: %+v", got)
	}
}
