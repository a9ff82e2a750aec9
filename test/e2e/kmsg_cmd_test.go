package e2e

// `bootinfo kmsg` on hostile input (issue 13, item 7): oversized records,
// slow and endless pipes, /dev/zero, signals, and messages holding terminal
// escape sequences, which it must print as util-linux dmesg does.

import (
	"bufio"
	"bytes"
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
	"golang.org/x/sys/unix"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// runKmsg runs `bootinfo kmsg args...` to its end and returns its
// standard output, standard error and exit status.
func runKmsg(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(agent.Binary(t), append([]string{"kmsg"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// kernelEscape writes s as the kernel writes a message into /dev/kmsg:
// bytes below 0x20, from 0x7f, and the backslash as \xNN.
func kernelEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f || c == '\\' {
			fmt.Fprintf(&b, `\x%02x`, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// kmsgRecord is one record in /dev/kmsg form, its message kernel-escaped.
func kmsgRecord(seq int, msg string) string {
	return fmt.Sprintf("6,%d,%d,-;%s\n", seq, seq*1000, kernelEscape(msg))
}

// TestKmsgFileOversizedRecord: a 200,000-byte record between good ones is
// skipped and counted, and every record after it is printed; the status
// is 0. Before, the command stopped at it with status 1.
func TestKmsgFileOversizedRecord(t *testing.T) {
	huge := "6,2,2000,-;" + strings.Repeat("x", 200000-len("6,2,2000,-;"))
	recs := []string{kmsgRecord(1, "first"), huge + "\n", kmsgRecord(3, "third") + " SUBSYSTEM=usb\n", kmsgRecord(4, "fourth")}
	for _, tt := range []struct{ name, capture string }{
		{"newline", strings.Join(recs, "")},
		{"nul", strings.Join(recs, "\x00")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "capture")
			if err := os.WriteFile(path, []byte(tt.capture), 0o644); err != nil {
				t.Fatal(err)
			}
			out, errout, code := runKmsg(t, "--file", path)
			want := "[    0.001000] first\n[    0.003000] third\n[    0.004000] fourth\n"
			if code != 0 || out != want {
				t.Errorf("status %d, output:\n%s\nwant status 0 and:\n%s\nstderr: %s", code, out, want, errout)
			}
			if !strings.Contains(errout, "1 record skipped") {
				t.Errorf("stderr does not count the skipped record:\n%s", errout)
			}
			out, errout, code = runKmsg(t, "--file", path, "--format", "json")
			var doc struct {
				Records []struct {
					Seq uint64 `json:"seq"`
				} `json:"records"`
				Skipped int `json:"skipped"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
				t.Fatalf("json: status %d, %v\n%s\nstderr: %s", code, err, out, errout)
			}
			var seqs []uint64
			for _, r := range doc.Records {
				seqs = append(seqs, r.Seq)
			}
			if !cmp.Equal(seqs, []uint64{1, 3, 4}) || doc.Skipped != 1 {
				t.Errorf("json: records %v, skipped %d; want [1 3 4], 1", seqs, doc.Skipped)
			}
		})
	}
}

// startOnFIFO starts `bootinfo kmsg --file FIFO`. With writer it opens
// the FIFO for writing, as a blocking open does, once the process opened it
// to read, and returns that end. It returns once the process holds the
// FIFO open or waits in open(2) for a writer to come; it has its signal
// handlers by then. What it prints goes to p.Output, its standard error to
// the returned buffer.
func startOnFIFO(t *testing.T, writer bool) (*testutil.Process, string, *os.File, *testutil.SyncBuffer) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "kmsg.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(agent.Binary(t), "kmsg", "--file", fifo)
	var out, errb testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	p := testutil.StartProcess(t, "bootinfo kmsg", cmd)
	p.Output = &out
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stderr:\n%s", errb.String())
		}
	})
	opened := make(chan *os.File, 1)
	if writer {
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
			}
			opened <- w
		}()
	}
	testutil.WaitFor(t, "bootinfo kmsg to open the FIFO", func() error {
		if holdsOpen(p.PID(), fifo) || waitsForWriter(p.PID()) {
			return nil
		}
		return errors.New("not open yet")
	}, p)
	var w *os.File
	if writer {
		if w = <-opened; w == nil {
			t.FailNow()
		}
		t.Cleanup(func() { w.Close() })
	}
	return p, fifo, w, &errb
}

// holdsOpen tells whether process pid has path open.
func holdsOpen(pid int, path string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && l == path {
			return true
		}
	}
	return false
}

// waitsForWriter tells whether a thread of process pid waits in a
// blocking open(2) of a FIFO for a writer (the kernel's fifo_open).
func waitsForWriter(pid int) bool {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
	for _, w := range tasks {
		if b, err := os.ReadFile(w); err == nil && string(b) == "wait_for_partner" {
			return true
		}
	}
	return false
}

// exitCode returns the exit status Wait reported.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestKmsgFileSignals: SIGINT and SIGTERM end `bootinfo kmsg --file` while
// it waits on a FIFO, whether its writer is slow or has not come yet;
// what it read is printed and the status is 128 plus the signal. Before,
// both signals were ignored until the read returned, which a slow writer
// never lets happen.
func TestKmsgFileSignals(t *testing.T) {
	for _, tt := range []struct {
		name   string
		sig    syscall.Signal
		writer bool
	}{
		{"SIGINT/slow writer", syscall.SIGINT, true},
		{"SIGTERM/slow writer", syscall.SIGTERM, true},
		{"SIGINT/no writer yet", syscall.SIGINT, false},
		{"SIGTERM/no writer yet", syscall.SIGTERM, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, _, w, errb := startOnFIFO(t, tt.writer)
			want := ""
			if tt.writer {
				// Two whole records, and one the writer has not
				// finished: the reader waits for the rest.
				if _, err := io.WriteString(w, kmsgRecord(1, "one")+kmsgRecord(2, "two")+"6,3,3000,-;thr"); err != nil {
					t.Fatal(err)
				}
				want = "[    0.001000] one\n[    0.002000] two\n"
				// The signal comes once the reader has taken all of
				// it from the pipe: what it read is printed.
				testutil.WaitFor(t, "bootinfo kmsg to read the pipe", func() error {
					n, err := unix.IoctlGetInt(int(w.Fd()), unix.TIOCINQ)
					if err == nil && n > 0 {
						err = fmt.Errorf("%d bytes unread", n)
					}
					return err
				}, p)
			}
			if err := p.Cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, p.Wait()); code != 128+int(tt.sig) {
				t.Errorf("exit status %d, want %d", code, 128+int(tt.sig))
			}
			if got := p.Output.String(); got != want {
				t.Errorf("printed:\n%s\nwant:\n%s", got, want)
			}
			if !strings.Contains(errb.String(), "interrupted by "+tt.sig.String()) {
				t.Errorf("stderr does not say why it ended:\n%s", errb)
			}
		})
	}
}

// TestKmsgFileFIFOWriterCloses: a capture piped through a FIFO is read to
// the writer's end, the writer coming after the reader opened it.
func TestKmsgFileFIFOWriterCloses(t *testing.T) {
	p, fifo, _, _ := startOnFIFO(t, false)
	if err := os.WriteFile(fifo, []byte(kmsgRecord(1, "one")+kmsgRecord(2, "two")), 0); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, p.Wait()); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if got, want := p.Output.String(), "[    0.001000] one\n[    0.002000] two\n"; got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
}

// TestKmsgFileDevZero: NUL bytes are no records. /dev/zero itself is a
// character device, which --file refuses at once; the same bytes through
// a pipe end the command with an error after kmsg.MaxJunk (1 MiB) of them.
// Before, both spun at full CPU until SIGKILL.
func TestKmsgFileDevZero(t *testing.T) {
	t.Run("device", func(t *testing.T) {
		_, errout, code := runKmsg(t, "--file", "/dev/zero")
		if code != 1 || !strings.Contains(errout, "/dev/zero") || !strings.Contains(errout, "character device") {
			t.Errorf("status %d, stderr:\n%s", code, errout)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		p, fifo, w, errb := startOnFIFO(t, true)
		zero, err := os.Open("/dev/zero")
		if err != nil {
			t.Fatal(err)
		}
		defer zero.Close()
		copied := make(chan int64, 1)
		go func() {
			// Ends with EPIPE once the reader has gone.
			n, _ := io.Copy(w, zero)
			w.Close()
			copied <- n
		}()
		if code := exitCode(t, p.Wait()); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		if n := <-copied; n < 1<<20 {
			t.Errorf("gave up after %d bytes, before 1 MiB", n)
		}
		if out := p.Output.String(); out != "" {
			t.Errorf("printed %q", out)
		}
		if e := errb.String(); !strings.Contains(e, fifo) || !strings.Contains(e, "not a kernel log capture") {
			t.Errorf("stderr:\n%s", e)
		}
	})
	t.Run("kmsg device", func(t *testing.T) {
		if _, err := os.Stat("/dev/kmsg"); err != nil {
			t.Skip("no /dev/kmsg")
		}
		_, errout, code := runKmsg(t, "--file", "/dev/kmsg")
		if code != 1 || !strings.Contains(errout, "without --file") {
			t.Errorf("status %d, stderr:\n%s", code, errout)
		}
	})
}

// TestKmsgDeviceNotKmsg: --path.dev pointing at a directory whose kmsg is
// not the kernel log device fails at once with a message saying so: a
// link to /dev/zero (before, read for ever, one "malformed" line per 8 KiB),
// a FIFO (must not block the open) or a regular file.
func TestKmsgDeviceNotKmsg(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		make       func(path string) error
	}{
		{"zero", "not the kernel log", func(p string) error { return os.Symlink("/dev/zero", p) }},
		{"fifo", "not a character device", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"file", "not a character device", func(p string) error { return os.WriteFile(p, []byte(kmsgRecord(1, "x")), 0o600) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dev := t.TempDir()
			if err := tt.make(filepath.Join(dev, "kmsg")); err != nil {
				t.Fatal(err)
			}
			out, errout, code := runKmsg(t, "--path.dev="+dev)
			if code != 1 || out != "" || !strings.Contains(errout, tt.want) {
				t.Errorf("status %d, stdout %q, stderr:\n%s", code, out, errout)
			}
		})
	}
}

// escapeMessages hold what kernel messages may: terminal escape sequences
// (retitle, clear, colours), C0 and C1 controls, white space, DEL, NUL,
// UTF-8 text and format characters, bytes that are not UTF-8, unassigned
// code points, a backslash, and several lines.
var escapeMessages = []string{
	"title \x1b]0;pwned\x07 after",
	"csi \x1b[2J\x1b[H clear \x1b[31mred\x1b[0m",
	"tab\there cr\rX vt\vff\f end",
	"del\x7f nul\x00 bs\x08 bell\x07 esc\x1b",
	"utf8 é ✓ 😀 nbsp\u00a0 rlo\u202e lsep\u2028 pua\ue000",
	"c1 \u0085 \u009b invalid \xff\xfe overlong \xc0\x80 surrogate \xed\xa0\x80 unassigned \u0378 nonchar \uffff",
	`back\slash \x1b as text`,
	"multi\nline with \x1b[1m bold\nthird",
}

// TestKmsgEscapesLikeDmesg prints a capture whose messages hold control
// bytes and compares the output byte for byte with util-linux dmesg
// reading the same messages (dmesg -F reads the syslog(2) buffer form,
// "<N>[seconds] message", with the bytes raw). Before, bootinfo printed
// the bytes raw, so a message could retitle or clear the terminal.
func TestKmsgEscapesLikeDmesg(t *testing.T) {
	dmesg := testutil.Tool(t, "dmesg", "util-linux")
	dir := t.TempDir()
	var capture, syslog strings.Builder
	for i, m := range escapeMessages {
		seq := i + 1
		capture.WriteString(kmsgRecord(seq, m))
		fmt.Fprintf(&syslog, "<6>[%5d.%06d] %s\n", seq/1000, seq*1000%1e6, m)
	}
	capPath, sysPath := filepath.Join(dir, "kmsg.txt"), filepath.Join(dir, "syslog.txt")
	if err := os.WriteFile(capPath, []byte(capture.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sysPath, []byte(syslog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// In a UTF-8 locale dmesg prints UTF-8 text as it is; bootinfo does
	// as Go does, whatever the locale.
	theirs := testutil.Run(t, "", "env", "LC_ALL=C.UTF-8", dmesg, "-F", sysPath)
	ours, errout, code := runKmsg(t, "--file", capPath)
	if code != 0 {
		t.Fatalf("status %d: %s", code, errout)
	}
	if diff := cmp.Diff(strings.Split(string(theirs), "\n"), strings.Split(ours, "\n")); diff != "" {
		t.Errorf("differs from dmesg -F (-dmesg +bootinfo):\n%s", diff)
	}
	if i := strings.IndexAny(ours, "\x1b\x07\x00\x7f"); i >= 0 {
		t.Errorf("control byte %q printed raw at %d", ours[i], i)
	}
	if lines := strings.Count(ours, "\n"); lines != len(escapeMessages)+2 {
		t.Errorf("%d lines, want %d", lines, len(escapeMessages)+2)
	}
}

// TestKmsgFileJSONStreams: the JSON document is written as the records
// come, so a large capture does not grow the process. 100,000 records (11
// MB) go through a FIFO; once the process has read them all and waits for
// more, its peak resident memory (VmHWM) is below 48 MiB (it is about 19).
// Before, every record was kept until the end: about 85 MiB here, and
// 600 MiB for a 44 MB capture.
func TestKmsgFileJSONStreams(t *testing.T) {
	const n = 100000
	fifo := filepath.Join(t.TempDir(), "kmsg.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(agent.Binary(t), "kmsg", "--file", fifo, "--format", "json")
	cmd.Stdout = out
	p := testutil.StartProcess(t, "bootinfo kmsg", cmd)
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	bw := bufio.NewWriter(w)
	for i := range n {
		fmt.Fprintf(bw, "6,%d,%d,-;usb 1-1: new high-speed USB device number %d using xhci_hcd\n SUBSYSTEM=usb\n DEVICE=c189:%d\n", i, i*1000, i%128, i%256)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "bootinfo kmsg to read the pipe", func() error {
		n, err := unix.IoctlGetInt(int(w.Fd()), unix.TIOCINQ)
		if err == nil && n > 0 {
			err = fmt.Errorf("%d bytes unread", n)
		}
		return err
	}, p)
	res, err := p.Resources()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak resident memory %d KiB after %d records", res.PeakRSS>>10, n)
	if res.PeakRSS > 48<<20 {
		t.Errorf("peak resident memory %d KiB, want below 48 MiB", res.PeakRSS>>10)
	}
	w.Close()
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Records []struct {
			Seq int `json:"seq"`
		} `json:"records"`
		Summary struct {
			RecordsSeen int `json:"records_seen"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Records) != n || doc.Records[n-1].Seq != n-1 || doc.Summary.RecordsSeen != n {
		t.Errorf("%d records, summary saw %d; want %d", len(doc.Records), doc.Summary.RecordsSeen, n)
	}
}
