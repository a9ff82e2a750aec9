package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/kmsg"
)

type kmsgFlags struct {
	file   string
	follow bool
	levels string
	format string
	// forcePrefix stamps every line of a multi-line message, as dmesg
	// --force-prefix does; otherwise later lines are indented under the
	// first, as dmesg prints them by default.
	forcePrefix bool
}

// recordSource yields records until io.EOF.
type recordSource interface {
	Next(ctx context.Context) (kmsg.Record, error)
}

type captureSource struct{ r *kmsg.CaptureReader }

func (c captureSource) Next(context.Context) (kmsg.Record, error) { return c.r.Next() }

// maxErrorLines is how many skipped records kmsgCommand describes on
// standard error; the rest are only counted.
const maxErrorLines = 10

// kmsgCommand prints the kernel log as dmesg does, or as JSON with the
// summary the kmsg collector computes.
//
// Records that do not decode, or are longer than kmsg.MaxRecordSize, are
// skipped: the first few are described on standard error, all are counted
// there and in the JSON document's "skipped", and the records after them
// are printed; the exit status stays 0. A capture in which kmsg.MaxJunk
// bytes in a row hold no record (/dev/zero through a pipe, a file of
// another kind) ends the command with status 1, as does a read error.
// SIGINT and SIGTERM end it at once, even while it waits for a slow pipe:
// what was read is printed, and the status is 128 plus the signal's
// number (0 with --follow, which a signal is the way to end).
//
// --no-collector.kmsg.records withholds message text here as everywhere:
// only --format json without --follow runs, and prints no records, the
// summary with the messages it quotes blanked, and "messages_withheld".
func kmsgCommand(stdout, stderr io.Writer, o options, f kmsgFlags) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "bootinfo kmsg: "+format+"\n", args...)
		return 1
	}
	levels, err := collectors.ParseKmsgLevels(f.levels)
	if err != nil {
		return fail("--level: %v", err)
	}
	withhold := !o.collectorConfig.Kmsg.Records
	if withhold && (f.format != "json" || f.follow) {
		return fail("kernel message text is withheld (--no-collector.kmsg.records); --format json without --follow prints the summary without it")
	}
	ctx, interrupted, stop := signalContext()
	defer stop()

	var src recordSource
	name := f.file // what messages about the records name
	if f.file != "" {
		if f.follow {
			return fail("--follow reads the live device; it does not go with --file")
		}
		fh, err := kmsg.OpenCapture(ctx, f.file)
		if err != nil {
			return fail("%v", err)
		}
		defer fh.Close()
		src = captureSource{kmsg.NewCaptureReader(fh)}
	} else {
		fsys := kmsg.NewFS(o.paths.DevFS)
		name = fsys.Path()
		dev, err := fsys.Open(kmsg.OpenOptions{Follow: f.follow})
		if err != nil {
			return fail("%v%s", err, kmsg.PermissionHint(err))
		}
		defer dev.Close()
		src = dev
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	summary := kmsg.NewSummary()
	// The JSON document is written as the records come, so that memory
	// does not grow with the capture: {"records": [...], "skipped": N,
	// "summary": {...}}, indented as json.Encoder indents it.
	records := 0
	if f.format == "json" && !f.follow {
		out.WriteString("{\n  \"records\": [")
	}
	jsonLines := f.format == "json" && f.follow
	enc := json.NewEncoder(out)
	skipped := 0
	var line, header []byte
	var readErr error
	// Once ctx is done a source returns its error at its next read: the
	// records it holds already, a buffer's worth at most, are printed.
	for {
		r, err := src.Next(ctx)
		if errors.Is(err, io.EOF) || (err != nil && ctx.Err() != nil) {
			break
		}
		if err != nil {
			if errors.Is(err, kmsg.ErrMalformed) || errors.Is(err, kmsg.ErrTruncated) {
				// Decode what is valid; report what is not, and go on.
				if skipped++; skipped <= maxErrorLines {
					fmt.Fprintf(stderr, "bootinfo kmsg: %s: skipped %v\n", name, collectors.WithholdKmsgError(err, !withhold))
				}
				continue
			}
			readErr = err
			break
		}
		summary.Add(r)
		if levels != nil && !levels[r.Level] {
			continue
		}
		switch {
		case f.format == "text":
			line = kmsg.AppendPrintable(line[:0], r.Message)
			header = appendDmesgLine(out, header[:0], r.TimestampUsec, line, f.forcePrefix)
		case jsonLines:
			_ = enc.Encode(collectors.NewKmsgRecord(r))
		case withhold:
		default:
			b, err := json.MarshalIndent(collectors.NewKmsgRecord(r), "    ", "  ")
			if err != nil {
				return fail("%v", err)
			}
			if records++; records > 1 {
				out.WriteByte(',')
			}
			out.WriteString("\n    ")
			out.Write(b)
		}
		if f.follow {
			out.Flush()
		}
	}
	if f.format == "json" && !jsonLines {
		if records > 0 {
			out.WriteString("\n  ")
		}
		snap := summary.Snapshot()
		if withhold {
			collectors.WithholdKmsgText(&snap)
		}
		sum, err := json.MarshalIndent(snap, "  ", "  ")
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(out, "],\n  \"skipped\": %d,\n  \"summary\": %s", skipped, sum)
		if withhold {
			out.WriteString(",\n  \"messages_withheld\": true")
		}
		out.WriteString("\n}\n")
	}
	out.Flush()
	if skipped > 0 {
		noun := "records"
		if skipped == 1 {
			noun = "record"
		}
		fmt.Fprintf(stderr, "bootinfo kmsg: %s: %d %s skipped: malformed, or longer than %d bytes\n", name, skipped, noun, kmsg.MaxRecordSize)
	}
	switch sig := interrupted(); {
	case errors.Is(readErr, kmsg.ErrNotCapture):
		return fail("%s: %v", name, readErr)
	case readErr != nil:
		return fail("%v", readErr)
	case sig != nil && !f.follow:
		fmt.Fprintf(stderr, "bootinfo kmsg: interrupted by %v\n", sig)
		return 128 + int(sig.(syscall.Signal))
	}
	return 0
}

// appendDmesgLine writes one record's escaped message as util-linux dmesg
// prints it: "[seconds.micros] " before the first line, and before every
// later line of a multi-line message the same header (forcePrefix, dmesg
// --force-prefix) or as many spaces (dmesg's default). header is scratch
// space, returned for reuse.
func appendDmesgLine(out *bufio.Writer, header []byte, usec uint64, msg []byte, forcePrefix bool) []byte {
	header = fmt.Appendf(header, "[%5d.%06d] ", usec/1e6, usec%1e6)
	n := len(header)
	for i, l := range bytes.Split(msg, []byte{'\n'}) {
		if i == 1 && !forcePrefix {
			for j := range header {
				header[j] = ' '
			}
		}
		out.Write(header[:n])
		out.Write(l)
		out.WriteByte('\n')
	}
	return header
}

// signalContext returns a context that SIGINT or SIGTERM cancels, a
// function that tells which signal did, and one that stops listening.
// After the first signal the default action is back, so a second one ends
// the process whatever it is doing.
func signalContext() (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	var got atomic.Value
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			got.Store(sig)
			signal.Stop(sigs)
			cancel()
		case <-done:
		}
	}()
	interrupted := func() os.Signal {
		sig, _ := got.Load().(os.Signal)
		return sig
	}
	return ctx, interrupted, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
