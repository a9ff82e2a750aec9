package history

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Limits on what ReadPstore reads: backends hold kilobytes (ramoops records
// default to a few KiB, EFI variables to 1 KiB), so a file past
// hostfile.LimitFirmware is no record but an error, and only so much of
// each record's text is kept for joining the parts of a dump.
const (
	maxPstoreFiles     = 512
	maxPstoreFileBytes = hostfile.LimitFirmware
	// maxPstoreTotalBytes bounds what one reading of pstore (or of the
	// archive) reads in all: 512 records of the largest size would be 2 GiB.
	maxPstoreTotalBytes = 32 << 20
	// maxBodyBytes bounds the text a record keeps for reassembling a dump
	// split into parts (EFI parts hold about 1 KiB, a whole ramoops boot
	// log 27 KiB in some 350 lines), each line charged its string header
	// too: 512 records keep 32 MiB at most. FirstLines and the verdict are
	// taken from the whole record.
	maxBodyBytes = 64 << 10
	// MaxFirstLines bounds End.FirstLines and PstoreRecord.FirstLines.
	MaxFirstLines = 16
	maxLineBytes  = 512
)

// PstoreDir returns the pstore mount point under a sysfs root
// ("/sys" on a host).
func PstoreDir(sysfsRoot string) string { return filepath.Join(sysfsRoot, PstoreName) }

// PstoreName is the pstore mount point relative to the sysfs root.
const PstoreName = "fs/pstore"

// PstoreRecord is one file of the pstore file system, decoded.
type PstoreRecord struct {
	// Name is the file name, TYPE-BACKEND-ID[.enc.z], with its directory
	// relative to the archive for ReadPstoreArchive.
	Name string `json:"name"`
	// Type is the record type: "dmesg", "console", "mce", "ftrace", "pmsg", ...
	Type string `json:"type"`
	// Backend is the storage: "ramoops", "efi", "efi_pstore", "erst", ...
	Backend string `json:"backend"`
	// ID is the backend's record number.
	ID string `json:"id"`
	// Compressed is set for ".enc.z" files, which the kernel could not
	// decompress; their text is not read.
	Compressed bool `json:"compressed,omitempty"`
	// Time is the file's modification time: the record's time when the
	// backend kept one, otherwise when pstore was mounted in this boot.
	Time time.Time `json:"time"`
	// Reason is the dump reason from the "REASON#COUNT PartN" header of a
	// dmesg record (Panic, Oops, Emergency, Shutdown, ...), or what the text
	// shows when there is no header ("Panic", "Oops"), or "MCE".
	Reason string `json:"reason,omitempty"`
	// Count is the dump counter and Part the part number from the header.
	Count int `json:"count,omitempty"`
	Part  int `json:"part,omitempty"`
	// Crash says whether the record shows that its boot died or was hurt:
	// a Panic, Oops or Emergency dump, a fatal machine check, or a console
	// log that ends in "Kernel panic".
	Crash bool `json:"crash"`
	// FirstLines is the header and the lines from the first crash marker
	// on (or the first lines when there is none), at most MaxFirstLines.
	FirstLines []string `json:"first_lines,omitempty"`

	// header and body are the record's text, kept to reassemble a dump
	// that the backend split into parts.
	header string
	body   []string
}

// Crash reasons of dmesg dump headers (kmsg_dump_reason_str); Shutdown and
// the older Restart, Halt and Poweroff are written only when
// printk.always_kmsg_dump is set, at an orderly end.
var crashReasons = map[string]bool{"Panic": true, "Oops": true, "Emergency": true}

var headerRE = regexp.MustCompile(`^([A-Za-z]+)#([0-9]+) Part([0-9]+)$`)

// ParsePstoreName splits a pstore file name into type, backend and ID (from
// the right, because type names such as "powerpc-ofw" contain dashes).
func ParsePstoreName(name string) (typ, backend, id string, compressed, ok bool) {
	base, compressed := strings.CutSuffix(name, ".enc.z")
	i := strings.LastIndexByte(base, '-')
	if i <= 0 {
		return "", "", "", false, false
	}
	id = base[i+1:]
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", "", "", false, false
	}
	j := strings.LastIndexByte(base[:i], '-')
	if j <= 0 || j+1 == i {
		return "", "", "", false, false
	}
	return base[:j], base[j+1 : i], id, compressed, true
}

// Crash markers the kernel prints. "Oops:" is the start of the oops line
// ("Oops: 0000 [#1] PREEMPT SMP"), not the word anywhere.
var panicMarkers = []string{"Kernel panic - not syncing"}
var oopsMarkers = []string{"Oops:", "BUG:", "general protection fault", "Unable to handle kernel", "kernel BUG at"}

// ParsePstoreRecord decodes one pstore file from its name, modification time
// and content. It never fails: a name it does not know gives a record of
// empty type that is no crash evidence.
func ParsePstoreRecord(name string, mtime time.Time, data []byte) PstoreRecord {
	r := PstoreRecord{Name: name, Time: mtime}
	typ, backend, id, compressed, ok := ParsePstoreName(name)
	if !ok {
		return r
	}
	r.Type, r.Backend, r.ID, r.Compressed = typ, backend, id, compressed
	if compressed {
		return r
	}
	var sc lineScan
	header := ""
	first := true
	eachLine(data, func(l string) {
		if first {
			first = false
			if m := headerRE.FindStringSubmatch(l); m != nil && typ == "dmesg" {
				header = l
				r.Reason = m[1]
				r.Count, _ = strconv.Atoi(m[2])
				r.Part, _ = strconv.Atoi(m[3])
				return
			}
		}
		sc.add(l)
	})
	r.header, r.body = header, sc.body()
	textReason := sc.reason
	switch typ {
	case "dmesg":
		if r.Reason == "" {
			r.Reason = textReason
		}
		r.Crash = crashReasons[r.Reason]
	case "console":
		// A console log exists after every boot; only a panic in it says the
		// boot died.
		if textReason == "Panic" {
			r.Reason, r.Crash = "Panic", true
		}
	case "mce":
		r.Reason, r.Crash = "MCE", true
	}
	r.FirstLines = sc.firstLines(header)
	return r
}

// lineScan takes a record's lines one at a time and keeps only what the
// record needs, so that memory stays bounded however many lines a file
// holds: its verdict (markerScan's), its first lines from the first marker
// on, and for reassembling a dump split into parts its last lines up to
// maxBodyBytes (each line charged its string header too).
type lineScan struct {
	n      int    // lines seen
	reason string // markerScan's reason
	start  int    // index of the first marker; valid when marked
	marked bool
	head   []string // the first MaxFirstLines lines
	from   []string // MaxFirstLines lines from the first marker on
	tail   []string // the newest lines, tail[drop:] kept
	drop   int
	bytes  int // cost of tail[drop:]
}

// lineCost is what keeping a line costs: its text and its string header.
func lineCost(l string) int { return len(l) + 16 }

func (s *lineScan) add(l string) {
	switch {
	case containsAny(l, panicMarkers):
		s.reason = "Panic"
		s.mark()
	case containsAny(l, oopsMarkers):
		if s.reason == "" {
			s.reason = "Oops"
		}
		s.mark()
	}
	if len(s.head) < MaxFirstLines {
		s.head = append(s.head, l)
	}
	if s.marked && len(s.from) < MaxFirstLines {
		s.from = append(s.from, l)
	}
	s.tail = append(s.tail, l)
	s.bytes += lineCost(l)
	for s.bytes > maxBodyBytes && s.drop < len(s.tail) {
		s.bytes -= lineCost(s.tail[s.drop])
		s.tail[s.drop] = ""
		s.drop++
	}
	if s.drop > len(s.tail)/2 && s.drop > 1024 {
		s.tail = append(s.tail[:0:0], s.tail[s.drop:]...)
		s.drop = 0
	}
	s.n++
}

func (s *lineScan) mark() {
	if !s.marked {
		s.marked, s.start = true, s.n
	}
}

// body returns the lines kept for reassembly.
func (s *lineScan) body() []string {
	if s.drop == 0 {
		return s.tail
	}
	return slices.Clone(s.tail[s.drop:])
}

// firstLines is firstLines(header, all lines, start) from what was kept.
func (s *lineScan) firstLines(header string) []string {
	lines := s.head
	if s.marked {
		lines = s.from
	}
	var out []string
	if header != "" {
		out = append(out, header)
	}
	for _, l := range lines {
		if len(out) >= MaxFirstLines {
			break
		}
		out = append(out, l)
	}
	return out
}

// markerScan returns the text's own verdict, "Panic" when a panic line
// appears anywhere, else "Oops" for any other crash marker, and where the
// crash report starts: the first marker of any kind, since an Oops or BUG
// usually precedes the panic it causes (-1: none).
func markerScan(body []string) (reason string, start int) {
	start = -1
	for i, l := range body {
		switch {
		case containsAny(l, panicMarkers):
			reason = "Panic"
		case containsAny(l, oopsMarkers):
			if reason == "" {
				reason = "Oops"
			}
		default:
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return reason, start
}

// firstLines is the header (if any) and up to MaxFirstLines lines of body
// from start (the beginning when start < 0).
func firstLines(header string, body []string, start int) []string {
	var out []string
	if header != "" {
		out = append(out, header)
	}
	for _, l := range body[max(start, 0):] {
		if len(out) >= MaxFirstLines {
			break
		}
		out = append(out, l)
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, m := range subs {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// eachLine calls fn with each line of text, dropping empty ones and
// invalid UTF-8 and cutting each at maxLineBytes, without holding more than
// one line at a time.
func eachLine(data []byte, fn func(string)) {
	for len(data) > 0 {
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		raw = bytes.TrimRight(raw, "\r\x00 ")
		if len(raw) == 0 {
			continue
		}
		if len(raw) > 4*maxLineBytes {
			// Invalid UTF-8 grows by at most 3 bytes a byte: what
			// survives the cut below lies in the first 4*maxLineBytes.
			raw = raw[:4*maxLineBytes]
		}
		l := strings.ToValidUTF8(string(raw), "\uFFFD")
		if len(l) > maxLineBytes {
			l = strings.ToValidUTF8(l[:maxLineBytes], "")
		}
		fn(l)
	}
}

// ReadPstore reads the records in a pstore directory. A directory that does
// not exist (no pstore on this host) gives an error wrapping fs.ErrNotExist;
// a directory or files that cannot be read (pstore needs root) give an error
// wrapping fs.ErrPermission, with the records that could be read. A file
// named like a record that is no regular file (a FIFO, a link leading
// nowhere inside dir) or is larger than hostfile.LimitFirmware is an error
// naming it, and never stops the others from being read. Paths resolve
// inside dir (see hostfile).
func ReadPstore(dir string) ([]PstoreRecord, error) {
	return ReadPstoreAt(hostfile.NewRoot(dir), ".")
}

// ReadPstoreAt is ReadPstore for the directory name below root, resolved
// inside root: PstoreName below the sysfs root on a host.
func ReadPstoreAt(root hostfile.Root, name string) ([]PstoreRecord, error) {
	ents, err := root.ReadDir(name)
	if err != nil {
		return nil, fmt.Errorf("history: pstore: %w", err)
	}
	var recs []PstoreRecord
	var errs []error
	budget := int64(maxPstoreTotalBytes)
	for _, e := range ents {
		if len(recs) >= maxPstoreFiles {
			errs = append(errs, fmt.Errorf("history: pstore: more than %d files, rest not read", maxPstoreFiles))
			break
		}
		if e.IsDir() {
			continue
		}
		if _, _, _, _, ok := ParsePstoreName(e.Name()); !ok {
			continue
		}
		if budget <= 0 {
			errs = append(errs, fmt.Errorf("history: pstore: %s read in all, rest not read", hostfile.FormatSize(maxPstoreTotalBytes)))
			break
		}
		rel := path.Join(name, e.Name())
		data, mtime, err := readRecordFile(root, rel, min(maxPstoreFileBytes, budget))
		if err != nil {
			errs = append(errs, fmt.Errorf("history: pstore: %w", err))
			continue
		}
		budget -= int64(len(data))
		recs = append(recs, ParsePstoreRecord(e.Name(), mtime, data))
	}
	return recs, errors.Join(errs...)
}

// readRecordFile reads one pstore record below root, up to limit bytes,
// with its modification time. Only a regular file is read; it is opened
// without blocking, so a FIFO or device put there is an error at once.
func readRecordFile(root hostfile.Root, name string, limit int64) ([]byte, time.Time, error) {
	fi, err := root.Stat(name)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, time.Time{}, &fs.PathError{Op: "open", Path: root.Path(name), Err: &hostfile.TypeError{Mode: fi.Mode(), Want: "regular file"}}
	}
	data, err := root.ReadFile(name, limit)
	if err != nil {
		return nil, time.Time{}, err
	}
	return data, fi.ModTime(), nil
}

// End states of the previous boot.
const (
	EndClean   = "clean"
	EndCrashed = "crashed"
	EndUnknown = "unknown"
)

// End is how the previous boot ended.
//
// State is the original, coarse answer, kept as it was: EndClean when the
// agent was stopped in order (or the kernel's own orderly dump is in
// pstore), EndCrashed when pstore holds the boot's crash, EndUnknown
// otherwise. Kind is the finer one (see JudgeKind): which shutdown the
// manager had queued, a watchdog reset, a crash, or unknown; a boot that
// ended clean but with no shutdown named is of kind unknown.
type End struct {
	// State is EndClean, EndCrashed or EndUnknown.
	State string `json:"state"`
	// Kind is KindReboot, KindPoweroff, KindHalt, KindKexec, KindWatchdog,
	// KindCrash or KindUnknown; empty until JudgeKind has run.
	Kind string `json:"kind,omitempty"`
	// KindDetail says what Kind was decided on.
	KindDetail string `json:"kind_detail,omitempty"`
	// Detail says why, in words.
	Detail string `json:"detail"`
	// LastAlive is when the agent last wrote the boot's checkpoint.
	LastAlive *time.Time `json:"last_alive,omitempty"`
	// StoppedAt is when the agent was stopped, from the checkpoint.
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	// KernelProblems counts the kernel problems of that boot by kind, as
	// its last checkpoint had them.
	KernelProblems map[string]uint64 `json:"kernel_problems,omitempty"`
	// LastKernelMessages are the boot's last kernel records at warning or
	// worse, oldest first, as its last checkpoint had them.
	LastKernelMessages []KernelMessage `json:"last_kernel_messages,omitempty"`
	// Watchdogs are the watchdog devices whose bootstatus says they reset
	// the machine.
	Watchdogs []WatchdogStatus `json:"watchdogs,omitempty"`
	// PstoreRecord names the pstore file that shows the crash.
	PstoreRecord string `json:"pstore_record,omitempty"`
	// Reason is that record's reason (Panic, Oops, Emergency, MCE), or
	// for a clean end known only from the kernel's orderly dump, that
	// dump's (Shutdown, Restart, Halt, Poweroff).
	Reason string `json:"reason,omitempty"`
	// CrashTime is that record's time.
	CrashTime *time.Time `json:"crash_time,omitempty"`
	// FirstLines are that record's first lines from the crash on.
	FirstLines []string `json:"first_lines,omitempty"`
}

// PreviousBootEnd tells how the previous boot ended from its record (nil
// when there is none) and the pstore directory (PstoreDir of the sysfs root).
func PreviousBootEnd(prev *Record, pstoreDir string) End {
	recs, err := ReadPstore(pstoreDir)
	return JudgeEnd(prev, recs, err)
}

// JudgeEnd is PreviousBootEnd on records already read; readErr is what
// ReadPstore returned.
//
// pstore records stay until someone deletes them (systemd-pstore archives
// and deletes them early in each boot; without it they pile up), so a record
// timed before the previous boot started belongs to an older boot and is
// ignored. A record timed after that counts for the previous boot even when
// its time lies in this boot: pstore shows only what the backend held when
// this boot mounted it, and a record without a time of its own (a ramoops
// console log) carries the mount time.
//
// The previous boot crashed when such a record shows a crash, unless it is
// only an Oops older than the boot's clean-shutdown mark (the system survived
// it and shut down in order). It ended cleanly when it carries a
// clean-shutdown mark and readable pstore shows no crash, or when pstore
// holds the kernel's own Shutdown (Restart, Halt, Poweroff) dump of that boot.
// Anything else is unknown: no previous record, pstore unreadable, or neither
// mark nor crash (power loss, reset, or the agent was not stopped at
// shutdown).
func JudgeEnd(prev *Record, recs []PstoreRecord, readErr error) End {
	noPstore := errors.Is(readErr, fs.ErrNotExist)
	var unreadable error
	if readErr != nil && !noPstore {
		unreadable = readErr
	}
	if prev == nil {
		e := End{State: EndUnknown, Detail: "no record of the previous boot"}
		if c := pickCrash(recs, time.Time{}); c != nil {
			e.Detail += fmt.Sprintf("; pstore holds a %s record from %s of an unknown boot", c.Reason, c.Time.UTC().Format(time.RFC3339))
			fillCrash(&e, c, recs)
		}
		return e
	}
	c := pickCrash(recs, prev.BootTime)
	clean := prev.CleanShutdownAt
	if c != nil {
		survived := c.Reason == "Oops" && clean != nil && c.Time.Before(*clean)
		if !survived {
			e := End{State: EndCrashed, Detail: fmt.Sprintf("pstore %s record %s at %s", c.Reason, c.Name, c.Time.UTC().Format(time.RFC3339))}
			fillCrash(&e, c, recs)
			return e
		}
		e := End{State: EndClean, Detail: fmt.Sprintf("clean shutdown at %s after an Oops at %s (pstore %s)",
			clean.UTC().Format(time.RFC3339), c.Time.UTC().Format(time.RFC3339), c.Name)}
		fillCrash(&e, c, recs)
		return e
	}
	if stale := countStale(recs, prev.BootTime); unreadable == nil && clean != nil {
		d := fmt.Sprintf("clean shutdown at %s", clean.UTC().Format(time.RFC3339))
		if noPstore {
			d += "; no pstore on this host"
		} else if stale > 0 {
			d += fmt.Sprintf("; %d pstore crash record(s) predate the previous boot", stale)
		}
		return End{State: EndClean, Detail: d}
	}
	if o := orderlyDump(recs, prev.BootTime); o != nil && clean == nil {
		// The kernel itself went down in order (printk.always_kmsg_dump
		// makes it dump at shutdown, restart, halt and power-off), even
		// though the agent was not stopped or could not record it.
		return End{State: EndClean, Detail: fmt.Sprintf("no clean shutdown mark, but pstore holds the kernel's %s dump %s from %s",
			o.Reason, o.Name, o.Time.UTC().Format(time.RFC3339)), PstoreRecord: o.Name, Reason: o.Reason}
	}
	switch {
	case unreadable != nil && clean != nil:
		return End{State: EndUnknown, Detail: fmt.Sprintf("clean shutdown mark at %s, but pstore cannot be read to rule out a later crash: %v",
			clean.UTC().Format(time.RFC3339), unreadable)}
	case unreadable != nil:
		return End{State: EndUnknown, Detail: fmt.Sprintf("no clean shutdown mark and pstore cannot be read: %v", unreadable)}
	case noPstore:
		return End{State: EndUnknown, Detail: "no clean shutdown mark and no pstore on this host: power loss, reset, or the agent was not stopped at shutdown"}
	default:
		return End{State: EndUnknown, Detail: "no clean shutdown mark and no crash record in pstore: power loss, reset, or the agent was not stopped at shutdown"}
	}
}

func fillCrash(e *End, c *PstoreRecord, recs []PstoreRecord) {
	e.PstoreRecord, e.Reason = c.Name, c.Reason
	t := c.Time
	e.CrashTime = &t
	e.FirstLines = slices.Clone(c.FirstLines)
	parts := dumpParts(recs, c)
	if len(parts) < 2 {
		return
	}
	var body []string
	for _, p := range parts {
		body = append(body, p.body...)
	}
	_, start := markerScan(body)
	e.FirstLines = firstLines(c.header, body, start)
	e.Detail += fmt.Sprintf(" (dump in %d parts)", len(parts))
}

// dumpWindow bounds how far apart the parts of one dump can be written: a
// slow backend (EFI variables under emulation) takes about a second a part.
const dumpWindow = 10 * time.Minute

// dumpParts returns the parts of the dump that c belongs to, oldest text
// first. pstore_dump writes the newest messages as Part1 and older ones as
// Part2, Part3, ..., all with the same reason and count; small backends
// (EFI variables hold about 1 KiB) split one panic into many parts, and the
// panic line is often not in Part1.
func dumpParts(recs []PstoreRecord, c *PstoreRecord) []*PstoreRecord {
	if c.Type != "dmesg" || c.Count == 0 || c.header == "" {
		return nil
	}
	byPart := map[int]*PstoreRecord{}
	for i := range recs {
		r := &recs[i]
		if r.Type != c.Type || r.Backend != c.Backend || r.Count != c.Count || r.Reason != c.Reason ||
			r.Compressed || r.header == "" || r.Time.Sub(c.Time).Abs() > dumpWindow {
			continue
		}
		// Of two records claiming one part (dumps of different boots that
		// share a count), keep the one closer in time to c.
		if o, ok := byPart[r.Part]; !ok || r.Time.Sub(c.Time).Abs() < o.Time.Sub(c.Time).Abs() {
			byPart[r.Part] = r
		}
	}
	parts := make([]*PstoreRecord, 0, len(byPart))
	for _, r := range byPart {
		parts = append(parts, r)
	}
	slices.SortFunc(parts, func(a, b *PstoreRecord) int { return b.Part - a.Part })
	return parts
}

// reasonRank orders crash evidence: the strongest reason first.
func reasonRank(reason string) int {
	switch reason {
	case "Panic":
		return 0
	case "Emergency":
		return 1
	case "MCE":
		return 2
	case "Oops":
		return 3
	}
	return 4
}

// pickCrash returns the strongest crash record timed at or after from (zero:
// any time): Panic before Emergency, MCE and Oops, then dmesg
// before console, then Part 1 (the newest messages, where the panic is),
// then the newest.
func pickCrash(recs []PstoreRecord, from time.Time) *PstoreRecord {
	var best *PstoreRecord
	better := func(a, b *PstoreRecord) bool {
		if ra, rb := reasonRank(a.Reason), reasonRank(b.Reason); ra != rb {
			return ra < rb
		}
		if (a.Type == "dmesg") != (b.Type == "dmesg") {
			return a.Type == "dmesg"
		}
		if a.Part != b.Part {
			return a.Part < b.Part
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.After(b.Time)
		}
		return a.Name < b.Name
	}
	for i := range recs {
		r := &recs[i]
		if !r.Crash || (!from.IsZero() && r.Time.Before(from)) {
			continue
		}
		if best == nil || better(r, best) {
			best = r
		}
	}
	return best
}

// orderlyReasons are the dump reasons of an orderly end of the kernel
// (kmsg_dump_reason_str; Restart, Halt and Poweroff before Linux 5.10).
var orderlyReasons = map[string]bool{"Shutdown": true, "Restart": true, "Halt": true, "Poweroff": true}

// orderlyDump returns the newest dmesg record of an orderly end timed at or
// after from.
func orderlyDump(recs []PstoreRecord, from time.Time) *PstoreRecord {
	var best *PstoreRecord
	for i := range recs {
		r := &recs[i]
		if r.Type != "dmesg" || !orderlyReasons[r.Reason] || r.Time.Before(from) {
			continue
		}
		if best == nil || r.Time.After(best.Time) {
			best = r
		}
	}
	return best
}

func countStale(recs []PstoreRecord, from time.Time) int {
	n := 0
	for _, r := range recs {
		if r.Crash && r.Time.Before(from) {
			n++
		}
	}
	return n
}
