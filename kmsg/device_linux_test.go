package kmsg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// openLive opens this machine's /dev/kmsg or skips (fails in CI) with the
// reason it cannot.
func openLive(t *testing.T, opts OpenOptions) *Device {
	t.Helper()
	d, err := NewFS("/dev").Open(opts)
	if err != nil {
		testutil.SkipOrFail(t, "cannot read this machine's /dev/kmsg: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func readAll(t *testing.T, d *Device) []Record {
	t.Helper()
	var recs []Record
	for {
		r, err := d.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		recs = append(recs, r)
	}
}

type dmesgLineX struct {
	Fac   string
	Level string
	Time  string
	Msg   string
}

// dmesgJSON runs util-linux's dmesg, which reads /dev/kmsg with its own
// decoder, as `dmesg --json -x`: facility and level by name. (The numeric
// "pri" of util-linux 2.38's JSON is wrong for facilities above 0: it ORs
// the unshifted facility into the level.)
func dmesgJSON(t *testing.T) []dmesgLineX {
	t.Helper()
	path, err := exec.LookPath("dmesg")
	if err != nil {
		testutil.SkipOrFail(t, "util-linux dmesg not installed: %v", err)
	}
	out, err := exec.Command(path, "--json", "-x").Output()
	if err != nil {
		testutil.SkipOrFail(t, "dmesg --json -x: %v", err)
	}
	var doc struct {
		Dmesg []struct {
			Fac  string      `json:"fac"`
			Pri  string      `json:"pri"`
			Time json.Number `json:"time"`
			Msg  string      `json:"msg"`
		} `json:"dmesg"`
	}
	d := json.NewDecoder(bytes.NewReader(out))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("dmesg --json -x: %v", err)
	}
	var lines []dmesgLineX
	for _, e := range doc.Dmesg {
		lvl, ok := ParseLevel(e.Pri)
		if !ok {
			t.Fatalf("dmesg level %q", e.Pri)
		}
		lines = append(lines, dmesgLineX{e.Fac, lvl.String(), e.Time.String(), e.Msg})
	}
	return lines
}

// TestLiveDeviceMatchesDmesg reads the whole log without following and
// compares every record with dmesg --json -x taken between two of our
// reads (retried while new records arrive between them).
func TestLiveDeviceMatchesDmesg(t *testing.T) {
	for attempt := 0; ; attempt++ {
		before := readAll(t, openLive(t, OpenOptions{}))
		want := dmesgJSON(t)
		after := readAll(t, openLive(t, OpenOptions{}))
		if !cmp.Equal(before, after) && attempt < 5 {
			continue // the log changed under us; try again
		}
		if len(before) == 0 {
			t.Fatal("no records in /dev/kmsg")
		}
		for i := 1; i < len(before); i++ {
			if before[i].Seq != before[i-1].Seq+1 {
				t.Errorf("sequence %d follows %d", before[i].Seq, before[i-1].Seq)
			}
		}
		var got []dmesgLineX
		for _, r := range before {
			got = append(got, dmesgLineX{r.Facility.String(), r.Level.String(), seconds(r.TimestampUsec), r.Message})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("/dev/kmsg differs from dmesg --json -x (-want +got):\n%s", diff)
		}
		t.Logf("%d records equal to dmesg --json -x", len(before))

		// The summary's counts agree with dmesg's view of the same log.
		snap := summarize(before)
		levels, facs := map[string]uint64{}, map[string]uint64{}
		for _, l := range want {
			levels[l.Level]++
			facs[l.Fac]++
		}
		for l, n := range snap.Levels {
			if n != levels[l] {
				t.Errorf("level %s: summary %d, dmesg %d", l, n, levels[l])
			}
		}
		if diff := cmp.Diff(facs, snap.Facilities); diff != "" {
			t.Errorf("facilities (-dmesg +summary):\n%s", diff)
		}
		if snap.RecordsLost != 0 || snap.RecordsSeen != uint64(len(want)) || snap.Milestones.KernelBanner == nil && before[0].Seq == 0 {
			t.Errorf("summary of the live log: %+v", snap)
		}
		return
	}
}

// TestLiveDeviceSmallBuffer starts with a buffer smaller than any record.
// The kernel fails such a read with EINVAL and moves past the record, so
// the reader must count it lost, grow its buffer and go on.
func TestLiveDeviceSmallBuffer(t *testing.T) {
	for attempt := 0; ; attempt++ {
		d := openLive(t, OpenOptions{BufferSize: 16})
		small := readAll(t, d)
		normal := readAll(t, openLive(t, OpenOptions{}))
		bySeq := map[uint64]Record{}
		for _, r := range normal {
			bySeq[r.Seq] = r
		}
		var mismatch []string
		for _, r := range small {
			if !cmp.Equal(bySeq[r.Seq], r) {
				mismatch = append(mismatch, cmp.Diff(bySeq[r.Seq], r))
			}
		}
		missing := uint64(len(normal) - len(small))
		if (len(mismatch) > 0 || d.Lost() != missing) && attempt < 5 {
			continue // the log changed between the readings
		}
		if len(mismatch) > 0 {
			t.Errorf("records read with a growing buffer differ: %v", mismatch)
		}
		if d.TooLarge() == 0 || d.Lost() != missing || d.TooLarge() != missing {
			t.Errorf("too large %d, lost %d, missing %d of %d", d.TooLarge(), d.Lost(), missing, len(normal))
		}
		return
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "writing to /dev/kmsg needs root (euid %d)", os.Geteuid())
	}
}

func writeKmsg(t *testing.T, line string) {
	t.Helper()
	f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	if err != nil {
		testutil.SkipOrFail(t, "open /dev/kmsg for writing: %v", err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(line)); err != nil {
		t.Fatalf("write /dev/kmsg: %v", err)
	}
}

func token(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestLiveFollow writes records into /dev/kmsg from user space, sees the
// follow reader deliver them, and sees the summary file them under
// facility user: one of them imitates an OOM kill, which must not count.
// Then it cancels the blocked reader.
func TestLiveFollow(t *testing.T) {
	requireRoot(t)
	d := openLive(t, OpenOptions{Follow: true, FromEnd: true})
	tok := token(t)
	// "<3>" asks for facility kern; the kernel turns user writes with
	// facility 0 into facility user.
	lines := []string{
		fmt.Sprintf("<3>Out of memory: Killed process 4242 (bootinfo-%s) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB\n", tok),
		fmt.Sprintf("<30>bootinfo-test[1]: daemon info %s\n", tok),
		fmt.Sprintf("plain write %s\n", tok),
	}
	for _, l := range lines {
		writeKmsg(t, l)
	}
	s := NewSummary()
	ring := NewRing(8)
	var got []Record
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for len(got) < len(lines) {
		r, err := d.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		s.Add(r)
		ring.Add(r)
		if bytes.Contains([]byte(r.Message), []byte(tok)) {
			got = append(got, r)
		}
	}
	type fl struct {
		Facility Facility
		Level    Level
		Message  string
	}
	var gotFL []fl
	for _, r := range got {
		gotFL = append(gotFL, fl{r.Facility, r.Level, r.Message})
	}
	want := []fl{
		{FacilityUser, LevelErr, "Out of memory: Killed process 4242 (bootinfo-" + tok + ") total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB"},
		{FacilityDaemon, LevelInfo, "bootinfo-test[1]: daemon info " + tok},
		{FacilityUser, Level(defaultLevel(t)), "plain write " + tok},
	}
	if diff := cmp.Diff(want, gotFL); diff != "" {
		t.Errorf("followed records (-want +got):\n%s", diff)
	}
	snap := s.Snapshot()
	if snap.Problems[ProblemOOMKill].Count != 0 {
		t.Errorf("a user-space OOM look-alike counted: %+v", snap.Problems[ProblemOOMKill])
	}
	if snap.Facilities["user"] < 2 || snap.Facilities["daemon"] < 1 {
		t.Errorf("facilities %v", snap.Facilities)
	}
	if n := len(ring.Query(Query{SinceSeq: got[0].Seq})); n < 3 {
		t.Errorf("ring has %d records since %d", n, got[0].Seq)
	}

	// A blocked Next returns when its context is cancelled.
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := d.Next(ctx); err != nil {
				done <- err
				return
			}
		}
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel = %v, want context.Canceled", err)
	}
	// The reader still works afterwards.
	writeKmsg(t, "<14>after cancel "+tok+"\n")
	for {
		r, err := d.Next(context.Background())
		if err != nil {
			t.Fatalf("Next after cancel: %v", err)
		}
		if r.Message == "after cancel "+tok {
			break
		}
	}
}

// defaultLevel is the level the kernel gives a write without a prefix:
// the default message log level, the second field of
// /proc/sys/kernel/printk.
func defaultLevel(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/kernel/printk")
	if err != nil {
		t.Fatalf("default message level: %v", err)
	}
	var cur, def int
	if _, err := fmt.Sscan(string(b), &cur, &def); err != nil {
		t.Fatalf("parse /proc/sys/kernel/printk %q: %v", b, err)
	}
	return def
}

func TestOpenNotADevice(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kmsg"), []byte("6,0,0,-;x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFS(dir).Open(OpenOptions{}); err == nil {
		t.Error("opened a regular file as the kmsg device")
	}
	if _, err := NewFS(filepath.Join(dir, "missing")).Open(OpenOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v, want ErrNotExist", err)
	}
}

// TestOpenNotTheKernelLog: under another --path.dev, kmsg may be anything.
// A FIFO must not hold the open, and a character device other than the
// kernel log (a link to /dev/zero, which reads as endless malformed
// records) is refused, each with an error naming it.
func TestOpenNotTheKernelLog(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		make       func(string) error
	}{
		{"fifo", "not a character device", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"zero", "character device 1:5, not the kernel log", func(p string) error { return os.Symlink("/dev/zero", p) }},
		{"null", "character device 1:3, not the kernel log", func(p string) error { return os.Symlink("/dev/null", p) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tt.make(filepath.Join(dir, "kmsg")); err != nil {
				t.Fatal(err)
			}
			d, err := NewFS(dir).Open(OpenOptions{})
			if err == nil {
				d.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Join(dir, "kmsg")) {
				t.Errorf("error %q, want it to name the file and say %q", err, tt.want)
			}
		})
	}
}
