package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestMain(m *testing.M) { agent.Main(m) }

// scrape GETs path with c and returns the body, failing on anything but 200.
func scrape(tb testing.TB, c *http.Client, base, path string) []byte {
	tb.Helper()
	resp, err := c.Get(base + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: reading the body: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	return body
}

// scrapeMetrics scrapes /metrics with c and parses it.
func scrapeMetrics(tb testing.TB, c *http.Client, base string) agent.Metrics {
	tb.Helper()
	m, err := agent.ParseMetrics(scrape(tb, c, base, "/metrics"))
	if err != nil {
		tb.Fatalf("/metrics: %v", err)
	}
	return m
}

// generatedActive counts the lab's generated units that m reports active.
func generatedActive(m agent.Metrics) int {
	return systemdlab.CountGenerated(m.ByLabel("bootinfo_systemd_unit_state", "name", "state", "active"))
}

// allCollectors is every collector the agent has, each checked on in
// /metrics once the agent serves.
var allCollectors = []string{"host", "dmi", "kmsg", "history", "systemd", "bootloader", "firmware"}

// startAll starts the agent with every collector on (all are on by
// default): the fixture host tree for host, dmi, firmware, bootloader and
// history; the machine's /dev/kmsg; the lab's manager for systemd, or no
// systemd without a lab. extra flags come last.
func startAll(tb testing.TB, lab *systemdlab.Lab, extra ...string) *agent.Agent {
	tb.Helper()
	// Without a readable kernel log the kmsg collector fails, and with
	// it every test's "all collectors succeed".
	f, err := os.Open("/dev/kmsg")
	if err != nil {
		testutil.SkipOrFail(tb, "cannot read /dev/kmsg: %v", err)
	}
	f.Close()
	args := []string{"--collector.kmsg", "--path.dev=/dev"}
	if lab != nil {
		args = append(args, "--collector.systemd", "--collector.systemd.user", "--collector.systemd.address="+lab.PrivateAddress())
	}
	return agent.Start(tb, agent.FixtureArgs(agent.FixtureRoot(tb), append(args, extra...)...)...)
}

// checkCollectors fails unless every enabled collector succeeded in m.
func checkCollectors(tb testing.TB, m agent.Metrics, withSystemd bool) {
	tb.Helper()
	for _, c := range allCollectors {
		if c == "systemd" && !withSystemd {
			continue
		}
		v, ok := m.Sum("bootinfo_scrape_collector_success", "collector", c)
		if !ok || v != 1 {
			tb.Errorf("collector %s: bootinfo_scrape_collector_success %v (present %v), want 1", c, v, ok)
		}
	}
}

// newClient is one scraper's own client: its own connection pool, kept
// alive between requests, as a separate Prometheus server would have.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: false}}
}

// resources is one look at the agent from outside.
type resources struct {
	at   time.Duration // since the start of measurement
	took time.Duration // how long the scrape for goroutines took
	testutil.Resources
	goroutines float64 // go_goroutines from its own /metrics
}

// observe reads the agent's resident memory and open descriptors from /proc
// and then its goroutines from its own /metrics, over c (so they include
// the goroutine serving c's connection, and the descriptors may).
func observe(a *agent.Agent, c *http.Client) (resources, error) {
	var r resources
	var err error
	if r.Resources, err = a.Resources(); err != nil {
		return r, err
	}
	resp, err := c.Get(a.Base + "/metrics")
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return r, err
	}
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("/metrics: %s", resp.Status)
	}
	m, err := agent.ParseMetrics(body)
	if err != nil {
		return r, err
	}
	g, ok := m.Sum("go_goroutines")
	if !ok {
		return r, fmt.Errorf("/metrics has no go_goroutines")
	}
	r.goroutines = g
	return r, nil
}

// look observes the agent over a fresh connection, which it closes. It
// waits until three looks in a row agree on goroutines and descriptors, so
// that connections closed just before (the agent notices a moment later)
// are not counted.
func look(tb testing.TB, a *agent.Agent) resources {
	tb.Helper()
	// The agent's own client may hold an idle connection, which the agent
	// would keep until its idle timeout.
	a.Client.CloseIdleConnections()
	c := newClient()
	defer c.CloseIdleConnections()
	var prev []resources
	testutil.WaitFor(tb, "the agent's goroutines and descriptors to settle", func() error {
		// Closed after the request, so that the agent has noticed by
		// the next look, which counts descriptors before connecting.
		r, err := observe(a, c)
		c.CloseIdleConnections()
		if err != nil {
			return err
		}
		prev = append(prev, r)
		if len(prev) < 3 {
			return errors.New("fewer than three looks")
		}
		p := prev[len(prev)-3:]
		if p[0].goroutines != r.goroutines || p[1].goroutines != r.goroutines || p[0].FDs != r.FDs || p[1].FDs != r.FDs {
			return fmt.Errorf("last three: %+v", p)
		}
		return nil
	})
	return prev[len(prev)-1]
}

// waitBaseline waits until the agent's goroutines and descriptors have come
// back to at most base plus slack, returning the last look.
func waitBaseline(tb testing.TB, a *agent.Agent, base resources, gSlack float64, fdSlack int) resources {
	tb.Helper()
	var last resources
	a.Client.CloseIdleConnections()
	c := newClient()
	defer c.CloseIdleConnections()
	testutil.WaitFor(tb, "goroutines and descriptors back to baseline", func() error {
		// A fresh connection each time: the observer's own would count.
		r, err := observe(a, c)
		c.CloseIdleConnections()
		if err != nil {
			return err
		}
		last = r
		if r.goroutines > base.goroutines+gSlack || r.FDs > base.FDs+fdSlack {
			return fmt.Errorf("goroutines %v (baseline %v), fds %d (baseline %d)", r.goroutines, base.goroutines, r.FDs, base.FDs)
		}
		return nil
	})
	return last
}

func (r resources) String() string {
	return fmt.Sprintf("%v goroutines, %d fds, %.1f MiB", r.goroutines, r.FDs, mib(r.RSS))
}

// latencies collects request durations per endpoint from many goroutines.
type latencies struct {
	mu     sync.Mutex
	byPath map[string][]time.Duration
}

func (l *latencies) add(path string, ds []time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byPath == nil {
		l.byPath = map[string][]time.Duration{}
	}
	l.byPath[path] = append(l.byPath[path], ds...)
}

// failures counts failed requests by kind and keeps the first few.
type failures struct {
	mu       sync.Mutex
	count    map[string]int
	examples []string
}

func (f *failures) add(kind, example string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == nil {
		f.count = map[string]int{}
	}
	f.count[kind]++
	if len(f.examples) < 10 {
		f.examples = append(f.examples, example)
	}
}

func (f *failures) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.count {
		n += c
	}
	return n
}

// hammer runs clients goroutines, each with its own client, requesting
// paths in turn (client i starting at paths[i%len(paths)]) until ctx ends.
// Every request must answer 200 with a non-empty body; anything else is a
// failure. Durations are kept only once record is closed.
func hammer(ctx context.Context, base string, clients int, paths []string, record <-chan struct{}, lat *latencies, fail *failures) (wait func()) {
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient()
			defer c.CloseIdleConnections()
			mine := map[string][]time.Duration{}
			defer func() {
				for p, ds := range mine {
					lat.add(p, ds)
				}
			}()
			for k := i; ; k++ {
				path := paths[k%len(paths)]
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
				if err != nil {
					panic(err)
				}
				start := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					fail.add("transport", fmt.Sprintf("GET %s: %v", path, err))
					continue
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(start)
				if ctx.Err() != nil {
					return // a request cut short by the end of the run
				}
				switch {
				case err != nil:
					fail.add("body", fmt.Sprintf("GET %s: reading the body: %v", path, err))
				case resp.StatusCode != http.StatusOK:
					fail.add(strconv.Itoa(resp.StatusCode), fmt.Sprintf("GET %s: %s", path, resp.Status))
				case n == 0:
					fail.add("empty", fmt.Sprintf("GET %s: empty body", path))
				default:
					select {
					case <-record:
						mine[path] = append(mine[path], d)
					default:
					}
				}
			}
		}()
	}
	return wg.Wait
}

// writeReport writes text to the file named by a -*.report flag, if any.
func writeReport(tb testing.TB, file, text string) {
	tb.Helper()
	if file == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
}
