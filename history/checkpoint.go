package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Checkpoint files in the state directory. The agent rewrites
// CheckpointFileName with this boot's last words; when it finds there a
// checkpoint of another boot, it first renames that file to
// PreviousCheckpointFileName, so that the previous boot's last words stay
// readable whichever the agent or a one-shot command reads first.
const (
	CheckpointFileName         = "checkpoint.json"
	PreviousCheckpointFileName = "checkpoint-previous.json"
	// CheckpointSchema names the checkpoint format; CheckpointVersion is
	// the version this package writes and reads.
	CheckpointSchema  = "bootinfo.checkpoint"
	CheckpointVersion = 1
)

// Bounds on a checkpoint: MaxCheckpointSize on the file, read or written;
// MaxKernelMessages messages of at most MaxKernelMessageBytes each;
// maxProblemKinds kinds, each name at most maxKindBytes.
const (
	MaxCheckpointSize     = 128 << 10
	MaxKernelMessages     = 50
	MaxKernelMessageBytes = 512
	maxProblemKinds       = 64
	maxKindBytes          = 64
)

// Shutdown kinds: how a boot ended. KindReboot, KindPoweroff, KindHalt and
// KindKexec are the manager's shutdown target queued when the agent was
// stopped; KindWatchdog is a reset by a hardware watchdog (its bootstatus
// in this boot); KindCrash is a kernel crash that pstore kept; KindUnknown
// is anything else (power loss, a hang ended by a reset button, a stop
// without a shutdown queued).
const (
	KindReboot   = "reboot"
	KindPoweroff = "poweroff"
	KindHalt     = "halt"
	KindKexec    = "kexec"
	KindWatchdog = "watchdog"
	KindCrash    = "crash"
	KindUnknown  = "unknown"
)

// Kinds lists every shutdown kind, in the order metrics list them.
var Kinds = []string{KindReboot, KindPoweroff, KindHalt, KindKexec, KindWatchdog, KindCrash, KindUnknown}

// KernelMessage is one kernel log record kept in a checkpoint.
type KernelMessage struct {
	Seq uint64 `json:"seq"`
	// Level is the record's level name ("warning", "err", ...).
	Level string `json:"level"`
	// TimeUS is the record's time in microseconds since boot.
	TimeUS uint64 `json:"time_us"`
	// Message is the text, at most MaxKernelMessageBytes of valid UTF-8.
	Message string `json:"message"`
}

// Stop is what the agent recorded when it was stopped.
type Stop struct {
	// At is when the agent was stopped.
	At time.Time `json:"at"`
	// Kind is the shutdown the manager had queued then (KindReboot,
	// KindPoweroff, KindHalt or KindKexec), or empty when it named none
	// or could not be asked.
	Kind string `json:"kind,omitempty"`
	// Detail says what the manager was asked and what it answered.
	Detail string `json:"detail,omitempty"`
}

// Checkpoint is a boot's last words: what the agent saw of it at its last
// write. The agent writes one at most once a minute and when it is
// stopped.
type Checkpoint struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	// BootID is the boot the checkpoint describes.
	BootID string `json:"boot_id"`
	// LastAlive is when the checkpoint was written.
	LastAlive time.Time `json:"last_alive"`
	// KernelProblems counts the kernel problems logged in that boot, by
	// kind; nil when the kernel log was not read.
	KernelProblems map[string]uint64 `json:"kernel_problems,omitempty"`
	// KernelMessages are the newest kernel records at warning or worse,
	// oldest first.
	KernelMessages []KernelMessage `json:"last_kernel_messages,omitempty"`
	// MessagesWithheld says that message text was not stored
	// (--no-collector.kmsg.records).
	MessagesWithheld bool `json:"messages_withheld,omitempty"`
	// Stop is set by the write made when the agent was stopped.
	Stop *Stop `json:"stop,omitempty"`
}

// normalize bounds c's contents and fills its schema, so that what is
// written is always within MaxCheckpointSize.
func (c *Checkpoint) normalize() {
	c.Schema, c.Version = CheckpointSchema, CheckpointVersion
	c.LastAlive = c.LastAlive.UTC()
	if len(c.KernelMessages) > MaxKernelMessages {
		c.KernelMessages = c.KernelMessages[len(c.KernelMessages)-MaxKernelMessages:]
	}
	msgs := make([]KernelMessage, len(c.KernelMessages))
	for i, m := range c.KernelMessages {
		m.Message = cutUTF8(m.Message, MaxKernelMessageBytes)
		m.Level = cutUTF8(m.Level, maxKindBytes)
		msgs[i] = m
	}
	c.KernelMessages = msgs
	if c.MessagesWithheld {
		c.KernelMessages = nil
	}
	if c.KernelProblems != nil {
		p := map[string]uint64{}
		for _, k := range slices.Sorted(maps.Keys(c.KernelProblems)) {
			if len(p) == maxProblemKinds {
				break
			}
			p[cutUTF8(k, maxKindBytes)] = c.KernelProblems[k]
		}
		c.KernelProblems = p
	}
	if c.Stop != nil {
		s := *c.Stop
		s.At = s.At.UTC()
		s.Kind = cutUTF8(s.Kind, maxKindBytes)
		s.Detail = cutUTF8(s.Detail, MaxKernelMessageBytes)
		c.Stop = &s
	}
}

// cutUTF8 returns s as valid UTF-8 of at most n bytes.
func cutUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// ParseCheckpoint decodes a checkpoint file. A file that is too large, not
// JSON, of another schema or version, or without a boot ID is an error.
func ParseCheckpoint(b []byte) (*Checkpoint, error) {
	if len(b) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: checkpoint of %d bytes, limit %d", ErrTooLarge, len(b), MaxCheckpointSize)
	}
	var c Checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: checkpoint: %w", ErrCorrupt, err)
	}
	switch {
	case c.Schema != CheckpointSchema:
		return nil, fmt.Errorf("%w: checkpoint schema %.64q", ErrForeign, c.Schema)
	case c.Version != CheckpointVersion:
		return nil, fmt.Errorf("%w: checkpoint version %d, this agent reads %d", ErrVersion, c.Version, CheckpointVersion)
	case c.BootID == "" || len(c.BootID) > 128:
		return nil, fmt.Errorf("%w: checkpoint without a valid boot_id", ErrCorrupt)
	}
	c.normalize()
	return &c, nil
}

// ReadCheckpoint reads the checkpoint file name in dir, at most
// MaxCheckpointSize bytes, resolved inside dir and opened without blocking;
// anything but a regular file is an error wrapping ErrForeign. A missing
// file is an error wrapping fs.ErrNotExist.
func ReadCheckpoint(dir, name string) (*Checkpoint, error) {
	root := hostfile.NewRoot(dir)
	// A symbolic link planted there must not make a root agent read
	// another file.
	fi, err := os.Lstat(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file (%v)", ErrForeign, root.Path(name), fi.Mode().Type())
	}
	b, err := root.ReadFile(name, MaxCheckpointSize)
	switch {
	case errors.Is(err, hostfile.ErrTooLarge):
		return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.Is(err, hostfile.ErrNotRegular):
		return nil, fmt.Errorf("%w: %w", ErrForeign, err)
	case err != nil:
		return nil, err
	}
	c, err := ParseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root.Path(name), err)
	}
	return c, nil
}

// PreviousCheckpoint returns the last words of the boot before current,
// from dir: the checkpoint of prevBootID, or when that is empty (no record
// of the previous boot) of any boot but current. It looks at
// CheckpointFileName first, then at PreviousCheckpointFileName, which is
// where the agent of this boot moves it. It returns nil and no error when
// there is none; an error says why a file could not be used.
func PreviousCheckpoint(dir, current, prevBootID string) (*Checkpoint, error) {
	var errs []error
	for _, name := range []string{CheckpointFileName, PreviousCheckpointFileName} {
		c, err := ReadCheckpoint(dir, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.BootID == current || (prevBootID != "" && c.BootID != prevBootID) {
			continue
		}
		return c, nil
	}
	return nil, errors.Join(errs...)
}

// Checkpointer writes one boot's checkpoints into a state directory. It is
// not safe for concurrent use: the agent writes from one goroutine at a
// time.
type Checkpointer struct {
	dir, bootID string
	rotated     bool
}

// NewCheckpointer returns a Checkpointer for boot bootID in dir.
func NewCheckpointer(dir, bootID string) *Checkpointer {
	return &Checkpointer{dir: dir, bootID: bootID}
}

// Write stores c (for the Checkpointer's boot) atomically in
// CheckpointFileName: a temporary file, fsync, rename, fsync of the
// directory. The first Write moves a checkpoint of another boot found there
// to PreviousCheckpointFileName first. A checkpoint that would pass
// MaxCheckpointSize loses its oldest messages until it fits.
func (w *Checkpointer) Write(c Checkpoint) error {
	c.BootID = w.bootID
	c.normalize()
	b, err := json.MarshalIndent(c, "", "  ")
	for err == nil && len(b)+1 > MaxCheckpointSize && len(c.KernelMessages) > 0 {
		c.KernelMessages = c.KernelMessages[1:]
		b, err = json.MarshalIndent(c, "", "  ")
	}
	if err != nil {
		return fmt.Errorf("history: checkpoint: %w", err)
	}
	if len(b)+1 > MaxCheckpointSize {
		return fmt.Errorf("%w: checkpoint of %d bytes, limit %d", ErrTooLarge, len(b)+1, MaxCheckpointSize)
	}
	if !w.rotated {
		if err := w.rotate(); err != nil {
			return err
		}
		w.rotated = true
	}
	if err := writeAtomic(w.dir, CheckpointFileName, append(b, '\n')); err != nil {
		return fmt.Errorf("%w: %w", ErrNotWritable, err)
	}
	return nil
}

// rotate moves a checkpoint of another boot aside, so that the previous
// boot's last words survive this boot's first write. A file that cannot be
// read as a checkpoint is left to be replaced.
func (w *Checkpointer) rotate() error {
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrNotWritable, err)
	}
	c, err := ReadCheckpoint(w.dir, CheckpointFileName)
	if err != nil || c.BootID == w.bootID {
		return nil
	}
	if err := os.Rename(filepath.Join(w.dir, CheckpointFileName), filepath.Join(w.dir, PreviousCheckpointFileName)); err != nil {
		return fmt.Errorf("%w: keeping the previous boot's checkpoint: %w", ErrNotWritable, err)
	}
	if err := syncDir(w.dir); err != nil {
		return fmt.Errorf("%w: fsync %s: %w", ErrNotWritable, w.dir, err)
	}
	return nil
}
