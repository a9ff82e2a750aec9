package main

import (
	"compress/flate"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/gzipcat"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// metricsHandler serves /metrics. The text format, which Prometheus asks
// for unless told to scrape protobuf, is written from the Set's blocks:
// each collector's series encoded and compressed once per snapshot, then
// spliced with the few that change every scrape (success, duration, the
// agent's own) into one gzip member or one plain body. Other formats, and
// the unexpected case of a family name in two blocks, go to fallback, the
// client library's handler over the merged families.
func metricsHandler(logger *slog.Logger, set *collectors.Set, own prometheus.Gatherer, fallback http.Handler, maxRequests int) http.Handler {
	ownBlock := &sharedGather{g: own}
	var inFlight chan struct{}
	if maxRequests > 0 {
		inFlight = make(chan struct{}, maxRequests)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
		if format.FormatType() != expfmt.TypeTextPlain {
			fallback.ServeHTTP(w, r)
			return
		}
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", maxRequests), http.StatusServiceUnavailable)
				return
			}
		}
		blocks, err := set.Exposition(r.Context())
		if errors.Is(err, collectors.ErrDuplicateFamily) {
			logger.Error("serving merged families", "err", err)
			fallback.ServeHTTP(w, r)
			return
		}
		if err != nil {
			logger.Error("error gathering metrics", "err", err)
		}
		b, err := ownBlock.get()
		if err != nil {
			logger.Error("error gathering the agent's own metrics", "err", err)
		}
		if b != nil {
			blocks = append(blocks, b)
		}
		if err := collectors.CheckDisjoint(blocks...); err != nil {
			logger.Error("serving merged families", "err", err)
			fallback.ServeHTTP(w, r)
			return
		}

		h := w.Header()
		h.Set("Content-Type", string(format))
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			segs := make([]gzipcat.Segment, len(blocks))
			for i, b := range blocks {
				segs[i] = b.Gzip
			}
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", strconv.FormatInt(gzipcat.Size(segs...), 10))
			_ = gzipcat.Write(w, segs...)
			return
		}
		n := 0
		for _, b := range blocks {
			n += len(b.Text)
		}
		h.Set("Content-Length", strconv.Itoa(n))
		for _, b := range blocks {
			if _, err := w.Write(b.Text); err != nil {
				return
			}
		}
	})
}

// acceptsGzip reports whether an Accept-Encoding header value allows gzip
// (RFC 9110 section 12.5.3): listed, or covered by "*", with a non-zero q.
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, item := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(item, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			gzipQ = q
		case "*":
			starQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// sharedGather gathers and encodes the agent's own metrics (process, Go
// runtime, build info) for concurrent scrapes at once: a scrape that
// arrives while a gathering is in flight waits for it and shares its
// block, as the collectors' runners share a collection. The Go collector
// gathers under a lock and stops the world to read memory statistics, so
// without this, concurrent scrapes queued one behind the other there.
type sharedGather struct {
	g   prometheus.Gatherer
	mu  sync.Mutex
	cur *gatherCall
}

type gatherCall struct {
	done  chan struct{}
	block *collectors.Block
	err   error
}

// get returns a block gathered during the call, and any error gathering or
// encoding it met (with what could be encoded).
func (s *sharedGather) get() (*collectors.Block, error) {
	s.mu.Lock()
	c := s.cur
	if c != nil {
		s.mu.Unlock()
		<-c.done
		return c.block, c.err
	}
	c = &gatherCall{done: make(chan struct{})}
	s.cur = c
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cur = nil
		s.mu.Unlock()
		close(c.done)
	}()
	fams, err := s.g.Gather()
	b, encErr := collectors.EncodeBlock(fams, flate.BestSpeed)
	c.block, c.err = b, errors.Join(err, encErr)
	return c.block, c.err
}
