package history

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrCorrupt means the history file is not valid JSON or holds an
	// invalid record. The file was set aside (left in place by a
	// read-only Store), as for ErrForeign, ErrVersion and ErrTooLarge.
	ErrCorrupt = errors.New("history: corrupt history file")
	// ErrForeign means the file is JSON but not a bootinfo history: no
	// or another schema name. The file was set aside.
	ErrForeign = errors.New("history: not a bootinfo history file")
	// ErrVersion means the file names a schema version this package does
	// not read. The file was set aside.
	ErrVersion = errors.New("history: unsupported schema version")
	// ErrTooLarge means the file exceeds MaxFileSize. The file was set
	// aside unread.
	ErrTooLarge = errors.New("history: history file too large")
	// ErrNotWritable means the state directory cannot be written (read-only
	// or full file system, permissions). The in-memory history still works;
	// the caller reports history as disabled. The underlying error is
	// wrapped too, so errors.Is(err, syscall.ENOSPC) and the like work.
	ErrNotWritable = errors.New("history: state directory not writable")
	// ErrUnavailable means the existing history file could not be read (for
	// example permission denied); the store refuses to overwrite it.
	ErrUnavailable = errors.New("history: history file unreadable")
	// ErrReadOnly means the Store was opened with OpenReadOnly: the
	// in-memory history changed, nothing was written.
	ErrReadOnly = errors.New("history: store opened read-only")
	// ErrUnknownBoot means no record has the boot ID asked for.
	ErrUnknownBoot = errors.New("history: no record of this boot")
	// ErrInvalidRecord means a Record lacks its boot ID or boot time.
	ErrInvalidRecord = errors.New("history: invalid record")
)
