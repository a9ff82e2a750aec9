package fault

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestMain(m *testing.M) { agent.Main(m) }

// collectorTimeout is the agents' --collector.timeout: generous, so that a
// first scrape on a loaded machine (the race detector, other jobs) is not
// reported as a missed deadline. The faults under test fail on their own;
// the systemd collector serves from its cache and notices a frozen manager
// through --collector.systemd.timeout.
const collectorTimeout = 10 * time.Second

// clientTimeout is the HTTP client's timeout: the collector deadline plus
// generous slack. It is a hang detector, not a latency assertion: a scrape
// that does not answer by then is one the deadline did not bound.
const clientTimeout = collectorTimeout + 20*time.Second

// timeoutArg sets the collector deadline the tests assume.
var timeoutArg = "--collector.timeout=" + collectorTimeout.String()

// start runs the agent on a fixture root with the collector deadline the
// tests assume and the flags of extra (which replace the fixture's).
func start(t *testing.T, root string, extra ...string) *agent.Agent {
	t.Helper()
	return agent.Start(t, agent.FixtureArgs(root, append([]string{timeoutArg}, extra...)...)...)
}

// needRoot skips (fails under CI=true) a test that needs root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "the fault tests need root")
	}
}

// success is bootinfo_scrape_collector_success of a collector (0 when
// absent).
func success(ms agent.Metrics, collector string) float64 {
	return ms.Value("bootinfo_scrape_collector_success", "collector", collector)
}

// document is the part of /bootinfo the tests read: the errors and the raw
// sections.
type document struct {
	Errors   map[string]string
	Sections map[string]json.RawMessage
}

func parseDocument(body []byte) (document, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return document{}, err
	}
	d := document{Errors: map[string]string{}, Sections: raw}
	if e, ok := raw["errors"]; ok {
		if err := json.Unmarshal(e, &d.Errors); err != nil {
			return document{}, fmt.Errorf("errors: %w", err)
		}
	}
	return d, nil
}

// client is the scrapers' HTTP client. Keep-alives are off so that idle
// connections of the test do not count as the agent's descriptors.
func newClient() *http.Client {
	return &http.Client{Timeout: clientTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

// get makes one GET; a transport error (a hang past clientTimeout
// included) is returned as err.
func get(c *http.Client, url string) (int, []byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// sample is what one round of the scrape loop saw.
type sample struct {
	success    map[string]float64 // collector -> bootinfo_scrape_collector_success
	errors     map[string]string  // /bootinfo's errors
	goroutines float64
}

// loop scrapes /metrics and /bootinfo of one agent back to back until
// stopped, and records what every scrape saw.
type loop struct {
	name   string
	base   string
	client *http.Client
	// stable are collectors that must succeed in every scrape.
	stable []string
	// probes are further paths fetched every round, each with the
	// statuses it may answer; any answer at all proves it did not hang.
	probes map[string][]int

	mu       sync.Mutex
	rounds   int
	last     sample
	problems []string               // scrapes that failed or broke a rule
	failed   map[string]string      // collector -> an error seen in /bootinfo while its success was 0
	zero     map[string]bool        // collectors seen with success 0 in /metrics
	answers  map[string]map[int]int // probe -> status -> count
	stop     chan struct{}
	done     chan struct{}
}

func startLoop(t *testing.T, name string, a *agent.Agent, probes map[string][]int, stable ...string) *loop {
	l := &loop{name: name, base: a.Base, client: newClient(), stable: stable, probes: probes,
		failed: map[string]string{}, zero: map[string]bool{}, answers: map[string]map[int]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	t.Cleanup(l.halt)
	return l
}

func (l *loop) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
}

func (l *loop) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.problems) < 20 {
		l.problems = append(l.problems, fmt.Sprintf("round %d: ", l.rounds)+fmt.Sprintf(format, args...))
	}
}

func (l *loop) run() {
	defer close(l.done)
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		s, ok := l.round()
		l.mu.Lock()
		l.rounds++
		if ok {
			l.last = s
			for c, v := range s.success {
				if v == 0 {
					l.zero[c] = true
				}
			}
		}
		l.mu.Unlock()
	}
}

// round is one /metrics and one /bootinfo.
func (l *loop) round() (sample, bool) {
	code, body, err := get(l.client, l.base+"/metrics")
	if err != nil || code != 200 {
		l.problem("/metrics: %d %v %.200s", code, err, body)
		return sample{}, false
	}
	m, err := agent.ParseMetrics(body)
	if err != nil {
		l.problem("/metrics: %v", err)
		return sample{}, false
	}
	s := sample{success: map[string]float64{}, goroutines: m.Value("go_goroutines")}
	for _, c := range m.Samples("bootinfo_scrape_collector_success") {
		s.success[c.Labels["collector"]] = c.Value
	}
	for _, c := range l.stable {
		if s.success[c] != 1 {
			l.problem("/metrics: collector %s success %v, want 1", c, s.success[c])
		}
	}
	code, body, err = get(l.client, l.base+"/bootinfo")
	if err != nil || code != 200 {
		l.problem("/bootinfo: %d %v %.200s", code, err, body)
		return sample{}, false
	}
	d, err := parseDocument(body)
	if err != nil {
		l.problem("/bootinfo: %v", err)
		return sample{}, false
	}
	s.errors = d.Errors
	for path, allowed := range l.probes {
		code, body, err := get(l.client, l.base+path)
		if err != nil || !slices.Contains(allowed, code) {
			l.problem("%s: %d %v %.200s (want one of %v)", path, code, err, body, allowed)
		}
		l.mu.Lock()
		if l.answers[path] == nil {
			l.answers[path] = map[int]int{}
		}
		l.answers[path][code]++
		l.mu.Unlock()
	}
	for _, c := range l.stable {
		if e, ok := d.Errors[c]; ok {
			l.problem("/bootinfo: errors.%s = %q", c, e)
		}
	}
	l.mu.Lock()
	for c, e := range d.Errors {
		if s.success[c] == 0 {
			l.failed[c] = e
		}
	}
	l.mu.Unlock()
	return s, true
}

// latest returns the last good round and how many rounds ran.
func (l *loop) latest() (sample, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.rounds
}

// waitRounds waits until n more rounds have completed, so that what the
// loop records reflects the agent's state after the caller's change.
func (l *loop) waitRounds(t *testing.T, n int) {
	t.Helper()
	_, start := l.latest()
	testutil.WaitFor(t, fmt.Sprintf("%s: %d scrape rounds", l.name, n), func() error {
		if _, r := l.latest(); r < start+n {
			return fmt.Errorf("%d rounds so far", r-start)
		}
		return nil
	})
}

// failure returns the error /bootinfo gave for collector while its success
// was 0, since the last reset; "" if none.
func (l *loop) failure(collector string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed[collector]
}

// reset forgets the failures seen so far.
func (l *loop) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed, l.zero = map[string]string{}, map[string]bool{}
}

// check reports the rule violations recorded since the last check.
func (l *loop) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.problems {
		t.Errorf("%s: %s", l.name, p)
	}
	l.problems = nil
}

// resources counts the agent's goroutines (as it reports them), open
// descriptors and unix socket descriptors.
type resources struct {
	goroutines, fds, unix int
}

func (r resources) String() string {
	return fmt.Sprintf("%d goroutines, %d fds (%d unix sockets)", r.goroutines, r.fds, r.unix)
}

// measure reads the agent's descriptors from /proc and its goroutines from
// /metrics.
func measure(t *testing.T, a *agent.Agent) resources {
	t.Helper()
	code, body, err := get(newClient(), a.Base+"/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("/metrics: %d %v", code, err)
	}
	m, err := agent.ParseMetrics(body)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := a.Resources()
	if err != nil {
		t.Fatal(err)
	}
	unix, err := testutil.UnixSockets(a.PID())
	if err != nil {
		t.Fatal(err)
	}
	return resources{goroutines: int(m.Value("go_goroutines")), fds: proc.FDs, unix: unix}
}

// settled measures a few times a moment apart and returns the smallest
// count of each: the scrape loop's requests in flight come and go, a leak
// stays.
func settled(t *testing.T, a *agent.Agent) resources {
	t.Helper()
	best := measure(t, a)
	for i := 0; i < 5; i++ {
		time.Sleep(100 * time.Millisecond)
		r := measure(t, a)
		best = resources{min(best.goroutines, r.goroutines), min(best.fds, r.fds), min(best.unix, r.unix)}
	}
	return best
}

// Margins for resources back at the baseline: a scrape in flight holds a
// goroutine or two and a connection.
const (
	goroutineMargin = 2
	fdMargin        = 1
	unixMargin      = 0
)

// checkNoLeak waits until the agent's resources are back within the margins
// of base: a leak grows without bound and never gets there.
func checkNoLeak(t *testing.T, name string, a *agent.Agent, base resources) resources {
	t.Helper()
	var now resources
	testutil.WaitFor(t, name+": resources back to the baseline "+base.String(), func() error {
		now = settled(t, a)
		if now.goroutines > base.goroutines+goroutineMargin || now.fds > base.fds+fdMargin || now.unix > base.unix+unixMargin {
			return errors.New(now.String())
		}
		return nil
	})
	return now
}

// noPanic fails the test if the agent's log mentions a panic (the
// collectors recover one into an error, which is logged).
func noPanic(t *testing.T, name string, a *agent.Agent) {
	t.Helper()
	if s := a.Output.String(); strings.Contains(s, "panic") {
		t.Errorf("%s: the agent's log mentions a panic:\n%s", name, s)
	}
}
