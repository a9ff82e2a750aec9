package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// nodeExporterBinary is Debian's name for node_exporter.
const nodeExporterBinary = "prometheus-node-exporter"

// peer is one exporter process serving /metrics on the loopback.
type peer struct {
	name   string
	base   string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

// buildBootinfo builds the agent the way scripts/build builds the release
// binary (static, stripped), so its resident memory is the shipped one's.
func buildBootinfo(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootinfo")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "netgo,osusergo", "-ldflags", "-s -w", "-o", out, "./cmd/bootinfo")
	cmd.Dir = testutil.RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
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

// startBootinfo serves only the systemd collector, watching the lab's
// manager over its private socket.
func startBootinfo(t *testing.T, bin string, lab *systemdlab.Lab) *peer {
	t.Helper()
	addr := testutil.FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--web.listen-address="+addr,
		"--no-collector.kmsg", "--no-collector.dmi", "--no-collector.firmware", "--no-collector.history",
		"--collector.systemd.user", "--collector.systemd.address="+lab.PrivateAddress(),
		"--web.disable-exporter-metrics")
	return startPeer(t, "bootinfo", cmd, addr)
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

func startPeer(t *testing.T, name string, cmd *exec.Cmd, addr string) *peer {
	t.Helper()
	p := &peer{name: name, base: "http://" + addr, cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	// Never outlive the test binary, even if it dies before its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.stderr)
		}
	})
	for {
		resp, err := http.Get(p.base + "/")
		if err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("%s exited before serving: %v\n%s", name, err, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// alive fails the test if the peer has exited.
func (p *peer) alive(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		t.Fatalf("%s exited: %v\n%s", p.name, err, p.stderr)
	default:
	}
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
		t.Fatalf("%s: scrape: %v", p.name, err)
	}
	raw, err := io.ReadAll(resp.Body)
	d := time.Since(start)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: scrape: %v", p.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: scrape: HTTP %d\n%s", p.name, resp.StatusCode, raw)
	}
	body := raw
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: gzip: %v", p.name, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: gzip: %v", p.name, err)
		}
	}
	return d, body
}

// unitStates reads the samples of a unit state metric
// (bootinfo_systemd_unit_state or node_systemd_unit_state) from a text
// exposition: unit name to state to value.
func unitStates(body []byte, metric string) map[string]map[string]float64 {
	units := map[string]map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := metric + "{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		labels := parseLabels(line[len(prefix):end])
		v, err := strconv.ParseFloat(strings.Fields(line[end+1:])[0], 64)
		if err != nil {
			continue
		}
		name, state := labels["name"], labels["state"]
		if units[name] == nil {
			units[name] = map[string]float64{}
		}
		units[name][state] = v
	}
	return units
}

// parseLabels splits `a="x",b="y"` (unit names carry no quotes or
// backslashes, but escapes are honoured all the same).
func parseLabels(s string) map[string]string {
	m := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return m
		}
		key := strings.TrimLeft(s[:eq], ", ")
		var val strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			val.WriteByte(s[i])
		}
		m[key] = val.String()
		if i+1 >= len(s) {
			break
		}
		s = s[i+1:]
	}
	return m
}

// generatedActive counts the lab's generated units (lab-gen-NNNN.service and
// lab-gen-inst@NNNN.target, not the umbrella targets) reported active.
func generatedActive(units map[string]map[string]float64) int {
	n := 0
	for name, states := range units {
		generated := strings.HasPrefix(name, instancePrefix) ||
			strings.HasPrefix(name, systemdlab.GeneratedPrefix) && strings.HasSuffix(name, ".service")
		if generated && states["active"] == 1 {
			n++
		}
	}
	return n
}

// waitSynced polls bootinfo until its snapshot reports want generated units
// active: the first sync of thousands of units takes the manager seconds.
func waitSynced(t *testing.T, p *peer, want int) {
	t.Helper()
	last := -1
	for {
		p.alive(t)
		_, body := p.scrape(t)
		n := generatedActive(unitStates(body, "bootinfo_systemd_unit_state"))
		if n == want {
			return
		}
		if n > want {
			t.Fatalf("bootinfo reports %d generated units active, the lab has %d", n, want)
		}
		if n != last {
			t.Logf("bootinfo: %d of %d generated units synced", n, want)
			last = n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// procStatus reads a field of /proc/PID/status (VmRSS, VmHWM in kB;
// voluntary_ctxt_switches) as a number.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
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
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatalf("/proc/%d/status %s: %v", pid, field, err)
		}
		return n
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// managerWakeups counts how often the manager's main thread went to sleep
// and was woken again. An idle manager sleeps in epoll_wait; every D-Bus
// message that reaches it wakes it, so a client that makes calls raises this
// by at least one per call it makes in sequence.
func managerWakeups(t *testing.T, lab *systemdlab.Lab) int64 {
	t.Helper()
	return procStatus(t, lab.ManagerPID(), "voluntary_ctxt_switches")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// quantile returns the q-quantile (nearest rank) of ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// waitManagerQuiet waits until the manager has slept through 200 ms.
func waitManagerQuiet(t *testing.T, lab *systemdlab.Lab) {
	t.Helper()
	for {
		before := managerWakeups(t, lab)
		time.Sleep(200 * time.Millisecond)
		if managerWakeups(t, lab) == before {
			return
		}
	}
}
