package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/history"
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
	// healthAddress, when set, is a second listener that serves /healthz
	// alone over plain HTTP without authentication, for Kubernetes
	// probes when --web.config.file turns on basic auth or client
	// certificates (see deploy/README.md).
	healthAddress string
	// plotUnits is --plot.units, for the boot timeline.
	plotUnits int
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

	var features *nodeFeatures
	var own []prometheus.Collector
	if o.nfd.dir != "" {
		features = newNodeFeatures(logger, set, o.nfd)
		own = append(own, collectors.NewFeatureFileCollector(features.Stats))
	}
	handler, err := newHandler(logger, set, sf, own...)
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
	var serving <-chan struct{}
	server.BaseContext, serving = listening()
	notify := newNotifier(logger)

	var health *http.Server
	if sf.healthAddress != "" {
		// Bound first: a second listener that cannot be had is a
		// configuration error, reported before anything runs.
		l, err := net.Listen("tcp", sf.healthAddress)
		if err != nil {
			logger.Error("cannot listen on --web.health-address", "err", err)
			return 1
		}
		health = &http.Server{
			Handler:           onlyGetHead(healthMux()),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    16 << 10,
		}
		logger.Info("serving /healthz without TLS or authentication", "address", l.Addr().String())
		go func() {
			if err := health.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("health listener", "err", err)
			}
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// Run returns at once: each collector's start (history reads the
	// sources to record this boot) runs in a goroutine of its own, so no
	// source, however stuck, keeps the agent from listening just below.
	set.Run(ctx)
	cp := checkpoints(logger, o, set)
	if cp != nil {
		cp.Run(ctx)
	}
	if features != nil {
		go features.run(ctx)
	}
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(server, sf.web, logger) }()
	// READY=1 after the first collection, and the watchdog's pings; both
	// nothing unless systemd runs the agent as a Type=notify unit.
	go notify.ready(ctx, set, o.timeout, serving)
	go notify.runWatchdog(ctx, set, o.timeout)
	select {
	case err := <-errc:
		logger.Error("cannot serve", "err", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	notify.stopping()
	if cp != nil {
		// Before the collectors stop, while the manager's shutdown job
		// is still queued.
		cp.Stop()
	}
	set.Stop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if health != nil {
		_ = health.Shutdown(shutdownCtx)
	}
	if err := server.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

// healthz answers "ok" while the process serves.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// healthMux serves the health listener: /healthz, and 404 for the rest.
func healthMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", healthz)
	return mux
}

// newHandler routes every endpoint. Only GET and HEAD are served.
// --web.telemetry-path is checked by checkTelemetryPath first; a pattern
// the mux still refuses is an error here, never a panic. extra are more of
// the agent's own metrics, served beside the build's.
func newHandler(logger *slog.Logger, set *collectors.Set, sf serveFlags, extra ...prometheus.Collector) (h http.Handler, err error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector("bootinfo"))
	reg.MustRegister(extra...)
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
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
	// Without the process and Go collectors and extra, reg holds the
	// build's information alone, which never changes.
	metrics := metricsHandler(logger, set, reg, sf.disableExporterMetrics && len(extra) == 0, merged)

	// --web.max-requests bounds /metrics and the document, each on its own,
	// so a flood of /bootinfo requests cannot starve Prometheus's scrapes.
	limitMetrics := limitRequests(sf.maxRequests, func(w http.ResponseWriter, msg string) {
		http.Error(w, msg, http.StatusServiceUnavailable)
	})
	limitDocument := limitRequests(sf.maxRequests, func(w http.ResponseWriter, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
	})

	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("routing --web.telemetry-path %q: %v", sf.telemetryPath, p)
		}
	}()
	mux := http.NewServeMux()
	mux.Handle(sf.telemetryPath, limitMetrics(metrics))
	mux.Handle("/bootinfo", limitDocument(documentHandler(logger, set)))
	mux.Handle(plotPath, limitDocument(plotHandler(logger, set, sf.plotUnits)))
	mux.Handle("/bootinfo/", limitDocument(http.StripPrefix("/bootinfo/", sectionHandler(logger, set))))
	mux.HandleFunc("/healthz", healthz)
	if sf.telemetryPath != "/" {
		// The report page at / alone; other paths are not found.
		mux.Handle("/{$}", limitDocument(landingHandler(logger, set, sf.telemetryPath, pageTimeline(logger, sf.plotUnits))))
	}
	return onlyGetHead(mux), nil
}

// limitRequests returns a wrapper that lets at most max requests through
// at once (none when max is 0: no limit) and answers the others at once
// with refuse.
func limitRequests(max int, refuse func(w http.ResponseWriter, msg string)) func(http.Handler) http.Handler {
	if max <= 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	inFlight := make(chan struct{}, max)
	msg := fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", max)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				refuse(w, msg)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
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

// checkpoints returns the writer of this boot's last words into the state
// directory, for the next boot's history: nil when the history collector
// is disabled. The kernel's view comes from the kmsg collector when it
// runs; the queued shutdown from the manager the systemd collector talks
// to, when that collector runs.
func checkpoints(logger *slog.Logger, o options, set *collectors.Set) *collectors.Checkpoints {
	if set.Collector("history") == nil {
		return nil
	}
	cc := o.collectorConfig
	dir := cc.History.Dir
	if dir == "" {
		dir = history.DefaultDir
	}
	cfg := collectors.CheckpointConfig{Dir: dir, Paths: cc.Paths, Records: cc.Kmsg.Records, Logger: logger.With("part", "checkpoint")}
	if src, ok := set.Collector("kmsg").(collectors.LastWordsSource); ok {
		cfg.Source = src
	}
	if set.Collector("systemd") != nil && !cc.Systemd.User {
		cfg.Shutdown = collectors.QueuedShutdown(cc.Systemd.Address, cc.Systemd.Bus)
	}
	return collectors.NewCheckpoints(cfg)
}
