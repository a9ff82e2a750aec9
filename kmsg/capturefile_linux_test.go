package kmsg

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "capture.fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenCaptureFIFO reads a capture through a real FIFO as a blocking
// open would: it does not hold the open, waits for a writer that has not
// come yet (no early EOF), reads what it writes, ends when it closes, and
// a done context ends a read that waits for more.
func TestOpenCaptureFIFO(t *testing.T) {
	t.Run("writer comes later", func(t *testing.T) {
		fifo := mkfifo(t)
		f, err := OpenCapture(context.Background(), fifo)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		type result struct {
			b   []byte
			err error
		}
		done := make(chan result, 1)
		go func() {
			b, err := io.ReadAll(f)
			done <- result{b, err}
		}()
		// The open below blocks until a reader has the FIFO open, which
		// OpenCapture did; the reader must still be waiting for it.
		if err := os.WriteFile(fifo, []byte("6,1,1,-;one\n"), 0); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil || string(r.b) != "6,1,1,-;one\n" {
			t.Errorf("read %q, %v", r.b, r.err)
		}
	})
	t.Run("writer comes and goes", func(t *testing.T) {
		fifo := mkfifo(t)
		f, err := OpenCapture(context.Background(), fifo)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Errorf("read %d, %v; want 0, EOF", n, err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		fifo := mkfifo(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f, err := OpenCapture(ctx, fifo)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if _, err := w.WriteString("6,1,1,-;one\n6,2,2,-;two\n6,3,3,"); err != nil {
			t.Fatal(err)
		}
		c := NewCaptureReader(f)
		var seqs []uint64
		for range 2 {
			r, err := c.Next()
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, r.Seq)
		}
		// The third record is not whole: Next waits for the writer
		// until the context ends.
		go cancel()
		if _, err := c.Next(); !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel: %v", err)
		}
		if !cmp.Equal(seqs, []uint64{1, 2}) {
			t.Errorf("records %v", seqs)
		}
	})
}

// TestOpenCaptureRefuses: devices and directories are no capture files;
// /dev/zero would never end, /dev/kmsg is read without --file.
func TestOpenCaptureRefuses(t *testing.T) {
	for _, p := range []string{"/dev/zero", "/dev/null", "/dev/kmsg", t.TempDir()} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		f, err := OpenCapture(context.Background(), p)
		if err == nil {
			f.Close()
			t.Errorf("%s: opened", p)
			continue
		}
		var pe *fs.PathError
		if !errors.Is(err, ErrNotCaptureFile) || !errors.As(err, &pe) || pe.Path != p {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := OpenCapture(context.Background(), filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestOpenCaptureRegular reads a regular file, and stops at once when the
// context is done.
func TestOpenCaptureRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), "capture")
	if err := os.WriteFile(p, []byte("6,1,1,-;one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f, err := OpenCapture(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "6,1,1,-;one\n" {
		t.Fatalf("%q, %v", b, err)
	}
	cancel()
	if _, err := f.Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
}
