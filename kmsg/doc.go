// Package kmsg decodes the Linux kernel log as /dev/kmsg presents it
// (Documentation/ABI/testing/dev-kmsg in the kernel tree) and summarises a
// boot from it.
//
// A record is "PRIORITY,SEQNUM,TIMESTAMP,FLAG[,caller=ID][,...];MESSAGE"
// followed by " KEY=value" dictionary lines; ParseRecord decodes one,
// splitting the priority into Facility and Level, keeping the timestamp in
// microseconds since boot as the kernel wrote it, and undoing the kernel's
// \xNN escapes.
//
// Sources of records:
//   - FS.Open reads the live device under an injected /dev root, one
//     read(2) per record. It opens without blocking and refuses anything
//     but the kernel's log device (character device 1:11): a FIFO, a
//     regular file or a link to /dev/zero under another --path.dev.
//     EPIPE (records overwritten under the reader) and EINVAL (a record
//     larger than the buffer, which the kernel skips) are counted as lost
//     from the sequence gap, EAGAIN ends a non-follow read, and a follow
//     read waits in the runtime poller until its context is done. Linux
//     only; elsewhere Open returns ErrUnsupported.
//   - Follower keeps reading the device for a long-running reader: to the
//     end of the log, then following it, opening it again with backoff
//     after a failure, and passing each record on once across reopenings.
//     It reports its restarts and last failure in State and through a
//     callback; it logs nothing itself.
//   - CaptureReader and ParseCapture read capture files in either form,
//     detected from the first record: newline-separated as `cat /dev/kmsg`
//     writes it, or NUL-separated as util-linux `dmesg --kmsg-file` reads
//     it. A record longer than MaxRecordSize (64 KiB) or one that does not
//     decode is skipped and reported, and reading goes on; after MaxJunk
//     (1 MiB) of input without a record that decodes it stops with
//     ErrNotCapture. OpenCapture opens a capture file named by the
//     operator (a regular file, FIFO or socket; no device) so that its
//     reads end when a context does, also while a pipe waits for a writer.
//
// AppendPrintable escapes a message for a terminal as util-linux dmesg
// does (\xNN for control bytes and bytes that are not UTF-8).
//
// Summary counts records, levels, facilities, sequence gaps, boot
// milestones and kernel problems (see Problem) incrementally in bounded
// memory; Ring keeps the last N records for queries. Both are safe for
// concurrent use. Only facility kern counts towards milestones and
// problems: user space may write any text into /dev/kmsg, but the kernel
// never lets it log as facility 0.
//
// The package decodes records itself rather than through
// github.com/euank/go-kmsg-parser (v3.0.0), which its tests use as a second
// reader of the live device: that library opens only the hard-coded
// /dev/kmsg and does not export its record parser, replaces the kernel's
// microsecond timestamp with a wall-clock time derived from
// one-second-resolution uptime, drops flags and caller, keeps the facility
// inside Priority and the dictionary inside the message text with its \xNN
// escapes, does not count the records lost on EPIPE, and stops at a record
// it cannot decode instead of skipping it.
package kmsg
