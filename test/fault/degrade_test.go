package fault

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// scrapeOnce fetches /metrics and /bootinfo, failing the test unless both
// answer 200 and parse.
func scrapeOnce(t *testing.T, a *agent.Agent) (agent.Metrics, document) {
	t.Helper()
	c := newClient()
	code, body, err := get(c, a.Base+"/metrics")
	if err != nil || code != 200 {
		t.Fatalf("/metrics: %d %v", code, err)
	}
	ms, err := agent.ParseMetrics(body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	code, body, err = get(c, a.Base+"/bootinfo")
	if err != nil || code != 200 {
		t.Fatalf("/bootinfo: %d %v", code, err)
	}
	d, err := parseDocument(body)
	if err != nil {
		t.Fatal(err)
	}
	return ms, d
}

// wantServed fails the test unless every collector named succeeded, with a
// section and no entry in errors.
func wantServed(t *testing.T, ms agent.Metrics, d document, collectors ...string) {
	t.Helper()
	for _, c := range collectors {
		if success(ms, c) != 1 || d.Errors[c] != "" || d.Sections[c] == nil {
			t.Errorf("%s not served: success %v, errors.%s %q", c, success(ms, c), c, d.Errors[c])
		}
	}
}

// wantFailed fails the test unless collector failed, in /metrics and in
// errors, with a message containing every one of want; it returns the
// message.
func wantFailed(t *testing.T, ms agent.Metrics, d document, collector string, want ...string) string {
	t.Helper()
	msg := d.Errors[collector]
	if success(ms, collector) != 0 || msg == "" {
		t.Errorf("%s: success %v, errors.%s %q; want a failure", collector, success(ms, collector), collector, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("errors.%s = %q, want it to contain %q", collector, msg, w)
		}
	}
	return msg
}

// logLines counts the agent's log lines at level or above (logfmt).
func logLines(a *agent.Agent, levels ...string) []string {
	var out []string
	for _, line := range strings.Split(a.Output.String(), "\n") {
		for _, l := range levels {
			if strings.Contains(line, "level="+l) {
				out = append(out, line)
			}
		}
	}
	return out
}

// TestKmsgUnreadable points --path.dev at directories whose kmsg cannot be
// read as the kernel log: the kmsg collector fails with a message naming
// the device and the reason, and the others are served.
func TestKmsgUnreadable(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name string
		make func(t *testing.T, kmsg string)
		want []string
		// unnamed: the message does not name the device (the
		// reader's decode error).
		unnamed bool
	}{
		{"absent", func(*testing.T, string) {}, []string{"no such file or directory"}, false},
		{"directory", func(t *testing.T, p string) { directory(t, p) }, []string{"not a character device"}, false},
		{"regular file", func(t *testing.T, p string) { write(t, p, []byte("6,1,0,-;not the kernel log\n")) }, []string{"not a character device"}, false},
		// Major 1 is the kernel's memory devices; minor 200 is none of
		// them, so opening it fails as a device without a driver does.
		{"device without a driver", func(t *testing.T, p string) { mknod(t, p, 1, 200) }, []string{"no such device or address"}, false},
		// /dev/null's and /dev/zero's numbers: character devices, but
		// not the kernel log (1:11), which is all the reader opens.
		{"the null device", func(t *testing.T, p string) { mknod(t, p, 1, 3) }, []string{"character device 1:3, not the kernel log"}, false},
		{"the zero device", func(t *testing.T, p string) { mknod(t, p, 1, 5) }, []string{"character device 1:5, not the kernel log"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := fixtureRoot(t)
			dev := filepath.Join(root, "dev")
			kmsg := filepath.Join(dev, "kmsg")
			tc.make(t, kmsg)
			a := start(t, root, "--collector.kmsg", "--path.dev="+dev)
			ms, d := scrapeOnce(t, a)
			want := tc.want
			if !tc.unnamed {
				want = append(want, kmsg)
			}
			msg := wantFailed(t, ms, d, "kmsg", want...)
			t.Logf("errors.kmsg = %q", msg)
			wantServed(t, ms, d, fixtureStable...)
			noPanic(t, "agent", a)
		})
	}
}

func mknod(t *testing.T, path string, major, minor uint32) {
	t.Helper()
	dev := int((major << 8) | minor)
	if err := syscall.Mknod(path, syscall.S_IFCHR|0o444, dev); err != nil {
		testutil.SkipOrFail(t, "cannot make a device node here: %v", err)
	}
}

// TestNoEFI covers a legacy BIOS boot (no firmware/efi) and a UEFI boot
// without efivarfs mounted. Each is what the README documents (mode bios
// with secure_boot unsupported; mode uefi with secure_boot unknown and the
// missing efivarfs in the section's errors), the collector succeeds, and
// re-reading on every scrape logs nothing: no error storm.
func TestNoEFI(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name, remove, mode, secureBoot string
		wantErrors                     bool
	}{
		{"legacy BIOS", "sys/firmware/efi", "bios", "unsupported", false},
		{"efivarfs not mounted", efivars, "uefi", "unknown", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := fixtureRoot(t)
			removed(t, filepath.Join(root, tc.remove))
			a := start(t, root, "--collector.firmware.refresh=1ns")
			var (
				ms agent.Metrics
				d  document
			)
			for i := 0; i < 20; i++ {
				ms, d = scrapeOnce(t, a)
			}
			wantServed(t, ms, d, fixtureStable...)
			if ms.Value("bootinfo_firmware_info", "mode", tc.mode, "secure_boot", tc.secureBoot) != 1 {
				t.Errorf("/metrics lacks bootinfo_firmware_info{mode=%q,secure_boot=%q} 1", tc.mode, tc.secureBoot)
			}
			var fw struct {
				Mode       string            `json:"mode"`
				SecureBoot string            `json:"secure_boot"`
				Errors     map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(d.Sections["firmware"], &fw); err != nil {
				t.Fatal(err)
			}
			if fw.Mode != tc.mode || fw.SecureBoot != tc.secureBoot {
				t.Errorf("firmware: mode %q secure_boot %q, want %q %q", fw.Mode, fw.SecureBoot, tc.mode, tc.secureBoot)
			}
			if got := len(fw.Errors) > 0; got != tc.wantErrors {
				t.Errorf("firmware errors %v, want some: %v", fw.Errors, tc.wantErrors)
			}
			t.Logf("firmware errors: %v", fw.Errors)
			// No storm: a fault the section reports is logged once, when
			// it first appears, not once per scrape; no fault, no line.
			want := 0
			if tc.wantErrors {
				want = len(fw.Errors)
			}
			if lines := logLines(a, "WARN", "ERROR"); len(lines) != want {
				t.Errorf("20 scrapes logged %d warnings or errors, want %d:\n%s", len(lines), want, strings.Join(lines, "\n"))
			}
		})
	}
}

// mountTmpfs mounts a tmpfs with opts on a new directory and unmounts it
// when the test ends. It skips (fails under CI) where mounting is not
// permitted.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		testutil.SkipOrFail(t, "cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// TestStateDirUnwritable gives the agent a state directory it cannot write
// (a read-only tmpfs, a full one, a path that is a file): history is
// disabled with the reason in errors and in the log, its comparison is
// still served, and everything else is too.
func TestStateDirUnwritable(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"read-only", func(t *testing.T) string {
			dir := mountTmpfs(t, "size=1m")
			if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "read-only file system"},
		{"full", func(t *testing.T) string {
			dir := mountTmpfs(t, "size=64k")
			fill(t, filepath.Join(dir, "filler"))
			return dir
		}, "no space left on device"},
		{"a file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "state")
			write(t, p, []byte("not a directory"))
			return p
		}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := fixtureRoot(t)
			dir := tc.dir(t)
			a := start(t, root, "--state.dir="+dir)
			ms, d := scrapeOnce(t, a)
			msg := wantFailed(t, ms, d, "history", tc.want)
			t.Logf("errors.history = %q", msg)
			wantServed(t, ms, d, "bootloader", "dmi", "firmware", "host")
			checkHistoryServed(t, d, false)
			if !strings.Contains(a.Output.String(), tc.want) {
				t.Errorf("the log does not say %q:\n%s", tc.want, a.Output)
			}
			noPanic(t, "agent", a)
		})
	}
}

// checkHistoryServed fails the test unless /bootinfo serves the history
// section with this boot in it, persisted as want.
func checkHistoryServed(t *testing.T, d document, persisted bool) {
	t.Helper()
	var h struct {
		Boots []struct {
			BootID string `json:"boot_id"`
		} `json:"boots"`
		Persisted  bool   `json:"persisted"`
		StateError string `json:"state_error"`
	}
	if d.Sections["history"] == nil {
		t.Errorf("no history section: the comparison must still be served")
		return
	}
	if err := json.Unmarshal(d.Sections["history"], &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Boots) == 0 || h.Boots[0].BootID == "" || h.Persisted != persisted {
		t.Errorf("history section: %s", d.Sections["history"])
	}
	if !persisted && h.StateError == "" {
		t.Errorf("history section has no state_error: %s", d.Sections["history"])
	}
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err == nil {
		defer f.Close()
		_, err = io.Copy(f, zeros{})
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling %s: %v", path, err)
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestFieldFaultsLogged breaks files that collectors report per field
// while still succeeding (their section's errors): such faults are in the
// log too, so an operator reading the journal sees them.
func TestFieldFaultsLogged(t *testing.T) {
	needRoot(t)
	for _, m := range []mutation{
		{name: "efivarfs not mounted", path: efivars, do: removed},
		{name: "a variable that does not decode", path: globalVar("SecureBoot"), do: emptied},
		{name: "grub.cfg unreadable", path: "boot/grub/grub.cfg", do: directory},
		{name: "uptime unreadable", path: "proc/uptime", do: directory},
	} {
		t.Run(m.name, func(t *testing.T) {
			root := fixtureRoot(t)
			m.do(t, filepath.Join(root, m.path))
			a := start(t, root)
			ms, d := scrapeOnce(t, a)
			wantServed(t, ms, d, fixtureStable...)
			// A file, or an EFI variable by its name (without the GUID).
			want := filepath.Base(m.path)
			if name, _, ok := strings.Cut(want, "-"); ok && strings.Contains(m.path, "efivars/") {
				want = name
			}
			if !strings.Contains(a.Output.String(), want) {
				t.Errorf("the log does not mention %s:\n%s", want, a.Output)
			}
		})
	}
}

// TestStateDirFailsWhileRunning lets the agent record this boot in a
// writable state directory, then makes the directory full or read-only
// under it and stops it with SIGTERM, when it marks the clean shutdown:
// the agent says why it cannot, exits as usual, and the history it wrote
// before is intact.
func TestStateDirFailsWhileRunning(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		want    string
	}{
		{"fills up", func(t *testing.T, dir string) { fill(t, filepath.Join(dir, "filler")) }, "no space left on device"},
		{"turns read-only", func(t *testing.T, dir string) {
			if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
				t.Fatal(err)
			}
		}, "read-only file system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := mountTmpfs(t, "size=64k")
			a := start(t, fixtureRoot(t), "--state.dir="+dir)
			ms, d := scrapeOnce(t, a)
			wantServed(t, ms, d, fixtureStable...)
			checkHistoryServed(t, d, true)
			before, err := os.ReadFile(filepath.Join(dir, "history.json"))
			if err != nil {
				t.Fatal(err)
			}
			tc.breakIt(t, dir)
			if err := a.Stop(); err != nil {
				t.Errorf("the agent exited with %v after SIGTERM", err)
			}
			if log := a.Output.String(); !strings.Contains(log, "clean shutdown") || !strings.Contains(log, tc.want) {
				t.Errorf("the log does not say the clean shutdown could not be marked (%s):\n%s", tc.want, log)
			}
			after, err := os.ReadFile(filepath.Join(dir, "history.json"))
			if err != nil || string(after) != string(before) {
				t.Errorf("history.json changed or unreadable after a failed write: %v\nbefore %s\nafter  %s", err, before, after)
			}
			noPanic(t, "agent", a)
		})
	}
}
