package history

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SystemdPstoreArchive is where systemd-pstore.service keeps what it moved
// out of pstore (pstore.conf Storage=external, the default), relative to the
// root file system.
const SystemdPstoreArchive = "var/lib/systemd/pstore"

// maxArchiveEntries bounds the walk of an archive that years of crashes
// filled.
const maxArchiveEntries = 10000

// ReadPstoreArchive reads the records that systemd-pstore archived during
// this boot, that is since bootTime. systemd-pstore runs early in every boot,
// copies each pstore file into dir (EFI records into TIMESTAMP/COUNT/, ERST
// records into FIRSTID/, others into dir itself, replacing the previous
// copy) and deletes it from pstore, so on such hosts /sys/fs/pstore is empty
// by the time the agent starts and the previous boot's records are the files
// archived since this boot began. A copy's modification time is when it was
// archived, so a record's time comes from its EFI ID where there is one and
// is the archival time otherwise (a record of the previous boot, or older).
// A missing directory is no error: the host does not archive.
func ReadPstoreArchive(dir string, bootTime time.Time) ([]PstoreRecord, error) {
	var recs []PstoreRecord
	var errs []error
	seen := 0
	root := filepath.Clean(dir)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			errs = append(errs, err)
			return nil
		}
		if seen++; seen > maxArchiveEntries {
			errs = append(errs, fmt.Errorf("history: pstore archive: more than %d entries, rest not read", maxArchiveEntries))
			return filepath.SkipAll
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel != "." && strings.Count(rel, string(filepath.Separator)) >= 2 {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		typ, backend, id, _, ok := ParsePstoreName(d.Name())
		if !ok {
			return nil // dmesg.txt, which systemd-pstore assembles, and strays
		}
		info, err := d.Info()
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if info.ModTime().Before(bootTime) {
			return nil // archived in an earlier boot
		}
		if len(recs) >= maxPstoreFiles {
			errs = append(errs, fmt.Errorf("history: pstore archive: more than %d records, rest not read", maxPstoreFiles))
			return filepath.SkipAll
		}
		data, err := readPrefix(path, maxPstoreFileBytes)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		t := info.ModTime()
		if et, ok := efiRecordTime(typ, backend, id); ok {
			t = et
		}
		r := ParsePstoreRecord(d.Name(), t, data)
		r.Name = rel
		recs = append(recs, r)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return recs, fmt.Errorf("history: pstore archive: %w", errors.Join(errs...))
	}
	return recs, nil
}

// efiRecordTime decodes the time in an efi-pstore record ID:
// (seconds * 100 + part) * 1000 + count (generic_id in
// drivers/firmware/efi/efi-pstore.c).
func efiRecordTime(typ, backend, id string) (time.Time, bool) {
	if typ != "dmesg" || (backend != "efi" && backend != "efi_pstore") {
		return time.Time{}, false
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n < 100000 {
		return time.Time{}, false
	}
	sec := n / 100000
	if sec > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(int64(sec), 0), true
}

// PreviousBootEndArchived is PreviousBootEnd for hosts where systemd-pstore
// empties pstore at boot: it judges the records in pstoreDir together with
// those archived in archiveDir (SystemdPstoreArchive under the root file
// system) since bootTime, this boot's start.
func PreviousBootEndArchived(prev *Record, pstoreDir, archiveDir string, bootTime time.Time) End {
	recs, err := ReadPstore(pstoreDir)
	arch, aerr := ReadPstoreArchive(archiveDir, bootTime)
	recs = append(recs, arch...)
	switch {
	case aerr == nil:
	case err == nil || errors.Is(err, fs.ErrNotExist):
		// An unreadable archive is as bad as unreadable pstore.
		err = aerr
	default:
		err = errors.Join(err, aerr)
	}
	if len(arch) > 0 && errors.Is(err, fs.ErrNotExist) {
		err = nil // pstore is not mounted, but its archive answers
	}
	return JudgeEnd(prev, recs, err)
}
