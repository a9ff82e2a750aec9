package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/alecthomas/kingpin/v2"
	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/bootinfo/bootinfo/plot"
	"github.com/bootinfo/bootinfo/systemd"
)

// plotPath serves the boot timeline picture alone.
const plotPath = "/bootinfo/plot.svg"

// addPlotFlags declares the timeline's flag, which serve and show share.
func addPlotFlags(app *kingpin.Application, units *int) {
	app.Flag("plot.units", fmt.Sprintf("How many units the boot timeline (%s, show --format svg) draws: the slowest to start during boot (0 to %d).", plotPath, plot.MaxUnits)).
		Default(strconv.Itoa(plot.DefaultSlowest)).IntVar(units)
}

// checkPlotFlags refuses a --plot.units out of range.
func checkPlotFlags(units int) error {
	if units < 0 || units > plot.MaxUnits {
		return fmt.Errorf("--plot.units must be from 0 to %d, got %d", plot.MaxUnits, units)
	}
	return nil
}

// plotInput builds the timeline from the gathered sections it is drawn
// from, systemd and kmsg; a section that failed or is disabled is left
// out, and the picture says so.
func plotInput(outcomes []collectors.Outcome, units int) plot.Input {
	var sd *systemd.Snapshot
	var ms *kmsg.Milestones
	for _, o := range outcomes {
		if o.Snapshot == nil {
			continue
		}
		switch sec := o.Snapshot.Section.(type) {
		case *collectors.SystemdSection:
			// The unit files alone (no manager) have no timeline.
			if sec.Source == collectors.SourceManager {
				sd = sec.Snapshot
			}
		case *collectors.KmsgSection:
			m := sec.Milestones
			ms = &m
		}
	}
	return plot.NewInput(sd, ms, units)
}

// plotHandler serves the timeline as an SVG document. The picture holds no
// script or external reference; the policy header keeps it so should a
// browser open it as a page.
func plotHandler(logger *slog.Logger, set *collectors.Set, units int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if err := plot.SVG(&b, plotInput(set.Gather(r.Context(), "systemd", "kmsg"), units)); err != nil {
			logger.Error("cannot draw the boot timeline", "err", err)
			http.Error(w, "cannot draw the boot timeline", http.StatusInternalServerError)
			return
		}
		writeGenerated(w, "image/svg+xml", "default-src 'none'; style-src 'unsafe-inline'", b.Bytes())
	})
}

// writeGenerated answers with a document bootinfo made, of content type
// ctype, under the Content-Security-Policy csp and without type sniffing.
func writeGenerated(w http.ResponseWriter, ctype, csp string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// pageTimeline draws the timeline for the page at /, from the collections
// the page's document came from; the page goes without it when it cannot
// be drawn.
func pageTimeline(logger *slog.Logger, units int) timelineFunc {
	return func(outcomes []collectors.Outcome) io.WriterTo {
		var b bytes.Buffer
		if err := plot.SVG(&b, plotInput(outcomes, units)); err != nil {
			logger.Error("cannot draw the boot timeline", "err", err)
			return nil
		}
		return &b
	}
}

// showPlot is show --format svg: collect once, write the timeline.
func showPlot(stdout, stderr io.Writer, logger *slog.Logger, o options, section string) int {
	if section != "" {
		fmt.Fprintln(stderr, "bootinfo: --format svg draws the boot timeline from the systemd and kmsg sections; it takes no section")
		return 2
	}
	var only []string
	for _, n := range []string{"systemd", "kmsg"} {
		if *o.enabled[n] {
			only = append(only, n)
		}
	}
	if len(only) == 0 {
		fmt.Fprintln(stderr, "bootinfo: --format svg needs the systemd or the kmsg collector")
		return 2
	}
	set := buildSet(logger, o, only...)
	if err := plot.SVG(stdout, plotInput(set.Gather(context.Background(), only...), o.plotUnits)); err != nil {
		fmt.Fprintf(stderr, "bootinfo: %v\n", err)
		return 1
	}
	return 0
}
