package sysv

import (
	"encoding/binary"
	"fmt"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// glibc's struct utmp on x86-64 and aarch64 (bits/utmp.h, utmp(5)): 384
// bytes, little-endian, with 32-bit ut_session and ut_tv as on every 64-bit
// glibc target that keeps utmp compatible with its 32-bit ABI.
const (
	utmpSize = 384
	utType   = 0 // 00h short ut_type
	utPid    = 4 // 04h pid_t ut_pid
	// 08h ut_line[32], 28h ut_id[4], 2Ch ut_user[32], 4Ch ut_host[256],
	// 14Ch ut_exit, 150h ut_session, 154h ut_tv, 15Ch ut_addr_v6[4],
	// 16Ch reserved[20].

	runLvl = 1 // RUN_LVL: a change of runlevel
)

// MaxUtmpBytes bounds the read of /run/utmp: 2730 records. init and login
// programs reuse a record per terminal line, so a real one holds a few dozen.
const MaxUtmpBytes = hostfile.LimitConfig

// Runlevel reads root's /run/utmp (glibc struct utmp, x86-64/aarch64 layout, 384-byte records)
// and returns the last RUN_LVL record's runlevel ("3", "5", "S"...) and previous runlevel; ok false
// when there is none. Bounded read.
//
// The previous runlevel is "N" when init recorded none, as runlevel(8)
// prints it. A missing /run/utmp (the usual case on a root mounted for
// rescue, whose /run is empty) is an error wrapping fs.ErrNotExist; one
// larger than MaxUtmpBytes one wrapping hostfile.ErrTooLarge.
func Runlevel(root string) (current, previous string, ok bool, err error) {
	data, err := hostfile.NewRoot(root).ReadFile("run/utmp", MaxUtmpBytes)
	if err != nil {
		return "", "", false, fmt.Errorf("sysv: %w", err)
	}
	current, previous, ok = ParseUtmp(data)
	return current, previous, ok, nil
}

// ParseUtmp returns the runlevels of the last RUN_LVL record in data, a utmp
// or wtmp file. sysvinit and systemd store the runlevel characters in ut_pid:
// the current one in its low byte, the previous one in the next. A record
// whose current runlevel is not a printable character is skipped; a partial
// record at the end (a file cut short) is ignored, as glibc's getutent does.
func ParseUtmp(data []byte) (current, previous string, ok bool) {
	for len(data) >= utmpSize {
		rec := data[:utmpSize]
		data = data[utmpSize:]
		if int16(binary.LittleEndian.Uint16(rec[utType:])) != runLvl {
			continue
		}
		pid := binary.LittleEndian.Uint32(rec[utPid:])
		cur, prev := byte(pid), byte(pid>>8)
		if !printable(cur) {
			continue
		}
		current, previous, ok = string(rune(cur)), "N", true
		if printable(prev) {
			previous = string(rune(prev))
		}
	}
	return current, previous, ok
}

func printable(c byte) bool { return c > ' ' && c < 0x7f }
