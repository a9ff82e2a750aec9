package main

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/collectors"
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
// --web.max-requests is applied around it, to every format (see newHandler).
// ownConstant says own's metrics never change: they are gathered once.
func metricsHandler(logger *slog.Logger, set *collectors.Set, own prometheus.Gatherer, ownConstant bool, fallback http.Handler) http.Handler {
	ownBlock := collectors.NewSharedGatherer(own)
	if ownConstant {
		ownBlock = collectors.NewConstantGatherer(own)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
		if format.FormatType() != expfmt.TypeTextPlain {
			fallback.ServeHTTP(w, r)
			return
		}
		blocks, err := set.Exposition(r.Context())
		collected := len(blocks)
		own, ownErr := ownBlock.Block()
		if own != nil {
			blocks = append(blocks, own)
		}
		// One check over every block. A clash among the collectors'
		// blocks makes the gathering's errors moot: only the clash is
		// logged.
		dupErr := collectors.CheckDisjoint(blocks...)
		var dup *collectors.DuplicateFamilyError
		if !errors.As(dupErr, &dup) || dup.Block >= collected {
			if err != nil {
				logger.Error("error gathering metrics", "err", err)
			}
			if ownErr != nil {
				logger.Error("error gathering the agent's own metrics", "err", ownErr)
			}
		}
		if dupErr != nil {
			logger.Error("serving merged families", "err", dupErr)
			fallback.ServeHTTP(w, r)
			return
		}

		writeBlocks(w, http.StatusOK, string(format), blocks, acceptsGzip(r.Header.Get("Accept-Encoding")))
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
