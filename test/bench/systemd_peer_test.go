package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
)

// Environment of the gated benchmark (scripts/bench-systemd sets it).
const (
	// EnvBench=1 runs TestSystemdPeerBenchmark; without it the test skips.
	envBench = "BOOTINFO_BENCH_SYSTEMD"
	// envUnits lists the unit counts to measure, comma-separated.
	envUnits = "BOOTINFO_BENCH_UNITS"
	// envScrapes is the number of measured scrapes of each peer.
	envScrapes = "BOOTINFO_BENCH_SCRAPES"
	// envWarmup is the number of scrapes of each peer discarded first.
	envWarmup = "BOOTINFO_BENCH_WARMUP"
	// envOut names a file the result rows are appended to, as Markdown.
	envOut = "BOOTINFO_BENCH_OUT"
	// envTargetsOut names a file the rows of issue 14's targets are
	// appended to.
	envTargetsOut = "BOOTINFO_BENCH_TARGETS_OUT"
	// envShowRuns is the number of `bootinfo show systemd` runs timed.
	envShowRuns = "BOOTINFO_BENCH_SHOW_RUNS"
)

// nodeExporterExtra are the node_exporter flags of its second
// configuration: per-service properties fetched on every scrape.
var nodeExporterExtra = []string{"--collector.systemd.enable-restarts-metrics", "--collector.systemd.enable-start-time-metrics"}

// peers starts bootinfo (timing its start, see startSystemdBootinfo) and
// then node_exporter's two configurations against one lab.
func peers(t *testing.T, lab *systemdlab.Lab, units int) (bootinfo *peer, others []*peer, start startup) {
	t.Helper()
	ne := nodeExporter(t)
	bootinfo, start = startSystemdBootinfo(t, lab, units)
	others = []*peer{
		startNodeExporter(t, "node_exporter", ne, lab),
		startNodeExporter(t, "node_exporter +restarts +start-time", ne, lab, nodeExporterExtra...),
	}
	return bootinfo, others, start
}

// checkUnits fails unless body reports every generated unit active.
func checkUnits(t *testing.T, p *peer, body []byte, units int) {
	t.Helper()
	metric := "node_systemd_unit_state"
	if p.Name == "bootinfo" {
		metric = "bootinfo_systemd_unit_state"
	}
	if n := activeUnits(t, p, body, metric); n != units {
		t.Errorf("%s: %s reports %d generated units active, want %d", p.Name, metric, n, units)
	}
}

// TestSystemdPeersAnswer is the short, always-run version of the benchmark:
// on a lab of 200 units both peers answer with every unit's state, and
// bootinfo's scrapes are served from its cache, without a D-Bus call to the
// manager. It asserts no timing.
func TestSystemdPeersAnswer(t *testing.T) {
	const units = 200
	nodeExporter(t) // skip before starting anything when it is missing
	opts := systemdlab.Instances(units)
	lab := systemdlab.Start(t, opts)
	bootinfo, others, _ := peers(t, lab, units)
	for _, p := range append([]*peer{bootinfo}, others...) {
		for range 3 {
			_, body := p.scrape(t)
			checkUnits(t, p, body, units)
		}
	}

	// The manager sleeps between D-Bus messages. Scrapes of bootinfo must
	// not wake it (the watcher's own 5 s ping may, once or twice, during
	// the window; a D-Bus call per scrape would wake it at least 40 times).
	// Closing node_exporter's connections above takes the manager a few
	// wakeups; let it settle first.
	waitManagerQuiet(t, lab)
	const scrapes = 40
	before := managerWakeups(t, lab)
	for range scrapes {
		bootinfo.scrape(t)
	}
	d := managerWakeups(t, lab) - before
	t.Logf("%d bootinfo scrapes woke the manager %d times", scrapes, d)
	if d >= scrapes/4 {
		t.Errorf("%d bootinfo scrapes woke the manager %d times; a scrape must not call it", scrapes, d)
	}

	// The probe sees D-Bus calls: node_exporter with restart metrics asks
	// the manager for every service's NRestarts in turn, on every scrape.
	before = managerWakeups(t, lab)
	others[1].scrape(t)
	d = managerWakeups(t, lab) - before
	t.Logf("one scrape of %s woke the manager %d times", others[1].Name, d)
	if d < uint64(opts.Units) {
		t.Errorf("a scrape of %s woke the manager %d times, want at least %d (one per service): the probe does not see D-Bus calls", others[1].Name, d, opts.Units)
	}
}

// TestSystemdPeerBenchmark measures, at each unit count of
// BOOTINFO_BENCH_UNITS, on one lab manager: the median /metrics scrape
// time and resident memory of bootinfo and of node_exporter's systemd
// collector (two configurations), and issue 14's targets (see targetRows)
// against node_exporter's median scrape time. Scrapes of the peers are
// interleaved, so noise from other jobs on the machine falls on all of
// them alike. It reports; it asserts only that every peer, and a
// successful `bootinfo show`, answers with every unit.
func TestSystemdPeerBenchmark(t *testing.T) {
	if os.Getenv(envBench) != "1" {
		t.Skipf("a benchmark against node_exporter; set %s=1 (scripts/bench-systemd does)", envBench)
	}
	counts := envInts(t, envUnits, "1000,5000")
	scrapes := envInts(t, envScrapes, "30")[0]
	warmup := envInts(t, envWarmup, "3")[0]
	showRuns := envInts(t, envShowRuns, "5")[0]
	nodeExporter(t)
	var base *baseline
	for _, units := range counts {
		t.Run(strconv.Itoa(units), func(t *testing.T) {
			if b := benchUnits(t, units, scrapes, warmup, showRuns, base); base == nil {
				base = b
			}
		})
	}
}

// baseline is bootinfo's median scrape time at the first unit count, which
// the others are compared with.
type baseline struct {
	units  int
	median time.Duration
}

func benchUnits(t *testing.T, units, scrapes, warmup, showRuns int, base *baseline) *baseline {
	opts := systemdlab.Instances(units)
	svc, tgt := opts.Units, units-opts.Units
	start := time.Now()
	lab := systemdlab.Start(t, opts)
	t.Logf("lab of %d services + %d target instances up in %v", svc, tgt, time.Since(start).Round(time.Millisecond))
	bootinfo, others, up := peers(t, lab, units)
	results := measure(t, append([]*peer{bootinfo}, others...), warmup, scrapes, func(p *peer, body []byte) {
		checkUnits(t, p, body, units)
	})
	if t.Failed() {
		return nil
	}
	show := runShow(t, lab, others[0], units, showRuns)
	var md strings.Builder
	for _, m := range results {
		fmt.Fprintf(&md, "| %d (%d services + %d target instances) | %s | %s | %d KiB |\n",
			units, svc, tgt, m.peer.Name, m.cells(), m.body/1024)
	}
	targets := targetRows(units, up, show, results, base)
	t.Logf("%d units, %d scrapes of each peer after %d warm-up:\n%s\n%s", units, scrapes, warmup, md.String(), targets)
	appendOut(t, envOut, md.String())
	appendOut(t, envTargetsOut, targets)
	return &baseline{units: units, median: results[0].median}
}

// ms formats a duration in milliseconds with three significant figures.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 1:
		return fmt.Sprintf("%.3f ms", v)
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// envInts reads a comma-separated list of positive integers from the
// environment, def when unset.
func envInts(t *testing.T, name, def string) []int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		s = def
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want positive integers, comma-separated", name, s)
		}
		out = append(out, n)
	}
	return out
}

// envUnitFiles=1 runs TestSystemdListUnitFilesCost.
const envUnitFiles = "BOOTINFO_BENCH_UNITFILES"

// TestSystemdListUnitFilesCost times the manager's ListUnitFiles, which
// bootinfo's first sync needs, on labs with a unit file per generated
// target (Options.Targets), one call each over the session bus (busctl
// cannot call over the private peer-to-peer socket). It
// reports; it asserts only that the call answers.
func TestSystemdListUnitFilesCost(t *testing.T) {
	if os.Getenv(envUnitFiles) != "1" {
		t.Skipf("a measurement of the manager; set %s=1", envUnitFiles)
	}
	for _, n := range envInts(t, envUnits, "1000,5000") {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			lab := systemdlab.Start(t, systemdlab.Options{Targets: n})
			start := time.Now()
			cmd := exec.Command("busctl", "--user", "--timeout=20min", "call",
				"org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "ListUnitFiles")
			cmd.Env = lab.Env()
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("ListUnitFiles: %v: %s", err, stderr.String())
			}
			t.Logf("%d target files: ListUnitFiles took %v (%d bytes of reply)", n, time.Since(start).Round(time.Millisecond), len(out))
		})
	}
}
