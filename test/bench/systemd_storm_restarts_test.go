package bench

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

const (
	// stormReaders is how many systemctl processes read the crash-looping
	// services' NRestarts side by side. One reads them one D-Bus call
	// after another, which under the storm takes the manager seconds; it
	// serves its connections side by side.
	stormReaders = 10
	// stormConvergeWait bounds how long bootinfo is watched, once the storm
	// is stopped, for its counters to reach the manager's.
	stormConvergeWait = 20 * time.Second
	// stormConvergeEvery is the pause between two looks.
	stormConvergeEvery = 100 * time.Millisecond
)

// managerRestarts are the crash-looping services' NRestarts, read from the
// manager from at for span.
type managerRestarts struct {
	n    map[string]int
	at   time.Time
	span time.Duration
}

// readStormRestarts reads every crash-looping service's NRestarts from the
// manager, with stormReaders `systemctl show -p Id,NRestarts` at once.
func readStormRestarts(t *testing.T, lab *systemdlab.Lab) managerRestarts {
	t.Helper()
	r := managerRestarts{n: map[string]int{}, at: time.Now()}
	outs := make([]string, stormReaders)
	errs := make([]error, stormReaders)
	var wg sync.WaitGroup
	for k := range stormReaders {
		args := []string{"show", "--property=Id,NRestarts"}
		for i := k; i < stormServices; i += stormReaders {
			args = append(args, systemdlab.CrashLoopUnit(i))
		}
		wg.Go(func() { outs[k], errs[k] = lab.Systemctl(args...) })
	}
	wg.Wait()
	r.span = time.Since(r.at)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for block := range strings.SplitSeq(strings.TrimSpace(strings.Join(outs, "\n\n")), "\n\n") {
		props := map[string]string{}
		for line := range strings.SplitSeq(strings.TrimSpace(block), "\n") {
			k, v, _ := strings.Cut(line, "=")
			props[k] = v
		}
		n, err := strconv.Atoi(props["NRestarts"])
		if err != nil || !strings.HasPrefix(props["Id"], systemdlab.CrashLoopPrefix) {
			t.Fatalf("systemctl show: a block without a crash-looping service's NRestarts: %q", block)
		}
		r.n[props["Id"]] = n
	}
	if len(r.n) != stormServices {
		t.Fatalf("systemctl show: NRestarts of %d services, want %d", len(r.n), stormServices)
	}
	return r
}

// bootinfoRestarts scrapes bootinfo and returns its crash-looping
// services' restart counters, and whether its systemd collector succeeded.
func bootinfoRestarts(t *testing.T, p *peer) (map[string]int, bool) {
	t.Helper()
	_, body := p.scrape(t)
	m, err := agent.ParseMetrics(body)
	if err != nil {
		t.Fatalf("%s: /metrics: %v", p.Name, err)
	}
	got := map[string]int{}
	for name, v := range m.ByLabel("bootinfo_systemd_unit_restarts_total", "name") {
		if strings.HasPrefix(name, systemdlab.CrashLoopPrefix) {
			got[name] = int(v)
		}
	}
	return got, m.Value(successMetric, "collector", "systemd") == 1
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// counterRead is one reading of bootinfo's restart counters against the
// manager's NRestarts.
type counterRead struct {
	sum int
	// lag is the largest gap of one service behind the manager, lagTime
	// that gap at the service's own restart rate.
	lag     int
	lagTime time.Duration
	// missing counts services bootinfo has no counter for.
	missing int
	// failed says bootinfo's systemd collector failed in that scrape.
	failed bool
}

// compareCounters compares bootinfo's counters bi (ok: from a scrape in
// which its systemd collector succeeded) with the manager's NRestarts sys;
// from is an earlier reading, which gives each service's rate.
func compareCounters(bi map[string]int, ok bool, from, sys managerRestarts) counterRead {
	r := counterRead{failed: !ok}
	wall := sys.at.Sub(from.at).Seconds()
	for name, n := range sys.n {
		v, ok := bi[name]
		if !ok {
			r.missing++
			continue
		}
		r.sum += v
		if gap := n - v; gap > r.lag {
			r.lag, r.lagTime = gap, 0
			if rate := float64(n-from.n[name]) / wall; rate > 0 {
				r.lagTime = time.Duration(float64(gap) / rate * float64(time.Second))
			}
		}
	}
	return r
}

func (r counterRead) sumText() string {
	s := strconv.Itoa(r.sum)
	switch r.missing {
	case 0:
	case stormServices:
		s = "no counters"
	default:
		s += fmt.Sprintf(" (no counter for %d services)", r.missing)
	}
	if r.failed {
		s += " (systemd collector failed)"
	}
	return s
}

func (r counterRead) lagText() string {
	if r.missing == stormServices {
		return "—"
	}
	return fmt.Sprintf("%d (%s)", r.lag, seconds(r.lagTime))
}

// stormCounters are bootinfo's counters during the storm, read right before
// and right after the manager's NRestarts (sys), and an earlier reading of
// the manager's (from).
type stormCounters struct {
	before, after counterRead
	from, sys     managerRestarts
}

// restartsDuring reads bootinfo's counters, the manager's NRestarts and
// bootinfo's counters again, and compares them.
func restartsDuring(t *testing.T, lab *systemdlab.Lab, bootinfo *peer, from managerRestarts) stormCounters {
	t.Helper()
	biBefore, okBefore := bootinfoRestarts(t, bootinfo)
	sys := readStormRestarts(t, lab)
	biAfter, okAfter := bootinfoRestarts(t, bootinfo)
	return stormCounters{
		before: compareCounters(biBefore, okBefore, from, sys),
		after:  compareCounters(biAfter, okAfter, from, sys),
		from:   from, sys: sys,
	}
}

func (c stormCounters) sumText() string {
	return fmt.Sprintf("before %s, after %s (manager: %d, read by %d systemctl side by side in %s; %d restarts in the %s before)",
		c.before.sumText(), c.after.sumText(), sum(c.sys.n), stormReaders, seconds(c.sys.span),
		sum(c.sys.n)-sum(c.from.n), seconds(c.sys.at.Sub(c.from.at)))
}

func (c stormCounters) lagText() string {
	var rates []float64
	wall := c.sys.at.Sub(c.from.at).Seconds()
	for name, n := range c.sys.n {
		rates = append(rates, float64(n-c.from.n[name])/wall)
	}
	return fmt.Sprintf("before %s, after %s (median rate %.2f restarts/s)", c.before.lagText(), c.after.lagText(),
		testutil.Median(rates))
}

// convergence is how long bootinfo's counters took to equal the manager's
// NRestarts once the storm was stopped.
type convergence struct {
	// stop is how long stopping the services took; after is from then
	// until the counters were equal (ok) or until bootinfo stopped being
	// watched, with a counter still gap restarts off.
	stop, after time.Duration
	ok          bool
	gap         int
}

// restartsAfter stops the crash-looping services, reads their final
// NRestarts and watches bootinfo's counters until they are equal, for at
// most stormConvergeWait.
func restartsAfter(t *testing.T, lab *systemdlab.Lab, bootinfo *peer) convergence {
	t.Helper()
	start := time.Now()
	if _, err := lab.Systemctl("stop", systemdlab.CrashLoopPrefix+"*.service"); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	final := readStormRestarts(t, lab)
	for {
		bi, _ := bootinfoRestarts(t, bootinfo)
		c := convergence{stop: stopped.Sub(start), after: time.Since(stopped), ok: maps.Equal(bi, final.n)}
		for name, n := range final.n {
			c.gap = max(c.gap, n-bi[name], bi[name]-n)
		}
		if c.ok || c.after >= stormConvergeWait {
			return c
		}
		time.Sleep(stormConvergeEvery)
	}
}

func (c convergence) text() string {
	if c.ok {
		return fmt.Sprintf("%s after the stop (which took %s), looking every %s", seconds(c.after), seconds(c.stop), ms(stormConvergeEvery))
	}
	return fmt.Sprintf("not %s after the stop: a counter still %d off", seconds(c.after), c.gap)
}
