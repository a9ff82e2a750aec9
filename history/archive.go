package history

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
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
// A missing directory is no error: the host does not archive. Paths resolve
// inside dir; a record file that is no regular file or is larger than
// hostfile.LimitFirmware is an error naming it, and the others are read.
func ReadPstoreArchive(dir string, bootTime time.Time) ([]PstoreRecord, error) {
	return ReadPstoreArchiveAt(hostfile.NewRoot(dir), ".", bootTime)
}

// ReadPstoreArchiveAt is ReadPstoreArchive for the directory name below
// root, resolved inside root: SystemdPstoreArchive below the root file
// system on a host.
func ReadPstoreArchiveAt(root hostfile.Root, name string, bootTime time.Time) ([]PstoreRecord, error) {
	a := archiveWalk{root: root, top: name, bootTime: bootTime, budget: maxPstoreTotalBytes}
	if err := a.dir(".", 0); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		a.errs = append(a.errs, err)
	}
	if len(a.errs) > 0 {
		return a.recs, fmt.Errorf("history: pstore archive: %w", errors.Join(a.errs...))
	}
	return a.recs, nil
}

// archiveWalk is one reading of an archive: what it found, what failed, and
// how much it may still read.
type archiveWalk struct {
	root     hostfile.Root
	top      string
	bootTime time.Time
	recs     []PstoreRecord
	errs     []error
	seen     int
	budget   int64
	stopped  bool
}

// dir reads the archive's directory rel (depth levels below the top, at
// most 2: TIMESTAMP/COUNT). Only the top directory's failure is returned;
// the others are kept in a.errs.
func (a *archiveWalk) dir(rel string, depth int) error {
	ents, err := a.root.ReadDir(path.Join(a.top, rel))
	if err != nil {
		return err
	}
	for _, e := range ents {
		if a.stopped {
			return nil
		}
		if a.seen++; a.seen > maxArchiveEntries {
			a.errs = append(a.errs, fmt.Errorf("more than %d entries, rest not read", maxArchiveEntries))
			a.stopped = true
			return nil
		}
		r := path.Join(rel, e.Name())
		if e.IsDir() {
			if depth < 2 {
				if err := a.dir(r, depth+1); err != nil {
					a.errs = append(a.errs, err)
				}
			}
			continue
		}
		typ, backend, id, _, ok := ParsePstoreName(e.Name())
		if !ok {
			continue // dmesg.txt, which systemd-pstore assembles, and strays
		}
		a.file(r, typ, backend, id)
	}
	return nil
}

// file reads one archived record, rel below the top.
func (a *archiveWalk) file(rel, typ, backend, id string) {
	name := path.Join(a.top, rel)
	fi, err := a.root.Stat(name)
	if err != nil {
		a.errs = append(a.errs, err)
		return
	}
	if fi.ModTime().Before(a.bootTime) {
		return // archived in an earlier boot
	}
	if len(a.recs) >= maxPstoreFiles {
		a.errs = append(a.errs, fmt.Errorf("more than %d records, rest not read", maxPstoreFiles))
		a.stopped = true
		return
	}
	if a.budget <= 0 {
		a.errs = append(a.errs, fmt.Errorf("%s read in all, rest not read", hostfile.FormatSize(maxPstoreTotalBytes)))
		a.stopped = true
		return
	}
	data, mtime, err := readRecordFile(a.root, name, min(maxPstoreFileBytes, a.budget))
	if err != nil {
		a.errs = append(a.errs, err)
		return
	}
	a.budget -= int64(len(data))
	t := mtime
	if et, ok := efiRecordTime(typ, backend, id); ok {
		t = et
	}
	r := ParsePstoreRecord(path.Base(rel), t, data)
	r.Name = filepath.FromSlash(rel)
	a.recs = append(a.recs, r)
}

// maxRecordSec is 9999-12-31T23:59:59Z, the last time JSON can carry.
const maxRecordSec = 253402300799

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
	// Past the end of year 9999 a time has no RFC 3339 form, and the
	// history section could not be encoded at all.
	sec := n / 100000
	if sec > maxRecordSec {
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
	return judgeArchived(prev, recs, err, arch, aerr)
}

// PreviousBootEndOnHost is PreviousBootEndArchived for a host's roots:
// pstore is PstoreName below the sysfs root and the archive
// SystemdPstoreArchive below the root file system, each resolved inside
// its root.
func PreviousBootEndOnHost(prev *Record, sysfs, rootfs hostfile.Root, bootTime time.Time) End {
	recs, err := ReadPstoreAt(sysfs, PstoreName)
	arch, aerr := ReadPstoreArchiveAt(rootfs, SystemdPstoreArchive, bootTime)
	return judgeArchived(prev, recs, err, arch, aerr)
}

func judgeArchived(prev *Record, recs []PstoreRecord, err error, arch []PstoreRecord, aerr error) End {
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
