// Package kmsg decodes the Linux kernel log as /dev/kmsg presents it
// (Documentation/ABI/testing/dev-kmsg in the kernel tree) and summarises a
// boot from it.
//
// A record is "PRIORITY,SEQNUM,TIMESTAMP,FLAG[,caller=ID];MESSAGE" followed
// by " KEY=value" dictionary lines; ParseRecord decodes one. The device
// returns exactly one record per read(2) (see FS.Open); capture files hold
// records either newline-separated (`cat /dev/kmsg`) or NUL-separated
// (util-linux `dmesg --kmsg-file`), and CaptureReader reads both. Summary
// counts records, levels, facilities, boot milestones and kernel problems
// incrementally, and Ring keeps the last records for queries.
//
// The package decodes records itself rather than through
// github.com/euank/go-kmsg-parser (v3.0.0), because that library opens only
// the hard-coded /dev/kmsg, replaces the kernel's microsecond timestamp with
// a wall-clock time derived from one-second-resolution uptime, does not
// export its record parser, and drops facility, flags, caller, escapes and
// dictionary as well as the count of records lost on EPIPE.
package kmsg
