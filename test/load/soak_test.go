package load

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// The defaults are the short version CI runs; scripts/soak runs the full one
// (-soak.duration=60s).
var (
	soakDuration   = flag.Duration("soak.duration", 10*time.Second, "how long TestSoak measures, after its warm-up")
	soakWarmup     = flag.Duration("soak.warmup", 5*time.Second, "load before TestSoak starts measuring: the heap and the clients' connections settle")
	soakClients    = flag.Int("soak.clients", 64, "concurrent clients in TestSoak")
	soakUnits      = flag.Int("soak.units", 1000, "generated units in TestSoak's systemd lab")
	soakMaxReqs    = flag.Int("soak.max-requests", 0, "the agent's --web.max-requests in TestSoak (0 keeps the agent's default)")
	soakReportFile = flag.String("soak.report", "", "file to write TestSoak's report to (it is logged too)")
)

// Flatness margins: the median of the last window may exceed the median of
// the first by these before the test calls it growth. They are generous on
// purpose: the Go heap breathes with the garbage collector, and a scrape in
// flight holds a response's worth of memory and a goroutine or two per
// client. A leak of one object per request grows past them within the
// run scripts/soak makes.
const (
	rssGrowthRatio   = 1.5 // last-window median VmRSS <= first-window median * this
	goroutineSlack   = 0.5
	goroutineSlackAt = 16 // ... and goroutines <= first * (1+goroutineSlack) + this
)

// soakPaths are what each client requests in turn.
var soakPaths = []string{"/metrics", "/bootinfo"}

// TestSoak runs -soak.clients concurrent clients, each scraping /metrics
// and /bootinfo in turn over its own kept-alive connection, for
// -soak.duration after a -soak.warmup, against the agent with every
// collector on: systemd on a lab manager with -soak.units generated units
// (all synced before the load starts), kmsg on this machine's /dev/kmsg, the
// rest on the fixture host tree. It asserts that every collector succeeds,
// that every request answers 200 with a body, that the agent's resident
// memory and goroutine count in the last window (10 s, or a third of a
// shorter run) are not above the first by more than the documented margins,
// and that once the clients disconnect its goroutines and descriptors come
// back to where they were before the load. It measures and logs latency
// (p50/p90/p99/max per endpoint) without asserting it.
func TestSoak(t *testing.T) {
	if *soakClients < 1 || *soakDuration < 3*time.Second {
		t.Fatalf("-soak.clients %d, -soak.duration %v: want at least one client and 3 s", *soakClients, *soakDuration)
	}
	labStart := time.Now()
	lab := systemdlab.Start(t, systemdlab.Instances(*soakUnits))
	labUp := time.Since(labStart)
	// The agent's default --web.max-requests (128) admits the clients and
	// the observer; -soak.max-requests sets another limit.
	var extra []string
	if *soakMaxReqs > 0 {
		extra = append(extra, fmt.Sprintf("--web.max-requests=%d", *soakMaxReqs))
	}
	a := startAll(t, lab, extra...)
	obs := newClient()
	defer obs.CloseIdleConnections()
	var m agent.Metrics
	testutil.WaitFor(t, "the agent's first systemd sync", func() error {
		m = scrapeMetrics(t, obs, a.Base)
		if n := generatedActive(m); n != *soakUnits {
			return fmt.Errorf("%d of %d generated units active", n, *soakUnits)
		}
		return nil
	})
	synced := time.Since(labStart) - labUp
	t.Logf("lab of %d units up in %v; the agent synced them %v later", *soakUnits, labUp.Round(time.Millisecond), synced.Round(time.Millisecond))
	checkCollectors(t, m, true)
	for _, p := range soakPaths {
		scrape(t, obs, a.Base, p)
	}
	obs.CloseIdleConnections()
	before := look(t, a)
	loadBefore := loadavg()

	// The run: warm-up, then measurement with one look a second.
	ctx, cancel := context.WithTimeout(context.Background(), *soakWarmup+*soakDuration)
	defer cancel()
	record := make(chan struct{})
	var lat latencies
	var fail failures
	wait := hammer(ctx, a.Base, *soakClients, soakPaths, record, &lat, &fail)
	// Memory and descriptors come from /proc once a second; goroutines
	// from the agent's own /metrics, as often as it answers (at most once
	// a second), since under load one scrape may take longer.
	var looks, gLooks []resources
	var lookErrs []string
	var lookWG sync.WaitGroup
	measuring := make(chan time.Time, 2)
	lookWG.Add(1)
	go func() {
		defer lookWG.Done()
		select {
		case <-time.After(*soakWarmup):
		case <-ctx.Done():
			return
		}
		start := time.Now()
		measuring <- start
		measuring <- start
		close(record)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			r := resources{at: time.Since(start)}
			var err error
			if r.Resources, err = a.Resources(); err != nil {
				lookErrs = append(lookErrs, err.Error())
			} else {
				looks = append(looks, r)
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	var gErrs []string
	lookWG.Add(1)
	go func() {
		defer lookWG.Done()
		var start time.Time
		select {
		case start = <-measuring:
		case <-ctx.Done():
			return
		}
		for {
			next := time.Now().Add(time.Second)
			at := time.Since(start)
			r, err := observe(a, obs)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				gErrs = append(gErrs, err.Error())
			} else {
				r.at = at // when the scrape started
				r.took = time.Since(start) - at
				gLooks = append(gLooks, r)
			}
			select {
			case <-time.After(time.Until(next)):
			case <-ctx.Done():
				return
			}
		}
	}()
	wait()
	lookWG.Wait()
	loadAfter := loadavg()
	obs.CloseIdleConnections()

	window := min(10*time.Second, (*soakDuration / 3).Round(time.Second))
	first, last := windowed(looks, window, *soakDuration)
	gFirst, gLast := windowed(gLooks, window, *soakDuration)
	// A scrape under load may take longer than a short run's window: then
	// the first and the last scrape stand for their windows.
	if len(gFirst) == 0 && len(gLooks) > 0 {
		gFirst = gLooks[:1]
	}
	if len(gLast) == 0 && len(gLooks) > 0 {
		gLast = gLooks[len(gLooks)-1:]
	}
	rep := soakFigures{
		clients: *soakClients, duration: *soakDuration, warmup: *soakWarmup, units: *soakUnits,
		labUp: labUp, synced: synced, loadBefore: loadBefore, loadAfter: loadAfter,
		lat: lat.byPath, fail: &fail, looks: looks, gLooks: gLooks, window: window,
		first: first, last: last, gFirst: gFirst, gLast: gLast,
	}
	text := rep.String()
	t.Log("\n" + text)
	writeReport(t, *soakReportFile, text)

	if n := fail.total(); n != 0 {
		t.Errorf("%d requests failed (%v); first: %s", n, fail.count, strings.Join(fail.examples, "; "))
	}
	if len(lookErrs) > 0 {
		t.Errorf("%d looks at the agent's /proc failed: %s", len(lookErrs), lookErrs[0])
	}
	if len(gErrs) > 0 {
		t.Errorf("%d scrapes of go_goroutines failed: %s", len(gErrs), gErrs[0])
	}
	for _, p := range soakPaths {
		if len(lat.byPath[p]) == 0 {
			t.Errorf("no successful request to %s was measured", p)
		}
	}
	if len(first) == 0 || len(last) == 0 || len(gFirst) == 0 || len(gLast) == 0 {
		t.Fatalf("no looks at the agent in the first or last %v (%d and %d at /proc, %d and %d at /metrics)",
			window, len(first), len(last), len(gFirst), len(gLast))
	}
	rss0, rss1 := medianRSS(first), medianRSS(last)
	if float64(rss1) > float64(rss0)*rssGrowthRatio {
		t.Errorf("resident memory grew: median %.1f MiB in the first %v, %.1f MiB in the last (more than %.2fx)", mib(rss0), window, mib(rss1), rssGrowthRatio)
	}
	g0, g1 := medianGoroutines(gFirst), medianGoroutines(gLast)
	if g1 > g0*(1+goroutineSlack)+goroutineSlackAt {
		t.Errorf("goroutines grew: median %v in the first %v, %v in the last", g0, window, g1)
	}

	// The clients are gone: the agent must let go of their connections.
	after := waitBaseline(t, a, before, 2, 2)
	t.Logf("before the load: %v; after it: %v", before, after)
	checkCollectors(t, scrapeMetrics(t, obs, a.Base), true)
}

// windowed returns the looks taken in the first and the last window of a
// run of length d.
func windowed(looks []resources, window, d time.Duration) (first, last []resources) {
	for _, r := range looks {
		if r.at < window {
			first = append(first, r)
		}
		if r.at >= d-window {
			last = append(last, r)
		}
	}
	return first, last
}

func field[T any](rs []resources, f func(resources) T) []T {
	out := make([]T, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func medianRSS(rs []resources) uint64 {
	return testutil.Median(field(rs, func(r resources) uint64 { return r.RSS }))
}

func medianGoroutines(rs []resources) float64 {
	return testutil.Median(field(rs, func(r resources) float64 { return r.goroutines }))
}

// loadavg is /proc/loadavg's first three fields, for the report.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// soakFigures is what TestSoak measured.
type soakFigures struct {
	clients               int
	duration, warmup      time.Duration
	units                 int
	labUp, synced         time.Duration
	loadBefore, loadAfter string
	lat                   map[string][]time.Duration
	fail                  *failures
	looks, gLooks         []resources
	window                time.Duration
	first, last           []resources
	gFirst, gLast         []resources
}

func (r soakFigures) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d clients for %v after %v warm-up; systemd lab of %d units (up in %v, synced %v later); %d CPUs\n",
		r.clients, r.duration, r.warmup, r.units, r.labUp.Round(time.Millisecond), r.synced.Round(time.Millisecond), runtime.NumCPU())
	fmt.Fprintf(&b, "load average before: %s, after: %s\n\n", r.loadBefore, r.loadAfter)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\trequests\treq/s\tp50\tp90\tp99\tmax\t")
	total := 0
	for _, p := range soakPaths {
		ds := slices.Clone(r.lat[p])
		slices.Sort(ds)
		total += len(ds)
		var mx time.Duration
		if len(ds) > 0 {
			mx = ds[len(ds)-1]
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%v\t%v\t%v\t%v\t\n", p, len(ds), float64(len(ds))/r.duration.Seconds(),
			round(testutil.Quantile(ds, 0.5)), round(testutil.Quantile(ds, 0.9)), round(testutil.Quantile(ds, 0.99)), round(mx))
	}
	tw.Flush()
	r.fail.mu.Lock()
	fmt.Fprintf(&b, "\nsuccessful requests measured: %d; failed requests: %d %v\n", total, sum(r.fail.count), r.fail.count)
	r.fail.mu.Unlock()

	fds := func(rs []resources) int { return testutil.Median(field(rs, func(x resources) int { return x.FDs })) }
	fmt.Fprintf(&b, "\nmedians, first %v vs last %v (%d and %d looks at /proc, %d and %d at /metrics):\n",
		r.window, r.window, len(r.first), len(r.last), len(r.gFirst), len(r.gLast))
	fmt.Fprintf(&b, "  VmRSS       %8.1f MiB -> %8.1f MiB (x%.3f; limit x%.2f)\n", mib(medianRSS(r.first)), mib(medianRSS(r.last)), ratio(float64(medianRSS(r.last)), float64(medianRSS(r.first))), rssGrowthRatio)
	fmt.Fprintf(&b, "  goroutines  %8.0f     -> %8.0f     (limit first*%.2f+%d)\n", medianGoroutines(r.gFirst), medianGoroutines(r.gLast), 1+goroutineSlack, goroutineSlackAt)
	fmt.Fprintf(&b, "  open fds    %8d     -> %8d\n", fds(r.first), fds(r.last))
	fmt.Fprintf(&b, "\nper second (goroutines: the agent's go_goroutines, from a scrape of its /metrics started that second):\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "t\tVmRSS MiB\tfds\tgoroutines\t")
	g := 0
	for _, l := range r.looks {
		gs := ""
		for g < len(r.gLooks) && r.gLooks[g].at < l.at+time.Second {
			gs += fmt.Sprintf(" %.0f (scrape at %.1fs took %v)", r.gLooks[g].goroutines, r.gLooks[g].at.Seconds(), r.gLooks[g].took.Round(time.Millisecond))
			g++
		}
		fmt.Fprintf(tw, "%.0fs\t%.1f\t%d\t%s\t\n", l.at.Seconds(), mib(l.RSS), l.FDs, strings.TrimSpace(gs))
	}
	tw.Flush()
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func mib(bytes uint64) float64 { return float64(bytes) / (1 << 20) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
