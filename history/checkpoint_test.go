package history

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCheckpointKeepsThePreviousBoot(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	a := NewCheckpointer(dir, "boot-a")
	for i := range 3 {
		c := Checkpoint{LastAlive: t0.Add(time.Duration(i) * time.Minute), KernelProblems: map[string]uint64{"io_error": uint64(i)},
			KernelMessages: []KernelMessage{{Seq: uint64(i), Level: "err", Message: "Buffer I/O error on dev sda1"}}}
		if err := a.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	// The same boot reads no previous checkpoint of its own.
	if c, err := PreviousCheckpoint(dir, "boot-a", ""); c != nil || err != nil {
		t.Fatalf("boot a sees %+v, %v", c, err)
	}
	// The next boot, before and after its own first write.
	b := NewCheckpointer(dir, "boot-b")
	for _, when := range []string{"before", "after"} {
		if when == "after" {
			if err := b.Write(Checkpoint{LastAlive: t0.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := PreviousCheckpoint(dir, "boot-b", "boot-a")
		if err != nil || c == nil {
			t.Fatalf("%s: %v, %v", when, c, err)
		}
		if c.BootID != "boot-a" || !c.LastAlive.Equal(t0.Add(2*time.Minute)) || c.KernelProblems["io_error"] != 2 || len(c.KernelMessages) != 1 {
			t.Errorf("%s: %+v", when, c)
		}
		if c, _ := PreviousCheckpoint(dir, "boot-b", "boot-other"); c != nil {
			t.Errorf("%s: a checkpoint of boot-a passed for boot-other", when)
		}
	}
	// A third boot: boot a's words are gone, boot b's are the previous.
	if err := NewCheckpointer(dir, "boot-c").Write(Checkpoint{LastAlive: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if c, err := PreviousCheckpoint(dir, "boot-c", ""); err != nil || c == nil || c.BootID != "boot-b" {
		t.Fatalf("boot c: %+v, %v", c, err)
	}
}

func TestCheckpointBounds(t *testing.T) {
	dir := t.TempDir()
	var msgs []KernelMessage
	for i := range 1000 {
		msgs = append(msgs, KernelMessage{Seq: uint64(i), Level: "warning", Message: strings.Repeat("\xff", 4000)})
	}
	problems := map[string]uint64{}
	for i := range 500 {
		problems[strings.Repeat("k", i)] = 1
	}
	if err := NewCheckpointer(dir, "b").Write(Checkpoint{LastAlive: time.Now(), KernelMessages: msgs, KernelProblems: problems}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, CheckpointFileName))
	if err != nil || fi.Size() > MaxCheckpointSize {
		t.Fatalf("%v, %v", fi, err)
	}
	c, err := ReadCheckpoint(dir, CheckpointFileName)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.KernelMessages) != MaxKernelMessages || c.KernelMessages[MaxKernelMessages-1].Seq != 999 || len(c.KernelProblems) > maxProblemKinds {
		t.Errorf("%d messages, the last %d; %d kinds", len(c.KernelMessages), c.KernelMessages[len(c.KernelMessages)-1].Seq, len(c.KernelProblems))
	}
	for _, m := range c.KernelMessages {
		if len(m.Message) > MaxKernelMessageBytes {
			t.Fatalf("message of %d bytes", len(m.Message))
		}
	}
}

func TestCheckpointWithheld(t *testing.T) {
	dir := t.TempDir()
	err := NewCheckpointer(dir, "b").Write(Checkpoint{LastAlive: time.Now(), MessagesWithheld: true,
		KernelMessages: []KernelMessage{{Level: "err", Message: "secret text"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, CheckpointFileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") || !strings.Contains(string(b), `"messages_withheld": true`) {
		t.Errorf("withheld checkpoint holds:\n%s", b)
	}
}

func TestCheckpointHostileFiles(t *testing.T) {
	cases := map[string]struct {
		make func(t *testing.T, p string)
		want error
	}{
		"link": {func(t *testing.T, p string) {
			target := filepath.Join(t.TempDir(), "elsewhere")
			if err := os.WriteFile(target, []byte(`{"schema":"bootinfo.checkpoint","version":1,"boot_id":"x"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		}, ErrForeign},
		"fifo": {func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrForeign},
		"huge": {func(t *testing.T, p string) {
			if err := os.WriteFile(p, make([]byte, MaxCheckpointSize+1), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrTooLarge},
		"garbage": {func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte("{\"schema\":"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrCorrupt},
		"foreign": {func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(`{"schema":"other"}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrForeign},
		"no boot": {func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(`{"schema":"bootinfo.checkpoint","version":1}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrCorrupt},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tc.make(t, filepath.Join(dir, CheckpointFileName))
			c, err := PreviousCheckpoint(dir, "now", "")
			if c != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %+v, %v; want %v", c, err, tc.want)
			}
			// The agent still writes its own, replacing what it cannot read.
			if err := NewCheckpointer(dir, "now").Write(Checkpoint{LastAlive: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if c, err := ReadCheckpoint(dir, CheckpointFileName); err != nil || c.BootID != "now" {
				t.Fatalf("after the write: %+v, %v", c, err)
			}
		})
	}
	if _, err := ReadCheckpoint(t.TempDir(), CheckpointFileName); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
