package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

func TestMain(m *testing.M) { agent.Main(m) }

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

// startNodeExporter runs node_exporter's systemd collector alone against the
// lab's manager, with extra flags (such as the restarts and start time
// metrics).
func startNodeExporter(t *testing.T, name, bin string, lab *systemdlab.Lab, extra ...string) *peer {
	t.Helper()
	addr := testutil.FreeAddr(t)
	sock := filepath.Join(lab.RuntimeDir(), "systemd", "private")
	args := []string{"-m", "--propagation", "private", "sh", "-c", nodeExporterScript, "sh", sock,
		bin, "--collector.disable-defaults", "--collector.systemd", "--collector.systemd.private",
		nodeExporterExclude, "--web.listen-address=" + addr}
	cmd := exec.Command("unshare", append(args, extra...)...)
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
	req, err := http.NewRequest("GET", p.base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	resp, err := scrapeClient.Do(req)
	if err != nil {
		t.Fatalf("%s: scrape: %v", p.Name, err)
	}
	raw, err := io.ReadAll(resp.Body)
	d := time.Since(start)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: scrape: %v", p.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: scrape: HTTP %d\n%s", p.Name, resp.StatusCode, raw)
	}
	body := raw
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: gzip: %v", p.Name, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: gzip: %v", p.Name, err)
		}
	}
	return d, body
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

// waitSynced polls bootinfo until its snapshot reports want generated units
// active: the first sync of thousands of units takes the manager seconds.
func waitSynced(t *testing.T, p *peer, want int) {
	t.Helper()
	last := -1
	testutil.WaitFor(t, "bootinfo's first sync", func() error {
		_, body := p.scrape(t)
		n := activeUnits(t, p, body, "bootinfo_systemd_unit_state")
		if n > want {
			t.Fatalf("bootinfo reports %d generated units active, the lab has %d", n, want)
		}
		if n != last {
			t.Logf("bootinfo: %d of %d generated units synced", n, want)
			last = n
		}
		if n < want {
			return fmt.Errorf("%d of %d generated units synced", n, want)
		}
		return nil
	}, p.Process)
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
