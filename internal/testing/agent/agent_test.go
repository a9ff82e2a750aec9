package agent

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// TestStartFailsWhenTheAgentExits: an agent that exits before serving (a
// repeated flag here) fails the test that started it, at once, with the
// agent's log.
func TestStartFailsWhenTheAgentExits(t *testing.T) {
	if bin := os.Getenv("AGENTTEST_BINARY"); bin != "" {
		StartWith(t, Options{Binary: bin, Args: []string{"--collector.kmsg", "--no-collector.kmsg"}})
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestStartFailsWhenTheAgentExits$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "AGENTTEST_BINARY="+Binary(t))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "waiting for the agent to serve: bootinfo exited") ||
		!strings.Contains(string(out), "flag 'collector.kmsg' cannot be repeated") || strings.Contains(string(out), "test timed out") {
		t.Errorf("child: %v\n%s", err, out)
	}
}

func TestOverride(t *testing.T) {
	got := FixtureArgs("/r", "--collector.kmsg", "--path.dev=/dev", "--web.disable-exporter-metrics")
	want := []string{"--no-collector.systemd", "--state.dir=/r/var/lib/bootinfo", "--path.rootfs=/r", "--path.procfs=/r/proc",
		"--path.sysfs=/r/sys", "--path.boot=/r/boot", "--collector.kmsg", "--path.dev=/dev", "--web.disable-exporter-metrics"}
	if !slices.Equal(got, want) {
		t.Errorf("FixtureArgs with overrides:\n got %q\nwant %q", got, want)
	}
}

func TestParseMetrics(t *testing.T) {
	m, err := ParseMetrics([]byte(`# TYPE bootinfo_scrape_collector_success gauge
bootinfo_scrape_collector_success{collector="dmi"} 0
bootinfo_scrape_collector_success{collector="host"} 1
# TYPE bootinfo_kmsg_records_total counter
bootinfo_kmsg_records_total{facility="kern",level="info"} 3
bootinfo_kmsg_records_total{facility="kern",level="err"} 2
bootinfo_kmsg_records_total{facility="user",level="err"} 1
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} 0.1
go_gc_duration_seconds_sum 1
go_gc_duration_seconds_count 2
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		match []string
		want  float64
		found bool
	}{
		{"bootinfo_scrape_collector_success", []string{"collector", "host"}, 1, true},
		{"bootinfo_scrape_collector_success", []string{"collector", "dmi"}, 0, true},
		{"bootinfo_scrape_collector_success", []string{"collector", "kmsg"}, 0, false},
		{"bootinfo_kmsg_records_total", nil, 6, true},
		{"bootinfo_kmsg_records_total", []string{"level", "err"}, 3, true},
		{"bootinfo_kmsg_records_total", []string{"facility", "kern", "level", "err"}, 2, true},
		{"go_gc_duration_seconds", nil, 0, false},
		{"nosuch", nil, 0, false},
	} {
		if got, found := m.Sum(c.name, c.match...); got != c.want || found != c.found {
			t.Errorf("Sum(%s, %q) = %v, %v; want %v, %v", c.name, c.match, got, found, c.want, c.found)
		}
	}
}
