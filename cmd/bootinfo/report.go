package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/report"
	"github.com/prometheus/common/version"
)

// writeReport prints v, the document or one section of it (named
// section), as the text report: the whole report, or that section's stage
// alone. The firmware stage alone adds the Secure Boot databases one
// certificate a line, as mokutil lists them.
func writeReport(w io.Writer, v any, section string) error {
	doc := v
	if section != "" {
		doc = map[string]any{section: v}
	}
	text, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	r, err := report.Build(text)
	if err != nil {
		return err
	}
	o := report.TextOptions{Color: report.UseColor(isTerminal(w), os.Getenv), Stage: report.StageFor(section)}
	if err := report.Text(w, r, o); err != nil {
		return err
	}
	if tv, ok := v.(collectors.TextViewer); ok && section == "firmware" {
		return writeTrustLines(w, tv.TextView())
	}
	return nil
}

// writeTrustLines prints the Secure Boot stores and the known CAs of the
// firmware section's text view as an outline.
func writeTrustLines(w io.Writer, view any) error {
	text, err := json.Marshal(view)
	if err != nil {
		return err
	}
	var trust struct {
		Stores   json.RawMessage `json:"secure_boot_stores,omitempty"`
		KnownCAs json.RawMessage `json:"secure_boot_known_cas,omitempty"`
	}
	if err := json.Unmarshal(text, &trust); err != nil {
		return err
	}
	if trust.Stores == nil && trust.KnownCAs == nil {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return writeText(w, trust)
}

// writeYAML prints v as YAML that reads back as its JSON.
func writeYAML(w io.Writer, v any) error {
	text, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return report.YAML(w, text)
}

// timelineFunc draws the boot timeline from a page's collections as SVG
// for the landing page; nil draws none.
type timelineFunc func(outcomes []collectors.Outcome) io.WriterTo

// landingHandler serves / as the report on one HTML page, with links to
// every endpoint and section. Links are relative, so that the page works
// behind a proxy that serves the agent below a path of its own.
func landingHandler(logger *slog.Logger, set *collectors.Set, telemetryPath string, timeline timelineFunc) http.Handler {
	links := []report.Link{
		{Href: strings.TrimPrefix(telemetryPath, "/"), Text: "Metrics", Description: "Prometheus metrics"},
		{Href: "bootinfo?pretty", Text: "Boot document", Description: "Every section as one JSON document"},
		{Href: strings.TrimPrefix(plotPath, "/"), Text: "Boot timeline", Description: "The boot's phases and slowest units as an SVG picture"},
		{Href: "healthz", Text: "Health", Description: "Liveness and readiness"},
	}
	names := set.Names()
	sectionHref := func(s string) string {
		if !contains(names, s) {
			return ""
		}
		return "bootinfo/" + s + "?pretty"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outcomes := set.Gather(r.Context())
		blocks, err := set.DocumentBlocks(outcomes)
		if blocks == nil {
			logger.Error("cannot encode the document", "err", err)
			http.Error(w, "cannot encode the document: "+err.Error(), http.StatusInternalServerError)
			return
		}
		doc, err := collectors.JoinText(blocks...)
		if err != nil {
			logger.Error("cannot read the encoded document", "err", err)
			http.Error(w, "cannot read the encoded document: "+err.Error(), http.StatusInternalServerError)
			return
		}
		rep, err := report.Build(doc)
		if err != nil {
			logger.Error("cannot build the report", "err", err)
			http.Error(w, "cannot build the report: "+err.Error(), http.StatusInternalServerError)
			return
		}
		o := report.PageOptions{Links: links, SectionHref: sectionHref, Version: version.Version}
		if timeline != nil {
			o.Timeline = timeline(outcomes)
		}
		var page bytes.Buffer
		if err := report.HTML(&page, rep, o); err != nil {
			logger.Error("cannot write the page", "err", err)
			http.Error(w, "cannot write the page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		// No script and no asset from anywhere: the page is one
		// document with inline CSS, and the browser is told so.
		writeGenerated(w, "text/html; charset=utf-8", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'", page.Bytes())
	})
}
