package main

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/gzipcat"
)

// Every JSON answer is encoded whole before its status is written: a
// value that cannot be encoded (a time past year 9999) is a 500 that says
// why, never a 200 with a body cut short; in the whole document, that
// section is left out and named in its errors.

// documentHandler serves the whole document, spliced from the sections
// the Set keeps encoded (see collectors.Set.DocumentBlocks).
func documentHandler(logger *slog.Logger, set *collectors.Set) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		blocks, err := set.DocumentBlocks(set.Gather(r.Context()))
		if blocks == nil {
			logger.Error("cannot encode the document", "err", err)
			writeJSON(logger, w, r, http.StatusInternalServerError, map[string]string{"error": "cannot encode the document: " + err.Error()})
			return
		}
		if err != nil {
			// Served without it, and said so in its errors.
			logger.Error("cannot encode a section of the document", "err", err)
		}
		writeJSONBlocks(logger, w, r, blocks)
	})
}

// sectionHandler serves /bootinfo/SECTION and, for collectors that answer
// queries, /bootinfo/SECTION/PATH.
func sectionHandler(logger *slog.Logger, set *collectors.Set) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, rest, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
		if name == "" || !contains(set.Names(), name) {
			writeJSON(logger, w, r, http.StatusNotFound, map[string]string{"error": "no such section: " + name, "sections": strings.Join(set.Names(), ",")})
			return
		}
		if rest == "" {
			o := set.Gather(r.Context(), name)[0]
			if o.Snapshot == nil || o.Snapshot.Section == nil {
				status, body := sectionResult(o)
				writeJSON(logger, w, r, status, body)
				return
			}
			blocks, err := set.SectionBlocks(o)
			if err != nil {
				logger.Error("cannot encode a section", "section", name, "err", err)
				writeJSON(logger, w, r, http.StatusInternalServerError, map[string]string{"error": "cannot encode the section: " + err.Error()})
				return
			}
			writeJSONBlocks(logger, w, r, blocks)
			return
		}
		v, err := set.Query(r.Context(), name, rest, r.URL.Query())
		switch {
		case err == nil:
			writeJSON(logger, w, r, http.StatusOK, v)
		case errors.Is(err, collectors.ErrNotFound):
			writeJSON(logger, w, r, http.StatusNotFound, map[string]string{"error": err.Error()})
		case errors.Is(err, collectors.ErrForbidden):
			writeJSON(logger, w, r, http.StatusForbidden, map[string]string{"error": err.Error()})
		case errors.Is(err, collectors.ErrBadRequest):
			writeJSON(logger, w, r, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case errors.Is(err, context.DeadlineExceeded):
			writeJSON(logger, w, r, http.StatusGatewayTimeout, map[string]string{"error": err.Error()})
		default:
			writeJSON(logger, w, r, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		}
	})
}

// pretty reports whether the request asks for indented JSON (?pretty).
func pretty(r *http.Request) bool {
	_, ok := r.URL.Query()["pretty"]
	return ok
}

// writeJSON encodes v as encoding/json's Encoder does (a newline at the
// end; indented with ?pretty) and writes it with status, or, when v cannot
// be encoded, logs why and answers 500 with the reason.
func writeJSON(logger *slog.Logger, w http.ResponseWriter, r *http.Request, status int, v any) {
	text, err := json.Marshal(v)
	if err != nil {
		logger.Error("cannot encode the answer", "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
		text, _ = json.Marshal(map[string]string{"error": "cannot encode the answer: " + err.Error()}) // strings always encode
	}
	writeJSONText(logger, w, r, status, append(text, '\n'))
}

// writeJSONBlocks writes a JSON body spliced from blocks with status 200:
// their compressed forms as one gzip member when the client accepts gzip,
// their text otherwise. ?pretty indents the text, which is then
// compressed per request.
func writeJSONBlocks(logger *slog.Logger, w http.ResponseWriter, r *http.Request, blocks []*collectors.Block) {
	if pretty(r) {
		text, err := collectors.JoinText(blocks...)
		if err != nil {
			writeJSON(logger, w, r, http.StatusInternalServerError, map[string]string{"error": "cannot read the encoded document: " + err.Error()})
			return
		}
		writeJSONText(logger, w, r, http.StatusOK, text)
		return
	}
	writeBlocks(w, http.StatusOK, "application/json", blocks, acceptsGzip(r.Header.Get("Accept-Encoding")))
}

// minGzip is the smallest JSON answer made per request that is
// compressed for a client that accepts gzip: below it the gzip framing
// costs about what it saves.
const minGzip = 1024

// writeJSONText writes compact JSON text (indented first with ?pretty)
// with status, compressed when the client accepts gzip and it is worth
// it.
func writeJSONText(logger *slog.Logger, w http.ResponseWriter, r *http.Request, status int, text []byte) {
	if pretty(r) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, text, "", "  "); err != nil {
			// Only the encoder's own output reaches here.
			logger.Error("cannot indent the answer", "path", r.URL.Path, "err", err)
		} else {
			text = buf.Bytes()
		}
	}
	block := &collectors.Block{Text: text}
	gz := len(text) >= minGzip && acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		block.Gzip = gzipcat.Compress(text, flate.BestSpeed)
	}
	writeBlocks(w, status, "application/json", []*collectors.Block{block}, gz)
}

// writeBlocks writes a body spliced from blocks with status: one gzip
// member made of their compressed forms when gz is set (the client
// accepts gzip), their text otherwise, with its length either way.
func writeBlocks(w http.ResponseWriter, status int, contentType string, blocks []*collectors.Block, gz bool) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Add("Vary", "Accept-Encoding")
	if gz {
		segs := make([]gzipcat.Segment, len(blocks))
		for i, b := range blocks {
			segs[i] = b.Gzip
		}
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.FormatInt(gzipcat.Size(segs...), 10))
		w.WriteHeader(status)
		_ = gzipcat.Write(w, segs...)
		return
	}
	var n int64
	for _, b := range blocks {
		n += b.Len()
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	for _, b := range blocks {
		// A block kept compressed is inflated as it is written; its own
		// compression cannot fail to inflate, and if it did the body
		// would end short of its Content-Length, which the client sees.
		if _, err := b.WriteText(w); err != nil {
			return
		}
	}
}
