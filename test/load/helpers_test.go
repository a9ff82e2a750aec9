package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestMain(m *testing.M) { agent.Main(m) }

// safetyNet bounds every wait on a condition. It turns a hang into a
// readable failure and is far above what a healthy run needs; it is not a
// timing assertion.
const safetyNet = 5 * time.Minute

// waitFor polls cond until it holds, failing the test (with cond's last
// explanation) after safetyNet.
func waitFor(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(safetyNet)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gave up after %v waiting for %s: %s", safetyNet, what, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pid is the agent's process ID.
func pid(a *agent.Agent) int { return a.Cmd.Process.Pid }

// procStatusKB reads a kB field (VmRSS, VmHWM) of /proc/PID/status.
func procStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != field {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// fdCount counts the open file descriptors of a process.
func fdCount(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseSamples reads the samples of a /metrics body (text format; the
// label values the agent writes hold no escaped quotes where this is used).
func parseSamples(body []byte) []sample {
	var out []sample
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			end := strings.LastIndexByte(line, '}')
			if end < i {
				continue
			}
			s.name = line[:i]
			for _, kv := range splitLabels(line[i+1 : end]) {
				k, v, _ := strings.Cut(kv, "=")
				s.labels[k] = strings.Trim(v, `"`)
			}
			rest = line[end+1:]
		} else {
			var ok bool
			s.name, rest, ok = strings.Cut(line, " ")
			if !ok {
				continue
			}
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		s.value = v
		out = append(out, s)
	}
	return out
}

// splitLabels splits `a="x",b="y,z"` at the commas outside quotes.
func splitLabels(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// metricSum adds up the samples of one metric whose labels include match.
func metricSum(samples []sample, name string, match map[string]string) (float64, bool) {
	sum, found := 0.0, false
outer:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for k, v := range match {
			if s.labels[k] != v {
				continue outer
			}
		}
		sum += s.value
		found = true
	}
	return sum, found
}

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

// Lab sizes follow bench/systemd_peer_test.go: a fifth services (a unit
// file each), the rest instances of one template target, all pulled in at
// startup. A thousand unit files would make the manager's ListUnitFiles, and
// so bootinfo's first sync, slow for reasons a host with many units (mostly
// instances, devices and mounts) does not share.
const instancePrefix = systemdlab.GeneratedPrefix + "inst@"

func labOptions(units int) systemdlab.Options {
	svc := units / 5
	var wants strings.Builder
	for i := range units - svc {
		fmt.Fprintf(&wants, "Wants=%s%04d.target\n", instancePrefix, i)
	}
	return systemdlab.Options{
		Units: svc,
		Files: map[string]string{
			instancePrefix + ".target":                 "[Unit]\nDescription=Generated lab target instance %i\n",
			systemdlab.GeneratedPrefix + "inst.target": "[Unit]\nDescription=All generated target instances\n" + wants.String(),
		},
		Wants: []string{systemdlab.GeneratedPrefix + "inst.target"},
	}
}

// generatedActive counts the generated units that samples report active.
func generatedActive(samples []sample) int {
	n := 0
	for _, s := range samples {
		if s.name != "bootinfo_systemd_unit_state" || s.labels["state"] != "active" || s.value != 1 {
			continue
		}
		name := s.labels["name"]
		if strings.HasPrefix(name, instancePrefix) ||
			strings.HasPrefix(name, systemdlab.GeneratedPrefix) && strings.HasSuffix(name, ".service") && !strings.HasSuffix(name, "all.service") {
			n++
		}
	}
	return n
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
	var args []string
	// FixtureArgs turns kmsg and systemd off and points --path.dev into
	// the tree, and kingpin refuses a flag given twice, so "later flags
	// win" does not hold: drop those three instead.
	for _, f := range agent.FixtureArgs(agent.FixtureRoot(tb)) {
		if f != "--no-collector.kmsg" && f != "--no-collector.systemd" && !strings.HasPrefix(f, "--path.dev=") {
			args = append(args, f)
		}
	}
	args = append(args, "--path.dev=/dev")
	if lab != nil {
		args = append(args, "--collector.systemd.user", "--collector.systemd.address="+lab.PrivateAddress())
	} else {
		args = append(args, "--no-collector.systemd")
	}
	return agent.Start(tb, append(args, extra...)...)
}

// checkCollectors fails unless every enabled collector succeeded in body.
func checkCollectors(tb testing.TB, samples []sample, withSystemd bool) {
	tb.Helper()
	for _, c := range allCollectors {
		if c == "systemd" && !withSystemd {
			continue
		}
		v, ok := metricSum(samples, "bootinfo_scrape_collector_success", map[string]string{"collector": c})
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
	at         time.Duration // since the start of measurement
	took       time.Duration // how long the scrape for goroutines took
	rssKB      int64
	goroutines float64 // go_goroutines from its own /metrics
	fds        int
}

// observe reads the agent's resident memory and open descriptors from /proc
// and then its goroutines from its own /metrics, over c (so they include
// the goroutine serving c's connection, and the descriptors may).
func observe(a *agent.Agent, c *http.Client) (resources, error) {
	var r resources
	var err error
	if r.rssKB, err = procStatusKB(pid(a), "VmRSS"); err != nil {
		return r, err
	}
	if r.fds, err = fdCount(pid(a)); err != nil {
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
	g, ok := metricSum(parseSamples(body), "go_goroutines", nil)
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
	// agenttest's Start and Get use http.DefaultClient, whose idle
	// connection the agent would hold until its idle timeout.
	http.DefaultClient.CloseIdleConnections()
	c := newClient()
	defer c.CloseIdleConnections()
	var prev []resources
	waitFor(tb, "the agent's goroutines and descriptors to settle", func() (bool, string) {
		// Closed after the request, so that the agent has noticed by
		// the next look, which counts descriptors before connecting.
		r, err := observe(a, c)
		c.CloseIdleConnections()
		if err != nil {
			return false, err.Error()
		}
		prev = append(prev, r)
		if len(prev) < 3 {
			return false, "fewer than three looks"
		}
		p := prev[len(prev)-3:]
		return p[0].goroutines == r.goroutines && p[1].goroutines == r.goroutines && p[0].fds == r.fds && p[1].fds == r.fds,
			fmt.Sprintf("last three: %+v", p)
	})
	return prev[len(prev)-1]
}

// waitBaseline waits until the agent's goroutines and descriptors have come
// back to at most base plus slack, returning the last look.
func waitBaseline(tb testing.TB, a *agent.Agent, base resources, gSlack float64, fdSlack int) resources {
	tb.Helper()
	var last resources
	http.DefaultClient.CloseIdleConnections()
	c := newClient()
	defer c.CloseIdleConnections()
	waitFor(tb, "goroutines and descriptors back to baseline", func() (bool, string) {
		// A fresh connection each time: the observer's own would count.
		r, err := observe(a, c)
		c.CloseIdleConnections()
		if err != nil {
			return false, err.Error()
		}
		last = r
		return r.goroutines <= base.goroutines+gSlack && r.fds <= base.fds+fdSlack,
			fmt.Sprintf("goroutines %v (baseline %v), fds %d (baseline %d)", r.goroutines, base.goroutines, r.fds, base.fds)
	})
	return last
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

// quantile returns the q-quantile (nearest rank) of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func medianOf[T int64 | float64 | int](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
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
