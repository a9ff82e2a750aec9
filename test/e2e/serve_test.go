package e2e

// What `bootinfo serve` does with hostile input around it: sources that
// block (FIFOs), unit names systemd cannot take, and probes behind basic
// auth.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// fifoAt replaces the file at path with a FIFO that no one writes.
func fifoAt(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEndListensWithBlockedSource: with /etc/os-release a FIFO, which
// the history collector read to record this boot before serve listened (it
// never did), the agent listens, answers /healthz and the sections that do
// not read the file, and stops on SIGTERM although history's start and its
// clean-shutdown mark are still blocked.
func TestEndToEndListensWithBlockedSource(t *testing.T) {
	root := agent.FixtureRoot(t)
	fifoAt(t, filepath.Join(root, "etc", "os-release"))
	// Start waits for /healthz.
	a := agent.Start(t, agent.FixtureArgs(root, "--collector.timeout=500ms")...)
	for range 3 {
		if code, _, body := a.Get(t, "GET", "/bootinfo/firmware"); code != 200 {
			t.Errorf("/bootinfo/firmware beside the FIFO: %d %s", code, body)
		}
		if code, _, body := a.Get(t, "GET", "/healthz"); code != 200 {
			t.Errorf("/healthz: %d %s", code, body)
		}
	}
	code, _, body := a.Get(t, "GET", "/bootinfo/history")
	t.Logf("/bootinfo/history with os-release a FIFO: %d %s", code, body)
	_, _, metrics := a.Get(t, "GET", "/metrics")
	if !bytes.Contains(metrics, []byte(`bootinfo_scrape_collector_success{collector="firmware"} 1`)) {
		t.Errorf("/metrics: firmware not served beside the FIFO")
	}
	if err := a.Stop(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, a.Output)
	}
}

// TestEndToEndRecoversFromBlockedSource: with grub.cfg a FIFO, which left
// /bootinfo/bootloader at 504 for good, even once grub.cfg was a file
// again (the runner shared the blocked collection, and the cache held its
// lock across it), the boot loader is served once grub.cfg is a file.
func TestEndToEndRecoversFromBlockedSource(t *testing.T) {
	root := agent.FixtureRoot(t)
	grubCfg := filepath.Join(root, "boot", "grub", "grub.cfg")
	fifoAt(t, grubCfg)
	a := agent.Start(t, agent.FixtureArgs(root, "--collector.timeout=500ms")...)
	// One collection of the boot loader, which may block on the FIFO.
	code, _, body := a.Get(t, "GET", "/bootinfo/bootloader")
	t.Logf("/bootinfo/bootloader with grub.cfg a FIFO: %d %s", code, body)

	// grub.cfg is a file again (the FIFO moved aside, where a blocked
	// open of it stays blocked).
	if err := os.Rename(grubCfg, grubCfg+".fifo"); err != nil {
		t.Fatal(err)
	}
	good := "set default=0\nmenuentry 'Debian GNU/Linux' {\n\tlinux /vmlinuz-6.1.0-27-amd64 root=/dev/sda1\n}\n"
	if err := os.WriteFile(grubCfg, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "/bootinfo/bootloader to recover", func() error {
		code, _, body := a.Get(t, "GET", "/bootinfo/bootloader")
		if code != 200 || !bytes.Contains(body, []byte("Debian GNU/Linux")) {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	}, a.Process)
	_, _, metrics := a.Get(t, "GET", "/metrics")
	for _, want := range []string{
		`bootinfo_scrape_collector_success{collector="bootloader"} 1`,
		`bootinfo_scrape_collector_blocked{collector="bootloader"}`,
		`bootinfo_scrape_collector_abandoned_total{collector="bootloader"}`,
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _, _ := a.Get(t, "GET", "/healthz"); code != 200 {
		t.Errorf("/healthz after: %d", code)
	}
	if err := a.Stop(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, a.Output)
	}
}

// TestEndToEndUnitNamesSystemdLab: names systemd cannot take are 400,
// unknown valid ones 404 (the real manager's answer), and none of them
// costs the agent its connection to the manager.
func TestEndToEndUnitNamesSystemdLab(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{
		Files: map[string]string{"web.service": "[Unit]\nDescription=lab web\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=default.target\n"},
		Wants: []string{"web.service"},
	})
	args := []string{"--no-collector.kmsg", "--no-collector.dmi", "--no-collector.firmware", "--no-collector.history", "--no-collector.bootloader",
		"--collector.systemd.user", "--collector.systemd.address=" + lab.PrivateAddress()}
	a := agent.Start(t, args...)
	testutil.WaitFor(t, "web.service served", func() error {
		if code, _, body := a.Get(t, "GET", "/bootinfo/systemd/units/web.service"); code != 200 {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	}, a.Process)
	for path, want := range map[string]int{
		"a%00.service":                         400,
		"%ff.service":                          400,
		"a%20b.service":                        400,
		"foo@.service":                         400,
		"foo.nosuch":                           400,
		strings.Repeat("a", 4000) + ".service": 400,
		"nosuch.service":                       404,
		"getty@tty9.service":                   404,
		"web.service":                          200,
	} {
		if code, _, body := a.Get(t, "GET", "/bootinfo/systemd/units/"+path); code != want {
			t.Errorf("units/%.40s: %d %s, want %d", path, code, body, want)
		}
	}
	if code, _, body := a.Get(t, "GET", "/bootinfo/systemd/units/web.service"); code != 200 {
		t.Errorf("after the bad names: %d %s", code, body)
	}
	if _, _, m := a.Get(t, "GET", "/metrics"); !bytes.Contains(m, []byte(`bootinfo_scrape_collector_success{collector="systemd"} 1`)) {
		t.Errorf("systemd collector failing after the bad names")
	}
	if strings.Contains(a.Output.String(), "reconnect") {
		t.Errorf("the agent reconnected to the manager:\n%s", a.Output)
	}
}
