package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// FileName is the history file inside the state directory.
const FileName = "history.json"

// Defaults for the agent's --state.dir and the number of boots kept.
const (
	DefaultDir  = "/var/lib/bootinfo"
	DefaultKeep = 20
)

// tempPrefix starts the names of temporary files; Open removes leftovers of
// a write that a crash interrupted.
const tempPrefix = "." + FileName + ".tmp-"

// Store is the history of the last boots, kept in memory and, when the state
// directory allows, in FileName. It is safe for concurrent use within one
// process; it does not lock the file, so one agent owns a state directory.
type Store struct {
	dir  string
	keep int
	// readOnly is set by OpenReadOnly: nothing on disk is created,
	// removed, renamed or written.
	readOnly bool

	mu       sync.Mutex
	boots    []Record // newest first
	problems []error
	// readErr is set when an existing file could not be read: writing
	// would destroy a history we never saw.
	readErr error
	// now is the clock and limit the file size bound (MaxFileSize); tests
	// replace them.
	now   func() time.Time
	limit int
}

// Open loads the history kept in dir, keeping at most keep boots, for the
// agent that owns dir. It fails only for bad arguments: a missing directory
// is created, temporary files older than this process (an interrupted
// write's leftovers) are removed, and a corrupt,
// foreign or oversized history file is set aside (renamed to
// "history.json.corrupt-TIMESTAMP") and reported by Problems. A directory
// that cannot be created or read still yields a working in-memory Store;
// Problems says why and Record returns the error.
func Open(dir string, keep int) (*Store, error) { return open(dir, keep, false) }

// OpenReadOnly loads the history kept in dir as Open does, for a one-shot
// command that must change nothing on disk whatever it finds (the agent
// may own dir and be writing it): it creates, removes and renames nothing.
// A missing directory is an empty history; a file Open would set aside is
// left in place and reported by Problems; Record and MarkCleanShutdown
// fail with ErrReadOnly and change only the in-memory history.
func OpenReadOnly(dir string, keep int) (*Store, error) { return open(dir, keep, true) }

func open(dir string, keep int, readOnly bool) (*Store, error) {
	if dir == "" {
		return nil, errors.New("history: empty state directory")
	}
	if keep < 1 {
		return nil, fmt.Errorf("history: keep must be at least 1, got %d", keep)
	}
	s := &Store{dir: dir, keep: keep, readOnly: readOnly, now: time.Now, limit: MaxFileSize}
	s.load()
	return s, nil
}

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the history file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// load reads the file into s.boots, setting aside what it cannot use
// (reporting it, in a read-only store).
func (s *Store) load() {
	if !s.readOnly {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			// Nothing to read either; writes will fail the same way.
			s.problems = append(s.problems, fmt.Errorf("%w: create %s: %w", ErrNotWritable, s.dir, err))
			return
		}
		s.removeTemps()
	}
	b, err := readBounded(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrForeign):
		s.setAside(err)
		return
	case err != nil:
		s.readErr = fmt.Errorf("%w: %w", ErrUnavailable, err)
		s.problems = append(s.problems, s.readErr)
		return
	}
	boots, err := ParseFile(b)
	s.boots = boots
	if err != nil {
		// Keep what decoded; the original goes aside intact, and the next
		// write stores the valid records.
		s.setAside(err)
	}
	if len(s.boots) > s.keep {
		s.boots = s.boots[:s.keep]
	}
}

// readBounded reads dir's history file, at most MaxFileSize bytes
// (hostfile.LimitState), failing with ErrTooLarge past that, and with
// ErrForeign for anything but a regular file: a symbolic link planted there
// must not make a root agent read, or later report on, another file, and a
// FIFO or device must not block or feed it forever. The file is opened
// without blocking and resolved inside dir, so a link swapped in after the
// check cannot lead out of it either.
func readBounded(dir string) ([]byte, error) {
	name := filepath.Join(dir, FileName)
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file (%v)", ErrForeign, name, fi.Mode().Type())
	}
	b, err := hostfile.NewRoot(dir).ReadFile(FileName, MaxFileSize)
	switch {
	case errors.Is(err, hostfile.ErrTooLarge):
		return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.Is(err, hostfile.ErrNotRegular):
		return nil, fmt.Errorf("%w: %w", ErrForeign, err)
	}
	return b, err
}

// setAside renames the history file so that it is kept for a human but no
// longer read, and records why. A read-only store only records it.
func (s *Store) setAside(cause error) {
	if s.readOnly {
		s.problems = append(s.problems, fmt.Errorf("%w; left in place (read-only)", cause))
		return
	}
	aside := fmt.Sprintf("%s.corrupt-%s", s.Path(), s.now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(s.Path(), aside); err != nil {
		s.problems = append(s.problems, fmt.Errorf("%w; could not set it aside: %w", cause, err))
		return
	}
	s.problems = append(s.problems, fmt.Errorf("%w; set aside as %s", cause, filepath.Base(aside)))
	_ = syncDir(s.dir)
}

// processStart is when this process started, near enough: a temporary file
// older than it is a leftover of an earlier process's interrupted write.
var processStart = time.Now()

// writing holds the paths of the temporary files this process's writes
// have open. removeTemps leaves them alone whatever their times say: a
// file's times come from the kernel's coarse clock, which runs up to a
// tick (milliseconds) behind time.Now, so a file a write makes just after
// the process started can look older than processStart. A checkpoint
// written at start-up lost its file that way, under the Store's Open.
var writing sync.Map

// afterCreateTemp, when set (by tests), runs after writeAtomic has created
// its temporary file.
var afterCreateTemp func(path string)

// removeTemps deletes temporary files that an interrupted write left
// behind: those older than this process and not being written by it. A
// younger one belongs to a write in progress (another Store of this
// process, whose build was slow), which must not lose its file under it.
func (s *Store) removeTemps() {
	ents, err := hostfile.NewRoot(s.dir).ReadDir(".")
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), tempPrefix) || !e.Type().IsRegular() {
			continue
		}
		if _, busy := writing.Load(filepath.Join(s.dir, e.Name())); busy {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(processStart) {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

// Problems returns what went wrong while loading: files set aside (wrapping
// ErrCorrupt, ErrForeign, ErrVersion or ErrTooLarge), an unreadable file
// (ErrUnavailable), a directory that could not be created (ErrNotWritable).
// None of them stops the Store from working in memory.
func (s *Store) Problems() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.problems...)
}

// Boots returns copies of the recorded boots, newest first.
func (s *Store) Boots() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, len(s.boots))
	for i, r := range s.boots {
		out[i] = r.clone()
	}
	return out
}

// Record stores r as the current boot and returns the boot before it (nil
// when there is none). prev is valid even when err is not nil: err only says
// that the history could not be saved (ErrNotWritable, ErrUnavailable), and
// the in-memory history is updated regardless, so the caller still compares
// the boots and reports history persistence as disabled.
//
// Recording the same boot ID again (the agent restarted within one boot) does
// not add a record: the existing one takes r's facts but keeps its
// RecordedAt, its clean-shutdown mark is cleared because the boot goes on,
// and prev is the same boot as the first time.
func (s *Store) Record(r Record) (prev *Record, err error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	// A record must leave room for others; one this large is not a boot
	// description but a bug in the caller.
	if b, err := json.Marshal(r); err != nil || len(b) > s.limit/2 {
		return nil, fmt.Errorf("%w: boot %s encodes to %d bytes, limit %d (%v)", ErrInvalidRecord, r.BootID, len(b), s.limit/2, err)
	}
	r = r.clone()
	r.CleanShutdownAt = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.RecordedAt.IsZero() {
		r.RecordedAt = s.now().UTC()
	}
	idx := -1
	for i := range s.boots {
		if s.boots[i].BootID == r.BootID {
			idx = i
			break
		}
	}
	if idx >= 0 {
		r.RecordedAt = s.boots[idx].RecordedAt
		s.boots[idx] = r
		if idx+1 < len(s.boots) {
			p := s.boots[idx+1].clone()
			prev = &p
		}
	} else {
		if len(s.boots) > 0 {
			p := s.boots[0].clone()
			prev = &p
		}
		s.boots = append([]Record{r}, s.boots...)
		if len(s.boots) > s.keep {
			s.boots = s.boots[:s.keep]
		}
	}
	return prev, s.saveLocked()
}

// MarkCleanShutdown records that the boot bootID is ending cleanly at at: the
// agent calls it when systemd stops it at shutdown. It fails with
// ErrUnknownBoot for a boot never recorded, and with ErrNotWritable when the
// mark cannot be saved (it is still kept in memory).
func (s *Store) MarkCleanShutdown(bootID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.boots {
		if s.boots[i].BootID == bootID {
			t := at.UTC()
			s.boots[i].CleanShutdownAt = &t
			return s.saveLocked()
		}
	}
	return fmt.Errorf("%w: %s", ErrUnknownBoot, bootID)
}

// saveLocked writes the history atomically: a temporary file in the same
// directory, fsync, rename over FileName, fsync of the directory.
func (s *Store) saveLocked() error {
	if s.readOnly {
		return ErrReadOnly
	}
	if s.readErr != nil {
		return s.readErr
	}
	b, err := marshalFile(s.boots, s.limit)
	// Records too big to keep keep-many of them under MaxFileSize: drop the
	// oldest until the file fits, rather than stop recording.
	for errors.Is(err, ErrTooLarge) && len(s.boots) > 1 {
		s.boots = s.boots[:len(s.boots)-1]
		b, err = marshalFile(s.boots, s.limit)
	}
	if err != nil {
		return err
	}
	if err := writeAtomic(s.dir, FileName, b); err != nil {
		return fmt.Errorf("%w: %w", ErrNotWritable, err)
	}
	return nil
}

// writeAtomic replaces dir/name with b so that a crash at any point leaves
// either the old or the new content. The file is mode 0600: it holds serial
// numbers that the kernel shows to root only.
func writeAtomic(dir, name string, b []byte) (err error) {
	f, err := createTemp(dir)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
		writing.Delete(tmp)
	}()
	if afterCreateTemp != nil {
		afterCreateTemp(tmp)
	}
	// The *os.PathError of each step names the operation and the file.
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// createTemp creates a new temporary file in dir, mode 0600, as
// os.CreateTemp does, but with its path in writing before the file exists:
// removeTemps never sees it unmarked.
func createTemp(dir string) (*os.File, error) {
	for range 10000 {
		p := filepath.Join(dir, tempPrefix+strconv.FormatUint(rand.Uint64(), 36))
		if _, taken := writing.LoadOrStore(p, struct{}{}); taken {
			continue
		}
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, nil
		}
		writing.Delete(p)
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return nil, &os.PathError{Op: "createtemp", Path: filepath.Join(dir, tempPrefix+"*"), Err: fs.ErrExist}
}

// syncDir makes a rename in dir durable. O_DIRECTORY makes the open fail
// at once on anything but a directory (a FIFO put there would block a
// plain open).
func syncDir(dir string) error {
	d, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
