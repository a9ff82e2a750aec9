package bench

import (
	"fmt"
	"os"
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
)

// nodeExporterExtra are the node_exporter flags of its second
// configuration: per-service properties fetched on every scrape.
var nodeExporterExtra = []string{"--collector.systemd.enable-restarts-metrics", "--collector.systemd.enable-start-time-metrics"}

// split divides n generated units between oneshot services and target
// instances: a fifth services (each runs /bin/true once at startup), the
// rest targets, since thousands of services take minutes to start on a
// 2-core machine.
func split(n int) (services, targets int) {
	services = n / 5
	return services, n - services
}

// instancePrefix names the target instances labOptions adds.
const instancePrefix = systemdlab.GeneratedPrefix + "inst@"

// labOptions builds a lab of units generated units: services from
// Options.Units, and targets as instances of one template
// (lab-gen-inst@NNNN.target), all pulled in by one umbrella target.
//
// Instances, not Options.Targets: the manager resolves every unit file's
// install state for ListUnitFiles, which bootinfo's first sync calls, and
// that grows faster than linearly in the number of files (minutes for
// 5,000 generated target files here, past the watcher's 30 s bound). A
// host's thousands of units are mostly instances, devices and mounts, not
// files; the template keeps the lab at a host's few unit files.
func labOptions(units int) systemdlab.Options {
	svc, tgt := split(units)
	var wants strings.Builder
	for i := range tgt {
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

// peers starts bootinfo and node_exporter's two configurations against one
// lab and waits until bootinfo's snapshot holds all generated units.
func peers(t *testing.T, lab *systemdlab.Lab, units int) (bootinfo *peer, others []*peer, sync time.Duration) {
	t.Helper()
	ne := nodeExporter(t)
	bin := buildBootinfo(t)
	start := time.Now()
	bootinfo = startBootinfo(t, bin, lab)
	waitSynced(t, bootinfo, units)
	sync = time.Since(start)
	others = []*peer{
		startNodeExporter(t, "node_exporter", ne, lab),
		startNodeExporter(t, "node_exporter +restarts +start-time", ne, lab, nodeExporterExtra...),
	}
	return bootinfo, others, sync
}

// checkUnits fails unless body reports every generated unit active.
func checkUnits(t *testing.T, p *peer, body []byte, units int) {
	t.Helper()
	metric := "node_systemd_unit_state"
	if p.name == "bootinfo" {
		metric = "bootinfo_systemd_unit_state"
	}
	if n := generatedActive(unitStates(body, metric)); n != units {
		t.Errorf("%s: %s reports %d generated units active, want %d", p.name, metric, n, units)
	}
}

// TestSystemdPeersAnswer is the short, always-run version of the benchmark:
// on a lab of 200 units both peers answer with every unit's state, and
// bootinfo's scrapes are served from its cache, without a D-Bus call to the
// manager. It asserts no timing.
func TestSystemdPeersAnswer(t *testing.T) {
	const units = 200
	nodeExporter(t) // skip before starting anything when it is missing
	svc, _ := split(units)
	lab := systemdlab.Start(t, labOptions(units))
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
	t.Logf("one scrape of %s woke the manager %d times", others[1].name, d)
	if d < int64(svc) {
		t.Errorf("a scrape of %s woke the manager %d times, want at least %d (one per service): the probe does not see D-Bus calls", others[1].name, d, svc)
	}
}

// result is one peer's figures at one lab size.
type result struct {
	peer          string
	median, p90   time.Duration
	rss, hwm      int64 // kB
	bytes         int
	ratioBootinfo float64       // median / bootinfo's median
	cpu           time.Duration // user+system time per measured scrape
}

// TestSystemdPeerBenchmark measures the median /metrics scrape time and
// resident memory of bootinfo and of node_exporter's systemd collector (two
// configurations) on the same lab manager, at each unit count of
// BOOTINFO_BENCH_UNITS. Scrapes of the peers are interleaved, so noise from
// other jobs on the machine falls on all of them alike. It reports; it
// asserts only that every peer answers with every unit.
func TestSystemdPeerBenchmark(t *testing.T) {
	if os.Getenv(envBench) != "1" {
		t.Skipf("a benchmark against node_exporter; set %s=1 (scripts/bench-systemd does)", envBench)
	}
	counts := envInts(t, envUnits, "1000,5000")
	scrapes := envInts(t, envScrapes, "30")[0]
	warmup := envInts(t, envWarmup, "3")[0]
	nodeExporter(t)
	for _, units := range counts {
		t.Run(strconv.Itoa(units), func(t *testing.T) {
			benchUnits(t, units, scrapes, warmup)
		})
	}
}

func benchUnits(t *testing.T, units, scrapes, warmup int) {
	svc, tgt := split(units)
	start := time.Now()
	lab := systemdlab.Start(t, labOptions(units))
	t.Logf("lab of %d services + %d target instances up in %v", svc, tgt, time.Since(start).Round(time.Millisecond))
	bootinfo, others, sync := peers(t, lab, units)
	t.Logf("bootinfo's first full sync: %v after start", sync.Round(time.Millisecond))
	all := append([]*peer{bootinfo}, others...)

	times := make([][]time.Duration, len(all))
	sizes := make([]int, len(all))
	ticks := make([]int64, len(all))
	for round := range warmup + scrapes {
		if round == warmup {
			for i, p := range all {
				ticks[i] = cpuTicks(t, p.cmd.Process.Pid)
			}
		}
		// A, B, C, then B, C, A...: no peer always goes first.
		for k := range all {
			i := (round + k) % len(all)
			p := all[i]
			d, body := p.scrape(t)
			if round == 0 || round == warmup+scrapes-1 {
				checkUnits(t, p, body, units)
			}
			sizes[i] = len(body)
			if round >= warmup {
				times[i] = append(times[i], d)
			}
		}
	}
	if t.Failed() {
		return
	}

	var rows []result
	for i, p := range all {
		pid := p.cmd.Process.Pid
		rows = append(rows, result{
			peer:   p.name,
			median: median(times[i]),
			p90:    quantile(times[i], 0.9),
			rss:    procStatus(t, pid, "VmRSS"),
			hwm:    procStatus(t, pid, "VmHWM"),
			bytes:  sizes[i],
			cpu:    time.Duration(cpuTicks(t, pid)-ticks[i]) * time.Second / clockTicks / time.Duration(scrapes),
		})
	}
	for i := range rows {
		rows[i].ratioBootinfo = float64(rows[i].median) / float64(rows[0].median)
	}
	var md strings.Builder
	for i, r := range rows {
		first := "—"
		if i == 0 {
			first = fmt.Sprintf("%.1f s", sync.Seconds())
		}
		fmt.Fprintf(&md, "| %d (%d services + %d target instances) | %s | %s | %s | %.1f× | %s | %.1f MiB | %.1f MiB | %d KiB | %s |\n",
			units, svc, tgt, r.peer, ms(r.median), ms(r.p90), r.ratioBootinfo, ms(r.cpu), float64(r.rss)/1024, float64(r.hwm)/1024, r.bytes/1024, first)
	}
	t.Logf("%d units, %d scrapes of each peer after %d warm-up, bootinfo synced in %v:\n%s",
		units, scrapes, warmup, sync.Round(time.Millisecond), md.String())
	if out := os.Getenv(envOut); out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(md.String()); err != nil {
			t.Fatal(err)
		}
	}
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
