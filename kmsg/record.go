package kmsg

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrMalformed reports a record that does not follow the dev-kmsg format.
	ErrMalformed = errors.New("kmsg: malformed record")
	// ErrTruncated reports a capture record longer than MaxRecordSize;
	// the reader skips it and goes on.
	ErrTruncated = errors.New("kmsg: record too long")
)

// Facility is the syslog facility of a record: the priority value shifted
// right by three. The kernel itself always logs as facility 0 (kern); any
// other value was written by user space into /dev/kmsg.
type Facility uint8

// Syslog facilities (RFC 5424 numbering, as in <syslog.h>).
const (
	FacilityKern Facility = iota
	FacilityUser
	FacilityMail
	FacilityDaemon
	FacilityAuth
	FacilitySyslog
	FacilityLpr
	FacilityNews
	FacilityUucp
	FacilityCron
	FacilityAuthpriv
	FacilityFtp
	_ // 12 ntp, 13 security, 14 console, 15 solaris-cron: unnamed in <syslog.h>
	_
	_
	_
	FacilityLocal0
	FacilityLocal1
	FacilityLocal2
	FacilityLocal3
	FacilityLocal4
	FacilityLocal5
	FacilityLocal6
	FacilityLocal7
)

var facilityNames = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "", "", "", "",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// String returns the syslog name (kern, user, ..., local7), or
// "facilityN" for a number syslog does not name.
func (f Facility) String() string {
	if int(f) < len(facilityNames) && facilityNames[f] != "" {
		return facilityNames[f]
	}
	return "facility" + strconv.Itoa(int(f))
}

// Level is the syslog severity of a record: the low three bits of the
// priority value.
type Level uint8

// Syslog levels, most severe first.
const (
	LevelEmerg Level = iota
	LevelAlert
	LevelCrit
	LevelErr
	LevelWarning
	LevelNotice
	LevelInfo
	LevelDebug
)

var levelNames = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// String returns the syslog name of the level (emerg ... debug).
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "level" + strconv.Itoa(int(l))
}

// ParseLevel returns the level named s (as String prints it; "warn" and
// "error" are accepted too).
func ParseLevel(s string) (Level, bool) {
	switch s {
	case "warn":
		return LevelWarning, true
	case "error":
		return LevelErr, true
	}
	for i, n := range levelNames {
		if n == s {
			return Level(i), true
		}
	}
	return 0, false
}

// Flag is the dev-kmsg header's fourth field.
type Flag byte

// Flag values the ABI documents.
const (
	FlagNone         Flag = '-' // an ordinary record
	FlagContinuation Flag = 'c' // continues the previous record (LOG_CONT)
	FlagContinued    Flag = '+' // is continued by the next record (kernels before 4.9)
)

// String returns the flag as the header carries it.
func (f Flag) String() string { return string(rune(f)) }

// MarshalText encodes the flag as its one-character string.
func (f Flag) MarshalText() ([]byte, error) { return []byte{byte(f)}, nil }

// UnmarshalText decodes a one-character flag.
func (f *Flag) UnmarshalText(b []byte) error {
	if len(b) != 1 {
		return fmt.Errorf("%w: flag %q", ErrMalformed, b)
	}
	*f = Flag(b[0])
	return nil
}

// MarshalText encodes the facility by its syslog name.
func (f Facility) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText decodes a facility name as String prints it.
func (f *Facility) UnmarshalText(b []byte) error {
	s := string(b)
	for i, n := range facilityNames {
		if n != "" && n == s {
			*f = Facility(i)
			return nil
		}
	}
	if v, ok := strings.CutPrefix(s, "facility"); ok {
		if n, err := strconv.ParseUint(v, 10, 7); err == nil {
			*f = Facility(n)
			return nil
		}
	}
	return fmt.Errorf("%w: facility %q", ErrMalformed, b)
}

// MarshalText encodes the level by its syslog name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText decodes a level name (see ParseLevel).
func (l *Level) UnmarshalText(b []byte) error {
	v, ok := ParseLevel(string(b))
	if !ok {
		return fmt.Errorf("%w: level %q", ErrMalformed, b)
	}
	*l = v
	return nil
}

// Record is one decoded /dev/kmsg record.
type Record struct {
	// Facility and Level split the header's priority value.
	Facility Facility `json:"facility"`
	Level    Level    `json:"level"`
	// Seq is the record's 64-bit sequence number; gaps mean lost records.
	Seq uint64 `json:"seq"`
	// TimestampUsec is the monotonic time of the record in microseconds
	// since boot, exactly as the kernel wrote it.
	TimestampUsec uint64 `json:"timestamp_usec"`
	// Flag is the header's flags field: '-', 'c' or '+'.
	Flag Flag `json:"flag"`
	// Caller is the value of the optional caller= field: "T<pid>" for a
	// task, "C<cpu>" for a CPU context. Empty when the kernel was built
	// without CONFIG_PRINTK_CALLER.
	Caller string `json:"caller,omitempty"`
	// Message is the text with the kernel's \xNN escapes decoded; it may
	// hold newlines and bytes that are not UTF-8.
	Message string `json:"message"`
	// Dict holds the dictionary (" KEY=value" lines after the message) such
	// as SUBSYSTEM and DEVICE, values unescaped; nil when there are none.
	Dict map[string]string `json:"dict,omitempty"`
}

// Priority returns the syslog priority value (facility<<3 | level) as the
// header carried it.
func (r Record) Priority() int { return int(r.Facility)<<3 | int(r.Level) }

// Timestamp returns TimestampUsec as a duration since boot.
func (r Record) Timestamp() time.Duration {
	return time.Duration(r.TimestampUsec) * time.Microsecond
}

// Continuation reports whether the record carries the 'c' flag.
func (r Record) Continuation() bool { return r.Flag == FlagContinuation }

// ParseRecord decodes one record as one read(2) of /dev/kmsg returns it:
//
//	PRIORITY,SEQNUM,TIMESTAMP,FLAG[,caller=ID][,unknown...];MESSAGE\n
//	 KEY=VALUE\n ...
//
// The record's final newline is optional. Header fields after the flag that
// it does not know are ignored, as the ABI asks. Lines after the first that
// are not " KEY=value" are taken as further message lines, an empty one
// included: the kernel never writes them (it escapes newlines), but
// hand-made captures do, and util-linux reads them the same way.
func ParseRecord(b []byte) (Record, error) {
	var r Record
	semi := bytes.IndexByte(b, ';')
	if semi < 0 {
		return r, fmt.Errorf("%w: no ';' after the header", ErrMalformed)
	}
	if err := parseHeader(b[:semi], &r); err != nil {
		return Record{}, err
	}
	body := b[semi+1:]
	line, rest := cutLine(body)
	msg := unescape(line)
	var extra []byte
	for len(rest) > 0 {
		line, rest = cutLine(rest)
		if len(line) > 0 && line[0] == ' ' {
			if k, v, ok := bytes.Cut(line[1:], []byte{'='}); ok && len(k) > 0 {
				if r.Dict == nil {
					r.Dict = make(map[string]string, 2)
				}
				r.Dict[string(k)] = unescape(v)
				continue
			}
			// Not KEY=value: the ABI has no such line, so keep it as
			// message text rather than drop it silently.
		}
		if extra == nil {
			extra = append(extra, msg...)
		}
		extra = append(extra, '\n')
		extra = append(extra, unescape(line)...)
	}
	if extra != nil {
		msg = string(extra)
	}
	r.Message = msg
	return r, nil
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

func parseHeader(h []byte, r *Record) error {
	var fields [4][]byte
	for i := 0; i < 3; i++ {
		f, rest, ok := bytes.Cut(h, []byte{','})
		if !ok {
			return fmt.Errorf("%w: header %q has fewer than four fields", ErrMalformed, h)
		}
		fields[i], h = f, rest
	}
	flag, rest, more := bytes.Cut(h, []byte{','})
	fields[3] = flag

	prio, err := parseUint(fields[0], 1<<10-1)
	if err != nil {
		return fmt.Errorf("%w: priority %q", ErrMalformed, fields[0])
	}
	r.Facility, r.Level = Facility(prio>>3), Level(prio&7)
	if r.Seq, err = parseUint(fields[1], ^uint64(0)); err != nil {
		return fmt.Errorf("%w: sequence number %q", ErrMalformed, fields[1])
	}
	if r.TimestampUsec, err = parseUint(fields[2], ^uint64(0)); err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrMalformed, fields[2])
	}
	// The ABI documents '-', 'c' and '+'; an empty or longer field is
	// tolerated (only its first byte is kept) because the ABI promises
	// more fields may appear, and refusing the record loses its text.
	if len(flag) > 0 {
		r.Flag = Flag(flag[0])
	} else {
		r.Flag = FlagNone
	}
	for more {
		var f []byte
		f, rest, more = bytes.Cut(rest, []byte{','})
		if v, ok := bytes.CutPrefix(f, []byte("caller=")); ok {
			r.Caller = string(v)
		}
	}
	return nil
}

// parseUint parses a decimal number no larger than max without allocating.
func parseUint(b []byte, max uint64) (uint64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, strconv.ErrSyntax
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		d := uint64(c - '0')
		if n > (max-d)/10 {
			return 0, strconv.ErrRange
		}
		n = n*10 + d
	}
	return n, nil
}

// unescape decodes the kernel's \xNN escapes (it writes every byte below
// 0x20, from 0x7f, and the backslash itself so). A backslash not followed by
// x and two hex digits is kept literally, as util-linux does.
func unescape(b []byte) string {
	i := bytes.IndexByte(b, '\\')
	if i < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+3 < len(b) && b[i+1] == 'x' {
			hi, ok1 := unhex(b[i+2])
			lo, ok2 := unhex(b[i+3])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 3
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
