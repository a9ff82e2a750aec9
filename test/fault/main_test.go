package fault

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
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

// safetyBound turns a condition that never comes true into a readable
// failure instead of the test binary's timeout. Healthy runs wait seconds.
const safetyBound = 90 * time.Second

// timeoutArg sets the collector deadline the tests assume.
var timeoutArg = "--collector.timeout=" + collectorTimeout.String()

// flagName is the name of a command-line flag, without dashes, a "no-"
// prefix or a value.
func flagName(arg string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return strings.TrimPrefix(name, "no-")
}

// fixtureArgs is agent.FixtureArgs(root) with the flags of extra
// replacing those it sets: kingpin refuses a repeated flag, so later flags
// do not simply win.
func fixtureArgs(root string, extra ...string) []string {
	override := map[string]bool{}
	for _, e := range extra {
		override[flagName(e)] = true
	}
	var out []string
	for _, a := range agent.FixtureArgs(root) {
		if !override[flagName(a)] {
			out = append(out, a)
		}
	}
	return append(out, extra...)
}

// start runs `bootinfo serve` with args on a free loopback port, as
// agent.Start does, with attr applied to the process (credentials,
// capabilities; nil for none). It waits until /healthz answers and fails
// the test, with the agent's log, if the agent exits first. The agent is
// killed when the test ends; a.Done receives its exit status.
func start(t *testing.T, attr *syscall.SysProcAttr, args ...string) *agent.Agent {
	t.Helper()
	return startBinary(t, agent.Binary, attr, args...)
}

// startBinary is start with another copy of the binary.
func startBinary(t *testing.T, bin string, attr *syscall.SysProcAttr, args ...string) *agent.Agent {
	t.Helper()
	addr := testutil.FreeAddr(t)
	a := &agent.Agent{Base: "http://" + addr, Stderr: &testutil.SyncBuffer{}, Done: make(chan error, 1)}
	a.Cmd = exec.Command(bin, append([]string{"serve", "--web.listen-address=" + addr}, args...)...)
	a.Cmd.Stderr = a.Stderr
	a.Cmd.SysProcAttr = attr
	if err := a.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = a.Cmd.Wait()
		a.Done <- exitErr
		close(exited)
	}()
	t.Cleanup(func() {
		_ = a.Cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("agent %s stderr:\n%s", strings.Join(args, " "), a.Stderr)
		}
	})
	c := &http.Client{Timeout: clientTimeout}
	for {
		resp, err := c.Get(a.Base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return a
			}
		}
		select {
		case <-exited:
			t.Fatalf("agent exited before serving: %v\n%s", exitErr, a.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// needRoot skips (fails under CI=true) a test that needs root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "the fault tests need root")
	}
}

// waitUntil polls cond until it holds, failing the test with what after
// safetyBound.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(safetyBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metrics parses the text exposition format into series ("name{labels}",
// as printed) and values. Only what the tests look up needs to be right.
func metrics(body []byte) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

func successSeries(collector string) string {
	return `bootinfo_scrape_collector_success{collector="` + collector + `"}`
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
	m := metrics(body)
	s := sample{success: map[string]float64{}, goroutines: m["go_goroutines"]}
	for k, v := range m {
		if c, ok := strings.CutPrefix(k, `bootinfo_scrape_collector_success{collector="`); ok {
			s.success[strings.TrimSuffix(c, `"}`)] = v
		}
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
	waitUntil(t, fmt.Sprintf("%s: %d scrape rounds", l.name, n), func() bool {
		_, r := l.latest()
		return r >= start+n
	})
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
	_, body, err := get(newClient(), a.Base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	r := resources{goroutines: int(metrics(body)["go_goroutines"])}
	pid := a.Cmd.Process.Pid
	unixInodes := map[string]bool{}
	if f, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid)); err == nil {
		for _, line := range strings.Split(string(f), "\n")[1:] {
			if fields := strings.Fields(line); len(fields) >= 7 {
				unixInodes[fields[6]] = true
			}
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err != nil {
			continue
		}
		r.fds++
		if ino, ok := strings.CutPrefix(target, "socket:["); ok && unixInodes[strings.TrimSuffix(ino, "]")] {
			r.unix++
		}
	}
	return r
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
	deadline := time.Now().Add(safetyBound / 3)
	for {
		now = settled(t, a)
		if now.goroutines <= base.goroutines+goroutineMargin && now.fds <= base.fds+fdMargin && now.unix <= base.unix+unixMargin {
			return now
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: resources did not return to baseline: %v, baseline %v", name, now, base)
			return now
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// noPanic fails the test if the agent's log mentions a panic (the
// collectors recover one into an error, which is logged).
func noPanic(t *testing.T, name string, a *agent.Agent) {
	t.Helper()
	if s := a.Stderr.String(); strings.Contains(s, "panic") {
		t.Errorf("%s: the agent's log mentions a panic:\n%s", name, s)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
