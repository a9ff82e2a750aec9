package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestMain(m *testing.M) {
	if os.Getenv(envControl) == "1" {
		runControl()
	}
	agent.Main(m)
}

// nodeExporterBinary is Debian's name for node_exporter.
const nodeExporterBinary = "prometheus-node-exporter"

// peer is one exporter process serving /metrics on the loopback.
type peer struct {
	*testutil.Process
	base string
}

// nodeExporter finds Debian's node_exporter, skipping (failing in CI) when
// it is not installed.
func nodeExporter(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath(nodeExporterBinary)
	if err != nil {
		testutil.SkipOrFail(t, "no %s to compare with (apt-get install prometheus-node-exporter): %v", nodeExporterBinary, err)
	}
	// The bind mount below needs a /run/systemd to mount a tmpfs on; the
	// host's own stays untouched (the mount lives in a private namespace).
	if fi, err := os.Stat("/run/systemd"); err != nil || !fi.IsDir() {
		testutil.SkipOrFail(t, "no /run/systemd directory to mount over in a private namespace: %v", err)
	}
	return p
}

// startBootinfo runs the agent with args as a peer.
func startBootinfo(t *testing.T, args ...string) *peer {
	t.Helper()
	a := agent.Start(t, append(args, "--web.disable-exporter-metrics")...)
	return &peer{Process: a.Process, base: a.Base}
}

// nodeExporterScript runs in a private mount namespace: it bind-mounts the
// lab manager's private socket ($1) where node_exporter's
// --collector.systemd.private looks for the system manager's, then becomes
// node_exporter (exec keeps the PID, so /proc/PID is node_exporter's).
const nodeExporterScript = `set -e
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
touch /run/systemd/private
mount --bind "$1" /run/systemd/private
shift
exec "$@"`

// nodeExporterExclude is bootinfo's default unit exclusion. Debian's
// node_exporter 1.5.0 also leaves out targets by default; the benchmark
// gives both peers the same units to report.
const nodeExporterExclude = `--collector.systemd.unit-exclude=.+\.(automount|device|mount|scope|slice)`

// nodeExporterArgs are node_exporter's flags in the systemd benchmarks:
// its systemd collector alone, serving on addr.
func nodeExporterArgs(addr string) []string {
	return []string{"--collector.disable-defaults", "--collector.systemd", nodeExporterExclude, "--web.listen-address=" + addr}
}

// startNodeExporter runs node_exporter's systemd collector alone against the
// lab's manager over its private socket (--collector.systemd.private), as
// bootinfo talks to it, with extra flags (such as the restarts and start
// time metrics).
func startNodeExporter(t *testing.T, name, bin string, lab *systemdlab.Lab, extra ...string) *peer {
	t.Helper()
	addr := testutil.FreeAddr(t)
	sock := filepath.Join(lab.RuntimeDir(), "systemd", "private")
	args := append([]string{"-m", "--propagation", "private", "sh", "-c", nodeExporterScript, "sh", sock,
		bin, "--collector.systemd.private"}, nodeExporterArgs(addr)...)
	cmd := exec.Command("unshare", append(args, extra...)...)
	return startPeer(t, name, cmd, addr)
}

// startNodeExporterBus runs node_exporter's systemd collector alone against
// the lab's manager through the lab's bus, as node_exporter reaches a
// host's system manager by default: through the system bus
// (DBUS_SYSTEM_BUS_ADDRESS points it at the lab's). There, unlike on the
// private socket, the manager sends its signals only to clients that
// subscribe to them, which node_exporter does not.
func startNodeExporterBus(t *testing.T, name, bin string, lab *systemdlab.Lab) *peer {
	t.Helper()
	addr := testutil.FreeAddr(t)
	cmd := exec.Command(bin, nodeExporterArgs(addr)...)
	cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+lab.BusAddress())
	return startPeer(t, name, cmd, addr)
}

// startPeer starts cmd, an exporter serving on addr, and waits until it
// answers.
func startPeer(t *testing.T, name string, cmd *exec.Cmd, addr string) *peer {
	t.Helper()
	p := &peer{Process: testutil.StartProcess(t, name, cmd), base: "http://" + addr}
	testutil.WaitFor(t, name+" to serve", func() error {
		resp, err := http.Get(p.base + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}, p.Process)
	return p
}

// scrapeClient keeps one connection per peer open, as Prometheus does.
var scrapeClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}

// scrape GETs /metrics the way Prometheus asks for it (text format, gzip)
// and returns the time until the last byte arrived, and the decompressed
// body. Decompression happens after the clock stops.
func (p *peer) scrape(t *testing.T) (time.Duration, []byte) {
	t.Helper()
	d, body, err := p.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d, body
}

// get is scrape for any goroutine: it returns what went wrong.
func (p *peer) get(ctx context.Context) (time.Duration, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", p.base+"/metrics", nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	resp, err := scrapeClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: scrape: %w", p.Name, err)
	}
	raw, err := io.ReadAll(resp.Body)
	d := time.Since(start)
	resp.Body.Close()
	if err != nil {
		return 0, nil, fmt.Errorf("%s: scrape: %w", p.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, nil, fmt.Errorf("%s: scrape: HTTP %d\n%s", p.Name, resp.StatusCode, raw)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return d, raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err == nil {
		raw, err = io.ReadAll(zr)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("%s: gzip: %w", p.Name, err)
	}
	return d, raw, nil
}

// activeUnits counts the lab's generated units that body reports active
// in metric (bootinfo_systemd_unit_state or node_systemd_unit_state).
func activeUnits(t *testing.T, p *peer, body []byte, metric string) int {
	t.Helper()
	m, err := agent.ParseMetrics(body)
	if err != nil {
		t.Fatalf("%s: /metrics: %v", p.Name, err)
	}
	return systemdlab.CountGenerated(m.ByLabel(metric, "name", "state", "active"))
}

// systemdArgs are bootinfo's flags in the systemd benchmarks: the systemd
// collector (with host and bootloader, which cost nothing here) watching
// the lab's manager over its private socket.
func systemdArgs(lab *systemdlab.Lab) []string {
	return []string{"--no-collector.kmsg", "--no-collector.dmi", "--no-collector.firmware", "--no-collector.history",
		"--collector.systemd.user", "--collector.systemd.address=" + lab.PrivateAddress()}
}

// pollEvery is the pause between two polls of /metrics while bootinfo
// starts.
const pollEvery = 20 * time.Millisecond

// The series bootinfo's start is timed by.
const (
	// successMetric with the systemd collector's label is 1 once the
	// collector answers.
	successMetric = "bootinfo_scrape_collector_success"
	// detailGauge is 1 once every unit's detail (restarts, results,
	// timestamps, unit file states) is loaded, 0 while it loads. Code
	// before it has no such gauge: its first sync loads everything before
	// the collector answers.
	detailGauge = "bootinfo_systemd_detail_complete"
)

// startup is what bootinfo's start showed, timed from the moment its
// process was started.
type startup struct {
	// success is when /metrics first had the systemd collector succeed,
	// detail when it first had every unit's detail.
	success, detail time.Duration
	// successStep and detailStep bound each moment's error: from the start
	// of the last poll that did not see it to the end of the one that did.
	successStep, detailStep time.Duration
	// gauge says detail came from detailGauge; without that gauge it is the
	// moment the snapshot first held every generated unit active.
	gauge bool
	// res is what bootinfo held at detail complete: its VmHWM is the peak
	// of the first sync.
	res testutil.Resources
}

// detailText says what detail complete was read from.
func (s startup) detailText() string {
	if s.gauge {
		return detailGauge + " 1"
	}
	return "every unit synced; no " + detailGauge
}

// startSystemdBootinfo starts bootinfo with systemdArgs and polls its
// /metrics every pollEvery until its systemd detail is complete, which
// also means want generated units active: the first sync of thousands of
// units takes the manager seconds.
func startSystemdBootinfo(t *testing.T, lab *systemdlab.Lab, want int) (*peer, startup) {
	t.Helper()
	agent.Binary(t) // built before the clock starts
	start := time.Now()
	p := startBootinfo(t, systemdArgs(lab)...)
	var s startup
	seenGauge := false
	last := -1
	deadline, limited := testutil.Deadline(t)
	for prev := start; ; time.Sleep(pollEvery) {
		polled := time.Now()
		_, body := p.scrape(t)
		at := time.Since(start)
		if s.success == 0 && slices.Contains(seriesValues(body, successMetric, `collector="systemd"`), 1) {
			s.success, s.successStep = at, time.Since(prev)
		}
		detail := seriesValues(body, detailGauge)
		seenGauge = seenGauge || len(detail) > 0
		complete := false
		switch {
		case len(detail) > 0:
			complete = !slices.ContainsFunc(detail, func(v float64) bool { return v != 1 })
		case !seenGauge && s.success != 0:
			n := activeUnits(t, p, body, "bootinfo_systemd_unit_state")
			if n > want {
				t.Fatalf("bootinfo reports %d generated units active, the lab has %d", n, want)
			}
			if n != last {
				t.Logf("bootinfo: %d of %d generated units synced", n, want)
				last = n
			}
			complete = n == want
		}
		if complete && s.success != 0 {
			s.detail, s.detailStep, s.gauge = at, time.Since(prev), len(detail) > 0
			s.res = resources(t, p)
			t.Logf("bootinfo: systemd success %v, detail complete %v after start (%s)",
				s.success.Round(time.Millisecond), s.detail.Round(time.Millisecond), s.detailText())
			return p, s
		}
		if err := p.Alive(); err != nil {
			t.Fatalf("waiting for bootinfo's systemd detail: %v", err)
		}
		if limited && time.Now().After(deadline) {
			t.Fatalf("waiting for bootinfo's systemd detail: the test binary's -timeout is near (success after %v)", s.success)
		}
		prev = polled
	}
}

// seriesValues returns the values of the series of metric name in body, a
// text-format exposition, whose label sets hold every one of labels
// (written as in the text: collector="systemd"). A line scan, far cheaper
// than parsing the body of thousands of units at every poll.
func seriesValues(body []byte, name string, labels ...string) []float64 {
	var out []float64
	for line := range bytes.Lines(body) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		var set []byte
		if len(rest) > 0 && rest[0] == '{' {
			end := bytes.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			set, rest = rest[1:end], rest[end+1:]
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
			continue // a longer name
		}
		v, err := strconv.ParseFloat(string(fields[0]), 64)
		if err != nil || slices.ContainsFunc(labels, func(l string) bool { return !bytes.Contains(set, []byte(l)) }) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// managerWakeups counts how often the manager's main thread went to sleep
// and was woken again. An idle manager sleeps in epoll_wait; every D-Bus
// message that reaches it wakes it, so a client that makes calls raises this
// by at least one per call it makes in sequence.
func managerWakeups(t *testing.T, lab *systemdlab.Lab) uint64 {
	t.Helper()
	r, err := testutil.ReadResources(lab.ManagerPID())
	if err != nil {
		t.Fatal(err)
	}
	return r.Wakeups
}

// waitManagerQuiet waits until the manager has slept through 200 ms.
func waitManagerQuiet(t *testing.T, lab *systemdlab.Lab) {
	t.Helper()
	testutil.WaitFor(t, "the manager to go quiet", func() error {
		before := managerWakeups(t, lab)
		time.Sleep(200 * time.Millisecond)
		if n := managerWakeups(t, lab) - before; n != 0 {
			return fmt.Errorf("woken %d times in 200 ms", n)
		}
		return nil
	})
}

// measurement is what one peer showed over the measured scrapes.
type measurement struct {
	peer        *peer
	median, p90 time.Duration
	// ratio is median over the first peer's median.
	ratio float64
	// cpu is the user and system time the peer used per measured scrape.
	cpu time.Duration
	// res is what the peer holds after the scrapes.
	res testutil.Resources
	// body is the size of the last body, uncompressed.
	body int
}

// measure scrapes the peers in turn, warmup rounds and then scrapes
// measured rounds, the first peer rotating (A, B, C, then B, C, A...) so
// that noise from other jobs on the machine falls on all of them alike.
// check sees each peer's body of the first and of the last round.
func measure(t *testing.T, peers []*peer, warmup, scrapes int, check func(p *peer, body []byte)) []measurement {
	t.Helper()
	times := make([][]time.Duration, len(peers))
	sizes := make([]int, len(peers))
	cpu := make([]time.Duration, len(peers))
	for round := range warmup + scrapes {
		if round == warmup {
			for i, p := range peers {
				cpu[i] = resources(t, p).CPU
			}
		}
		for k := range peers {
			i := (round + k) % len(peers)
			d, body := peers[i].scrape(t)
			if round == 0 || round == warmup+scrapes-1 {
				check(peers[i], body)
			}
			sizes[i] = len(body)
			if round >= warmup {
				times[i] = append(times[i], d)
			}
		}
	}
	out := make([]measurement, len(peers))
	for i, p := range peers {
		r := resources(t, p)
		out[i] = measurement{peer: p, median: testutil.Median(times[i]), p90: testutil.Quantile(times[i], 0.9),
			cpu: (r.CPU - cpu[i]) / time.Duration(scrapes), res: r, body: sizes[i]}
		out[i].ratio = float64(out[i].median) / float64(out[0].median)
	}
	return out
}

func resources(t *testing.T, p *peer) testutil.Resources {
	t.Helper()
	r, err := p.Resources()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// cells are the measurement's middle columns of the reports' tables:
// median, p90, ratio, CPU per scrape, VmRSS and VmHWM.
func (m measurement) cells() string {
	return fmt.Sprintf("%s | %s | %.1f× | %s | %.1f MiB | %.1f MiB", ms(m.median), ms(m.p90), m.ratio, ms(m.cpu),
		float64(m.res.RSS)/(1<<20), float64(m.res.PeakRSS)/(1<<20))
}

// mib formats bytes in MiB.
func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// seconds formats a duration with three significant figures, in seconds
// from one second up.
func seconds(d time.Duration) string {
	switch {
	case d < time.Second:
		return ms(d)
	case d < 100*time.Second:
		return fmt.Sprintf("%.3g s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// met is a targets table's verdict.
func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// appendOut appends Markdown rows to the file the environment variable env
// names, if it is set, for scripts/bench-report to assemble.
func appendOut(t *testing.T, env, rows string) {
	t.Helper()
	out := os.Getenv(env)
	if out == "" {
		return
	}
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(rows)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
