package nfd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// File keeps one feature file up to date, writing it only when it must:
// nfd-worker watches the directory and relabels the node at every change,
// and a write wears the disk.
type File struct {
	// Dir and Name place the file: Dir/Name.
	Dir, Name string
	// Comment heads the file (see Render).
	Comment string
	// Expiry, when not zero, is how long after each write nfd-worker
	// keeps the labels: if the writer stops, they go with the next
	// relabelling after it. The file is written again once half of it has
	// passed, so that while the writer runs they never expire.
	Expiry time.Duration

	body    []byte    // the labels last written
	written time.Time // when, zero until a write succeeds
}

// Update writes the file when labels differ from those last written, when
// the last write failed or none was made yet, when half the Expiry has
// passed since, or when the file is gone. It reports whether it wrote, and
// the error of the write, or of labels it left out (see Body): the others
// are still written.
func (f *File) Update(labels []Label, now time.Time) (wrote bool, err error) {
	body, bodyErr := Body(labels)
	due := f.written.IsZero() || !bytes.Equal(body, f.body) ||
		f.Expiry > 0 && now.Sub(f.written) >= f.Expiry/2
	if !due {
		if _, statErr := os.Lstat(filepath.Join(f.Dir, f.Name)); statErr != nil {
			due = true
		}
	}
	if !due {
		return false, bodyErr
	}
	var expires time.Time
	if f.Expiry > 0 {
		expires = now.Add(f.Expiry)
	}
	if err := WriteFile(f.Dir, f.Name, Render(f.Comment, expires, body)); err != nil {
		f.written = time.Time{}
		return false, errors.Join(err, bodyErr)
	}
	f.body, f.written = body, now
	return true, bodyErr
}
