package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/promslog"
)

// stagePstore copies the EFI panic that a Debian 6.1 kernel wrote under
// QEMU (history/testdata/qemu) into the sysfs root's pstore, timed after
// bootTime, and returns its lines.
func stagePstore(t *testing.T, sys string, after time.Time) []string {
	t.Helper()
	src := filepath.Join("..", "history", "testdata", "qemu", "efi-6.1.0-56")
	dst := filepath.Join(sys, "fs", "pstore")
	files, err := filepath.Glob(filepath.Join(src, "dmesg-efi-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("capture: %v %v", files, err)
	}
	var lines []string
	for i, f := range files {
		p := filepath.Join(dst, filepath.Base(f))
		testutil.CopyFile(t, f, p, 0o400)
		mt := after.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); len(l) > 20 {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

// recordSerials lists the serial numbers and UUID a record holds, leaving
// out what cannot be told from other text (placeholders, short values).
func recordSerials(r history.Record) []string {
	var out []string
	for _, s := range []string{r.System.UUID, r.System.SerialNumber} {
		if len(s) >= 6 && !strings.Contains(s, "Not Specified") {
			out = append(out, s)
		}
	}
	for _, d := range r.DIMMs {
		if len(d.SerialNumber) >= 6 && !strings.Contains(d.SerialNumber, "Not Specified") {
			out = append(out, d.SerialNumber)
		}
	}
	return out
}

// sectionText is everything a history snapshot shows: the JSON section and
// the metrics.
func sectionText(t *testing.T, snap *Snapshot) string {
	t.Helper()
	b, err := json.Marshal(snap.Section)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n" + metricsText(t, snap)
}

// TestHistoryWithholding: a boot on other hardware than the previous one
// (another machine's SMBIOS, so other UUID, serials and DIMM serials), after
// a kernel panic kept in pstore. With --no-collector.dmi.serials and
// --no-collector.kmsg.records the section still reports the machine and
// DIMM changes and the crash, but no serial or UUID of either boot, and no
// line of the panic, appears anywhere in it or its metrics; without the
// flags they all do, so the scan can find them.
func TestHistoryWithholding(t *testing.T) {
	for _, withheld := range []bool{true, false} {
		t.Run(fmt.Sprintf("withheld=%v", withheld), func(t *testing.T) {
			state := t.TempDir()
			first := newHistory(t, bootRoot(t, "11111111-1111-4111-8111-111111111111", "6.1.0-26-amd64", "dell-precisiont7600"), state, true)
			first.Run(context.Background())
			snap, err := first.Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			prevRec := snap.Section.(*HistorySection).Boots[0]

			p := bootRoot(t, "22222222-2222-4222-8222-222222222222", "6.1.0-27-amd64", "dell-xps9365")
			lines := stagePstore(t, p.SysFS, time.Unix(1732500000, 0))
			c, err := NewHistoryCollector(Config{Paths: p, Logger: promslog.NewNopLogger(), History: HistoryConfig{Dir: state, Keep: 5},
				DMI: DMIConfig{Serials: !withheld}, Kmsg: KmsgConfig{Records: !withheld}})
			if err != nil {
				t.Fatal(err)
			}
			c.(Runner).Run(context.Background())
			snap, err = c.Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			sec := snap.Section.(*HistorySection)
			cur, _ := c.(*historyCollector).current()
			serials := append(recordSerials(prevRec), recordSerials(cur)...)
			if len(serials) < 6 || len(lines) < 10 {
				t.Fatalf("too little to withhold: serials %q, %d pstore lines", serials, len(lines))
			}
			comps := map[string]bool{}
			for _, ch := range sec.Changes {
				comps[ch.Component] = true
			}
			if !comps[history.ComponentSystemIdentity] || !comps[history.ComponentDIMMs] || sec.PreviousBootEnd.State != history.EndCrashed {
				t.Fatalf("changes %+v, end %+v: want the machine and DIMMs changed after a crash", sec.Changes, sec.PreviousBootEnd)
			}
			text := sectionText(t, snap)
			var found []string
			for _, s := range append(serials, lines...) {
				if strings.Contains(text, s) {
					found = append(found, s)
				}
			}
			if withheld {
				if len(found) > 0 {
					t.Errorf("withheld values shown: %q\n%s", found, text)
				}
				if !sec.SerialsWithheld || !sec.MessagesWithheld || len(sec.PreviousBootEnd.FirstLines) != 0 {
					t.Errorf("section does not say what it withholds: %+v", sec)
				}
				t.Logf("%d serials and %d pstore lines withheld", len(serials), len(lines))
				return
			}
			// Open: every serial of the changes is shown, and the panic.
			for _, s := range serials {
				if !strings.Contains(text, s) {
					t.Errorf("serial %q not shown without withholding", s)
				}
			}
			if !strings.Contains(text, "Kernel panic - not syncing") {
				t.Errorf("panic text not shown without withholding")
			}
		})
	}
}

// TestHistoryShowChangesNothing: outside serve the collector creates,
// deletes, renames and writes nothing in the state directory, whatever it
// holds, and still answers.
func TestHistoryShowChangesNothing(t *testing.T) {
	valid := func(t *testing.T) string {
		b, err := history.MarshalFile([]history.Record{{BootID: "old", BootTime: time.Unix(1732000000, 0).UTC(), KernelRelease: "6.1.0-1-amd64"}})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	write := func(t *testing.T, dir string, files map[string]string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for n, c := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := map[string]func(t *testing.T, dir string){
		"missing": func(*testing.T, string) {},
		"live agent's temporary file": func(t *testing.T, dir string) {
			write(t, dir, map[string]string{history.FileName: valid(t), "." + history.FileName + ".tmp-98765": `{"schema":`})
		},
		"newer version": func(t *testing.T, dir string) {
			write(t, dir, map[string]string{history.FileName: `{"schema":"bootinfo.history","version":2,"boots":[]}`})
		},
		"corrupt": func(t *testing.T, dir string) { write(t, dir, map[string]string{history.FileName: "{"}) },
		"fifo among history files": func(t *testing.T, dir string) {
			write(t, dir, map[string]string{history.FileName: valid(t)})
			if err := syscall.Mkfifo(filepath.Join(dir, "."+history.FileName+".tmp-fifo"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"fifo as the history file": func(t *testing.T, dir string) {
			write(t, dir, nil)
			if err := syscall.Mkfifo(filepath.Join(dir, history.FileName), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"symlink to /dev/zero": func(t *testing.T, dir string) {
			write(t, dir, nil)
			if err := os.Symlink("/dev/zero", filepath.Join(dir, history.FileName)); err != nil {
				t.Fatal(err)
			}
		},
	}
	p := bootRoot(t, "33333333-3333-4333-8333-333333333333", "6.1.0-27-amd64", "dell-xps9365")
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state")
			mk(t, state)
			before := testutil.TreeState(t, state)
			c := newHistory(t, p, state, false)
			snap, err := c.Collect(testutil.Context(t))
			if err != nil {
				t.Fatal(err)
			}
			if sec := snap.Section.(*HistorySection); sec.Persisted || len(sec.Boots) == 0 {
				t.Errorf("%+v", sec)
			}
			c.Stop()
			if diff := cmp.Diff(before, testutil.TreeState(t, state)); diff != "" {
				t.Errorf("show changed the state directory (-before +after):\n%s", diff)
			}
		})
	}
}

// TestHistoryStuckBuild: a build stuck in I/O holds neither Stop nor a
// fresh attempt, and the builds left stuck are bounded.
func TestHistoryStuckBuild(t *testing.T) {
	p := bootRoot(t, "55555555-5555-4555-8555-555555555555", "6.1.0-27-amd64", "dell-xps9365")
	release := make(chan struct{})
	var calls, stuck atomic.Int32
	var block atomic.Bool
	block.Store(true)
	var wg sync.WaitGroup
	c := newHistory(t, p, t.TempDir(), true)
	c.openStore = func(dir string, keep int, persist bool) (*history.Store, error) {
		calls.Add(1)
		if block.Load() {
			wg.Add(1)
			defer wg.Done()
			stuck.Add(1)
			<-release // a read on a hung mount
		}
		return openHistoryStore(dir, keep, persist)
	}
	t.Cleanup(func() { close(release); wg.Wait() })

	c.Run(context.Background()) // starts the first build, which sticks
	testutil.WaitFor(t, "the first build to stick", func() error {
		if stuck.Load() != 1 {
			return errors.New("not yet")
		}
		return nil
	})
	// Stop waits for the boot being recorded only so long (here, hardly
	// at all), then gives up on the mark rather than hold the exit.
	c.stopWait = time.Millisecond
	c.Stop()
	for i := range maxStuckBuilds {
		// A caller joins the build in flight, or starts one when the last
		// was given up; the runner gives up at its deadline.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.Collect(ctx); done <- err }()
		testutil.WaitFor(t, "the caller to wait on a stuck build", func() error {
			c.mu.Lock()
			defer c.mu.Unlock()
			if int(stuck.Load()) != i+1 || c.cur == nil || c.cur.waiters != 1 {
				return fmt.Errorf("%d builds stuck", stuck.Load())
			}
			return nil
		})
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Collect %d = %v, want the caller's deadline", i, err)
		}
	}
	// maxStuckBuilds are stuck and given up: no more is started.
	if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "still blocked") {
		t.Errorf("Collect with %d builds stuck = %v", maxStuckBuilds, err)
	}
	if n := calls.Load(); n != maxStuckBuilds {
		t.Errorf("%d builds started, want %d", n, maxStuckBuilds)
	}
	// The mount answers again: the stuck builds end, the next attempt
	// records this boot and Stop marks it.
	block.Store(false)
	release <- struct{}{}
	release <- struct{}{}
	testutil.WaitFor(t, "the stuck builds to end", func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.stuck != 0 || c.snap == nil {
			return fmt.Errorf("%d stuck", c.stuck)
		}
		return nil
	})
	snap, err := c.Collect(context.Background())
	if err != nil || !snap.Section.(*HistorySection).Persisted {
		t.Fatalf("after the mount recovered: %v %+v", err, snap)
	}
	c.Stop()
	if boots := c.store.Boots(); len(boots) != 1 || boots[0].CleanShutdownAt == nil {
		t.Errorf("boots %+v, want this boot marked clean", boots)
	}
}

// TestHistoryBlockedBootID: the boot ID is a FIFO nobody writes, so the
// build blocks in a real open (on a host package that does not refuse
// FIFOs) or fails at once (one that does). Either way Collect returns when
// its caller gives up, Stop returns, and once the FIFO is replaced by a
// file a fresh attempt succeeds.
func TestHistoryBlockedBootID(t *testing.T) {
	p := bootRoot(t, "66666666-6666-4666-8666-666666666666", "6.1.0-27-amd64", "dell-xps9365")
	bootID := filepath.Join(p.ProcFS, "sys", "kernel", "random", "boot_id")
	if err := os.Remove(bootID); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(bootID, 0o600); err != nil {
		t.Fatal(err)
	}
	parked := filepath.Join(filepath.Dir(bootID), "parked-fifo")
	t.Cleanup(func() {
		// Release a reader still blocked in the FIFO's open.
		if fd, err := syscall.Open(parked, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			syscall.Close(fd)
		}
	})
	c := newHistory(t, p, t.TempDir(), true)
	c.Run(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Collect(ctx); done <- err }()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("Collect succeeded on a FIFO boot id")
	}
	c.Stop()
	if err := os.Rename(bootID, parked); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bootID, []byte("66666666-6666-4666-8666-666666666666\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := c.Collect(testutil.Context(t))
	if err != nil {
		// The first build may have failed at once (FIFO refused) and
		// left no snapshot; this attempt is a fresh one either way.
		t.Fatalf("fresh attempt: %v", err)
	}
	if sec := snap.Section.(*HistorySection); !sec.Persisted {
		t.Errorf("%+v", sec)
	}
}

// TestHistorySerialInPstoreText: with serials withheld but kernel messages
// served, a serial that the crash text quotes (a driver printing the
// machine's service tag, say) is replaced there, and the rest of the text
// is kept.
func TestHistorySerialInPstoreText(t *testing.T) {
	p := bootRoot(t, "77777777-7777-4777-8777-777777777777", "6.1.0-27-amd64", "dell-xps9365")
	state := t.TempDir()
	c := newHistory(t, p, state, false)
	cur, err := c.current()
	if err != nil {
		t.Fatal(err)
	}
	serial := cur.System.SerialNumber
	if len(serial) < 6 {
		t.Fatalf("machine serial %q too short for the test", serial)
	}
	// A previous boot an hour before this one, and its panic.
	b, err := history.MarshalFile([]history.Record{{BootID: "prev", BootTime: cur.BootTime.Add(-time.Hour), System: cur.System}})
	if err != nil {
		t.Fatal(err)
	}
	testutil.WriteTree(t, state, map[string]string{history.FileName: string(b)})
	testutil.WriteTree(t, p.SysFS, map[string]string{"fs/pstore/dmesg-ramoops-0": "Panic#1 Part1\n" +
		"<0>[   12.000000] Kernel panic - not syncing: asset " + serial + " overheated\n"})
	at := cur.BootTime.Add(-time.Minute)
	if err := os.Chtimes(filepath.Join(p.SysFS, "fs", "pstore", "dmesg-ramoops-0"), at, at); err != nil {
		t.Fatal(err)
	}
	c, err = func() (*historyCollector, error) {
		c, err := NewHistoryCollector(Config{Paths: p, Logger: promslog.NewNopLogger(), History: HistoryConfig{Dir: state, Keep: 5},
			DMI: DMIConfig{Serials: false}, Kmsg: KmsgConfig{Records: true}})
		return c.(*historyCollector), err
	}()
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	end := snap.Section.(*HistorySection).PreviousBootEnd
	lines := strings.Join(end.FirstLines, "\n")
	if end.State != history.EndCrashed || strings.Contains(sectionText(t, snap), serial) ||
		!strings.Contains(lines, "Kernel panic - not syncing: asset <WITHHELD> overheated") {
		t.Errorf("end %+v", end)
	}
}

// TestHistoryStopRightAfterStart: an agent stopped while it is still
// recording this boot (SIGTERM right after start, as at an early
// shutdown) waits for the record and marks it clean.
func TestHistoryStopRightAfterStart(t *testing.T) {
	p := bootRoot(t, "88888888-8888-4888-8888-888888888888", "6.1.0-27-amd64", "dell-xps9365")
	state := t.TempDir()
	c := newHistory(t, p, state, true)
	release := make(chan struct{})
	var started atomic.Bool
	c.openStore = func(dir string, keep int, persist bool) (*history.Store, error) {
		started.Store(true)
		<-release
		return openHistoryStore(dir, keep, persist)
	}
	c.Run(context.Background())
	testutil.WaitFor(t, "the record to start", func() error {
		if !started.Load() {
			return errors.New("not yet")
		}
		return nil
	})
	stopped := make(chan struct{})
	go func() { c.Stop(); close(stopped) }()
	close(release)
	<-stopped
	s, err := history.OpenReadOnly(state, 5)
	if err != nil {
		t.Fatal(err)
	}
	if boots := s.Boots(); len(boots) != 1 || boots[0].CleanShutdownAt == nil {
		t.Errorf("boots on disk %+v, want this boot marked clean", boots)
	}
}
