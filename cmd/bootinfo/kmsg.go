package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/kmsg"
)

type kmsgFlags struct {
	file   string
	follow bool
	levels string
	format string
}

// recordSource yields records until io.EOF.
type recordSource interface {
	Next(ctx context.Context) (kmsg.Record, error)
}

type captureSource struct{ r *kmsg.CaptureReader }

func (c captureSource) Next(context.Context) (kmsg.Record, error) { return c.r.Next() }

// kmsgCommand prints the kernel log as dmesg does, or as JSON with the
// summary the kmsg collector computes.
func kmsgCommand(stdout, stderr io.Writer, o options, f kmsgFlags) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "bootinfo kmsg: "+format+"\n", args...)
		return 1
	}
	levels, err := collectors.ParseKmsgLevels(f.levels)
	if err != nil {
		return fail("--level: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	var src recordSource
	if f.file != "" {
		if f.follow {
			return fail("--follow reads the live device; it does not go with --file")
		}
		fh, err := os.Open(f.file)
		if err != nil {
			return fail("%v", err)
		}
		defer fh.Close()
		src = captureSource{kmsg.NewCaptureReader(fh)}
	} else {
		dev, err := kmsg.NewFS(o.paths.DevFS).Open(kmsg.OpenOptions{Follow: f.follow})
		if err != nil {
			return fail("%v%s", err, kmsg.PermissionHint(err))
		}
		defer dev.Close()
		src = dev
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	summary := kmsg.NewSummary()
	records := []collectors.KmsgRecord{}
	jsonLines := f.format == "json" && f.follow
	enc := json.NewEncoder(out)
	bad := 0
	for {
		r, err := src.Next(ctx)
		if errors.Is(err, io.EOF) || (err != nil && ctx.Err() != nil) {
			break
		}
		if err != nil {
			if errors.Is(err, kmsg.ErrMalformed) {
				// Decode what is valid; report what is not, and go on.
				bad++
				fmt.Fprintf(stderr, "bootinfo kmsg: %v\n", err)
				continue
			}
			out.Flush()
			return fail("%v", err)
		}
		summary.Add(r)
		if levels != nil && !levels[r.Level] {
			continue
		}
		switch {
		case f.format == "text":
			// As dmesg: every line of a multi-line message gets the stamp.
			for _, line := range strings.Split(r.Message, "\n") {
				fmt.Fprintf(out, "[%5d.%06d] %s\n", r.TimestampUsec/1e6, r.TimestampUsec%1e6, line)
			}
		case jsonLines:
			_ = enc.Encode(collectors.NewKmsgRecord(r))
		default:
			records = append(records, collectors.NewKmsgRecord(r))
		}
		if f.follow {
			out.Flush()
		}
	}
	if f.format == "json" && !jsonLines {
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"records": records, "summary": summary.Snapshot()}); err != nil {
			return fail("%v", err)
		}
	}
	if bad > 0 {
		out.Flush()
		return fail("%d malformed records skipped", bad)
	}
	return 0
}
