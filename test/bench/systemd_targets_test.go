package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// Issue 14's targets for the systemd collector, most of them as multiples
// of node_exporter's median scrape time on the same manager (N). The
// benchmark reports whether each is met; it asserts none.
const (
	// targetSuccess: the first systemd success after start within 3 N.
	targetSuccess = 3
	// targetDetail: all detail complete within 10 N.
	targetDetail = 10
	// targetShow: `bootinfo show systemd` succeeds within 5 N.
	targetShow = 5
	// targetSteady: a steady-state scrape at least 50 times faster than N
	// (at 1,000 units, and flat to 5,000).
	targetSteady = 50
	// targetPeak: VmHWM during the first sync at most 40 MiB (at 5,000
	// units).
	targetPeak = 40 << 20
)

// showResult is what runs of `bootinfo show systemd --format json` gave.
type showResult struct {
	// median is the median wall time of a run, exec to exit.
	median time.Duration
	// runs counts the runs, ok those that succeeded.
	runs, ok int
	// failure is the first failed run's exit status and last line of
	// standard error.
	failure string
	// units counts the generated units in the last successful run's JSON.
	units int
	// peer is node_exporter's median scrape time over scrapes taken right
	// before each run, which the runs are compared with: load from other
	// jobs on this shared machine then falls on both alike.
	peer time.Duration
}

// runShow runs `bootinfo show systemd --format json` with default flags,
// but for the lab manager's address, runs times, each right after a scrape
// of node_exporter (ne), and checks that a run that succeeds prints every
// one of the lab's want generated units.
func runShow(t *testing.T, lab *systemdlab.Lab, ne *peer, want, runs int) showResult {
	t.Helper()
	bin := agent.Binary(t)
	r := showResult{runs: runs}
	var times, peerTimes []time.Duration
	for range runs {
		d, _ := ne.scrape(t)
		peerTimes = append(peerTimes, d)
		cmd := exec.Command(bin, "show", "systemd", "--format", "json",
			"--collector.systemd.user", "--collector.systemd.address="+lab.PrivateAddress())
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		times = append(times, time.Since(start))
		var exit *exec.ExitError
		switch {
		case err == nil:
			r.ok++
			r.units = jsonUnits(t, stdout.Bytes())
			if r.units != want {
				t.Errorf("bootinfo show systemd lists %d generated units, the lab has %d", r.units, want)
			}
		case errors.As(err, &exit):
			if r.failure == "" {
				// The last line is the command's verdict; log records
				// come before it.
				lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
				r.failure = fmt.Sprintf("exit %d: %s", exit.ExitCode(), lines[len(lines)-1])
			}
		default:
			t.Fatalf("bootinfo show: %v", err)
		}
	}
	r.median, r.peer = testutil.Median(times), testutil.Median(peerTimes)
	t.Logf("bootinfo show systemd: %d of %d runs succeeded, median %v (%s's scrapes between them: median %v) %s",
		r.ok, r.runs, r.median.Round(time.Millisecond), ne.Name, r.peer.Round(time.Millisecond), r.failure)
	return r
}

// jsonUnits counts the generated units in the units list of the systemd
// section's JSON.
func jsonUnits(t *testing.T, b []byte) int {
	t.Helper()
	var section struct {
		Units []struct {
			Name string `json:"name"`
		} `json:"units"`
	}
	if err := json.Unmarshal(b, &section); err != nil {
		t.Errorf("bootinfo show systemd: %v", err)
		return 0
	}
	names := map[string]float64{}
	for _, u := range section.Units {
		names[u.Name] = 1
	}
	return systemdlab.CountGenerated(names)
}

// text describes the runs for a table cell.
func (r showResult) text(want int) string {
	s := fmt.Sprintf("%s (node_exporter's scrapes between the runs: %s); %d of %d runs succeeded", seconds(r.median), ms(r.peer), r.ok, r.runs)
	if r.ok > 0 {
		s += fmt.Sprintf(", listing %d of %d units", r.units, want)
	}
	if r.failure != "" {
		s += ", first failure " + cell(r.failure)
	}
	return s
}

// cell quotes text for a Markdown table cell.
func cell(s string) string {
	return "“" + strings.NewReplacer("|", `\|`, "`", "'").Replace(s) + "”"
}

// targetRows are the rows of issue 14's targets at one unit count: the
// start (first success, detail complete, the peak memory by then), `show`
// and the steady-state scrape, each against N, node_exporter's median
// scrape time (results[1]; results[0] is bootinfo's). base, when set, is
// bootinfo's median at the first unit count, which a flat scrape time
// matches.
func targetRows(units int, up startup, show showResult, results []measurement, base *baseline) string {
	n := results[1].median
	x := func(d time.Duration) string { return fmt.Sprintf("%.1f×", float64(d)/float64(n)) }
	var md strings.Builder
	row := func(measure, value, ratio, target string, ok bool) {
		fmt.Fprintf(&md, "| %d | %s | %s | %s | %s | %s | %s |\n", units, ms(n), measure, value, ratio, target, met(ok))
	}
	row("first systemd success after start", fmt.Sprintf("%s (poll step %s)", seconds(up.success), ms(up.successStep)),
		x(up.success), fmt.Sprintf("≤ %d×", targetSuccess), up.success <= targetSuccess*n)
	row("detail complete after start", fmt.Sprintf("%s, %s (poll step %s)", seconds(up.detail), up.detailText(), ms(up.detailStep)),
		x(up.detail), fmt.Sprintf("≤ %d×", targetDetail), up.detail <= targetDetail*n)
	row("VmHWM at detail complete", mib(up.res.PeakRSS), "—", fmt.Sprintf("≤ %d MiB (at 5,000 units)", targetPeak>>20),
		up.res.PeakRSS <= targetPeak)
	// show is compared with the scrapes taken between its runs, not with
	// N, measured minutes before.
	row(fmt.Sprintf("`bootinfo show systemd --format json`, median of %d", show.runs), show.text(units),
		fmt.Sprintf("%.1f×", float64(show.median)/float64(show.peer)), fmt.Sprintf("succeeds, ≤ %d×", targetShow),
		show.ok == show.runs && show.median <= targetShow*show.peer)
	steady := results[0].median
	value := ms(steady)
	if base != nil {
		value += fmt.Sprintf(" (%.1f× its median at %d units)", float64(steady)/float64(base.median), base.units)
	}
	row("steady-state scrape, median", value, fmt.Sprintf("%.1f× faster", float64(n)/float64(steady)),
		fmt.Sprintf("≥ %d× faster, flat", targetSteady), targetSteady*steady <= n)
	return md.String()
}

// TestSeriesValues: the line scan that times bootinfo's start finds the
// series it is asked for, and only those.
func TestSeriesValues(t *testing.T) {
	body := []byte(`# HELP bootinfo_scrape_collector_success Whether a collector succeeded.
# TYPE bootinfo_scrape_collector_success gauge
bootinfo_scrape_collector_success{collector="host"} 1
bootinfo_scrape_collector_success{collector="systemd"} 0
bootinfo_scrape_collector_success_total{collector="systemd"} 7
bootinfo_systemd_detail_complete 1
bootinfo_systemd_detail_complete_seconds 2.5
bootinfo_systemd_unit_state{name="a}b.service",state="active"} 1
`)
	for _, c := range []struct {
		name   string
		labels []string
		want   []float64
	}{
		{successMetric, []string{`collector="systemd"`}, []float64{0}},
		{successMetric, nil, []float64{1, 0}},
		{successMetric, []string{`collector="kmsg"`}, nil},
		{detailGauge, nil, []float64{1}},
		{"bootinfo_systemd_unit_state", []string{`state="active"`}, []float64{1}},
		{"bootinfo_systemd", nil, nil},
	} {
		if got := seriesValues(body, c.name, c.labels...); !slices.Equal(got, c.want) {
			t.Errorf("seriesValues(%s, %q) = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
