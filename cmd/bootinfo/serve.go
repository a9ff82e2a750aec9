package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
)

type serveFlags struct {
	web                    *web.FlagConfig
	telemetryPath          string
	disableExporterMetrics bool
	maxRequests            int
}

// defaultGCPercent is the garbage collector's target in serve unless the
// GOGC environment variable sets one. The agent's live heap is small and it
// allocates in bursts of short-lived memory (a full systemd resync reads
// every unit's properties). Go's default of 100 lets the heap grow to twice
// what was live at the last collection, which keeps resident memory at
// several times the live heap; this lower target keeps it near the live
// heap, and collects more often only during such bursts.
const defaultGCPercent = 25

func serve(logger *slog.Logger, o options, sf serveFlags) int {
	logger.Info("starting bootinfo", "version", version.Info(), "build_context", version.BuildContext())
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	set := buildSet(logger, o)
	logger.Info("enabled collectors", "collectors", strings.Join(set.Names(), ","))

	handler, err := newHandler(logger, set, sf)
	if err != nil {
		logger.Error("cannot build the HTTP handler", "err", err)
		return 1
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long enough for a scrape at the collector deadline, short enough
		// that a client that stops reading cannot hold a connection open.
		WriteTimeout:   o.timeout + 30*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	set.Run(ctx)
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(server, sf.web, logger) }()
	select {
	case err := <-errc:
		logger.Error("cannot serve", "err", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	set.Stop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

// newHandler routes every endpoint. Only GET and HEAD are served.
func newHandler(logger *slog.Logger, set *collectors.Set, sf serveFlags) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector("bootinfo"))
	if !sf.disableExporterMetrics {
		reg.MustRegister(promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}), promcollectors.NewGoCollector())
	}
	// The text format is served from the Set's encoded blocks (see
	// metricsHandler); other formats from the merged families: the
	// collectors' from the Set, the agent's own from reg. Their names are
	// disjoint, so the two lists are merged without re-checking.
	gatherer := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		own, err1 := reg.Gather()
		fams, err2 := set.GatherFamilies()
		fams = append(fams, own...)
		sort.Slice(fams, func(i, j int) bool { return fams[i].GetName() < fams[j].GetName() })
		return fams, errors.Join(err1, err2)
	})
	merged := promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: sf.maxRequests,
	})
	metrics := metricsHandler(logger, set, reg, merged, sf.maxRequests)

	mux := http.NewServeMux()
	mux.Handle(sf.telemetryPath, metrics)
	mux.Handle("/bootinfo", documentHandler(set))
	mux.Handle("/bootinfo/", http.StripPrefix("/bootinfo/", sectionHandler(set)))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	if sf.telemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "bootinfo",
			Description: "How this host booted and what hardware it booted on",
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: sf.telemetryPath, Text: "Metrics", Description: "Prometheus metrics"},
				{Address: "/bootinfo?pretty", Text: "Boot document", Description: "Every section as one JSON document (/bootinfo/SECTION for one)"},
				{Address: "/healthz", Text: "Health", Description: "Liveness and readiness"},
			},
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return onlyGetHead(mux), nil
}

func onlyGetHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// documentHandler serves the whole document.
func documentHandler(set *collectors.Set) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := collectors.NewDocument(set.Gather(r.Context()))
		writeJSON(w, r, http.StatusOK, doc)
	})
}

// sectionHandler serves /bootinfo/SECTION and, for collectors that answer
// queries, /bootinfo/SECTION/PATH.
func sectionHandler(set *collectors.Set) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, rest, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
		if name == "" || !contains(set.Names(), name) {
			writeJSON(w, r, http.StatusNotFound, map[string]string{"error": "no such section: " + name, "sections": strings.Join(set.Names(), ",")})
			return
		}
		if rest == "" {
			status, body := sectionResult(set.Gather(r.Context(), name)[0])
			writeJSON(w, r, status, body)
			return
		}
		v, err := set.Query(r.Context(), name, rest, r.URL.Query())
		switch {
		case err == nil:
			writeJSON(w, r, http.StatusOK, v)
		case errors.Is(err, collectors.ErrNotFound):
			writeJSON(w, r, http.StatusNotFound, map[string]string{"error": err.Error()})
		case errors.Is(err, collectors.ErrForbidden):
			writeJSON(w, r, http.StatusForbidden, map[string]string{"error": err.Error()})
		case errors.Is(err, collectors.ErrBadRequest):
			writeJSON(w, r, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case errors.Is(err, context.DeadlineExceeded):
			writeJSON(w, r, http.StatusGatewayTimeout, map[string]string{"error": err.Error()})
		default:
			writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		}
	})
}

// sectionResult maps one outcome to what /bootinfo/SECTION serves: the
// section, or 503 with the error when there is none.
func sectionResult(o collectors.Outcome) (int, any) {
	if o.Snapshot != nil && o.Snapshot.Section != nil {
		return http.StatusOK, o.Snapshot.Section
	}
	msg := "no data"
	if o.Err != nil {
		msg = o.Err.Error()
	}
	status := http.StatusServiceUnavailable
	if errors.Is(o.Err, collectors.ErrTimeout) {
		status = http.StatusGatewayTimeout
	}
	return status, map[string]string{"error": msg}
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	if _, pretty := r.URL.Query()["pretty"]; pretty {
		enc.SetIndent("", "  ")
	}
	w.WriteHeader(status)
	_ = enc.Encode(v)
}
