package build

import (
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
)

// scrapeFiguresRE reads README.md's figures for BenchmarkScrape.
var scrapeFiguresRE = regexp.MustCompile(`allocates\s+about\s+(\d+)\s+KB\s+in\s+about\s+(\d+)\s+allocations\s+per\s+` +
	"`/metrics`" + `\s+and\s+about\s+(\d+)\s+KB\s+in\s+about\s+(\d+)\s+allocations\s+per\s+` + "`/bootinfo`")

// benchLineRE reads one result of go test -bench -benchmem.
var benchLineRE = regexp.MustCompile(`(?m)^BenchmarkScrape/(\w+)(?:-\d+)?\s+\d+\s+[\d.]+ ns/op\s+(\d+) B/op\s+(\d+) allocs/op`)

// TestReadmeScrapeAllocations runs the benchmark README.md cites, without
// the race detector (which changes what allocates), and holds the bytes
// and allocations per /metrics and per /bootinfo it states to within 50%
// of what the benchmark measures. Times are not checked: they depend on
// the machine and its load, so README.md cites docs/benchmarks.md for
// them.
func TestReadmeScrapeAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a benchmark")
	}
	testutil.Shared(t, "boots") // the benchmark's fixture root needs the corpus
	m := scrapeFiguresRE.FindStringSubmatch(readme(t))
	if m == nil {
		t.Fatal("README.md does not state BenchmarkScrape's allocations")
	}
	stated := map[string][2]float64{}
	for i, path := range []string{"metrics", "bootinfo"} {
		kb, _ := strconv.ParseFloat(m[1+2*i], 64)
		allocs, _ := strconv.ParseFloat(m[2+2*i], 64)
		stated[path] = [2]float64{kb * 1000, allocs}
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkScrape$", "-benchmem", "-benchtime", "200x", "-count", "1", "./cmd/bootinfo")
	cmd.Dir = testutil.RepoRoot(t)
	cmd.Env = append(os.Environ(), "GOFLAGS=") // no -race from the environment
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	measured := map[string][2]float64{}
	for _, l := range benchLineRE.FindAllStringSubmatch(string(out), -1) {
		b, _ := strconv.ParseFloat(l[2], 64)
		a, _ := strconv.ParseFloat(l[3], 64)
		measured[l[1]] = [2]float64{b, a}
	}
	for path, want := range stated {
		got, ok := measured[path]
		if !ok {
			t.Errorf("no BenchmarkScrape/%s result in:\n%s", path, out)
			continue
		}
		for i, what := range []string{"bytes", "allocations"} {
			if math.Abs(got[i]-want[i]) > 0.5*want[i] {
				t.Errorf("/%s: README.md states about %.0f %s, the benchmark measures %.0f", path, want[i], what, got[i])
			}
		}
		t.Logf("/%s: %.0f bytes in %.0f allocations (README.md: %.0f in %.0f)", path, got[0], got[1], want[0], want[1])
	}
	if !strings.Contains(string(out), "ok ") && !strings.Contains(string(out), "PASS") {
		t.Errorf("the benchmark did not pass:\n%s", out)
	}
}

// TestReadmeKmsgSlotSize: the cost of a kept kernel log record that
// README.md and --help state for --collector.kmsg.records-kept is the size
// of the ring's slot, a kmsg.Record.
func TestReadmeKmsgSlotSize(t *testing.T) {
	slot := int(unsafe.Sizeof(kmsg.Record{}))
	help, err := exec.Command(agent.Binary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("bootinfo --help: %v\n%s", err, help)
	}
	for where, text := range map[string]string{"README.md": readme(t), "--help": string(help)} {
		m := regexp.MustCompile(`(?:about|costs\s+about)\s+(\d+)\s+bytes(?:\s+a\s+record|,\s+allocated\s+at\s+start)`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("%s does not state what a kept record costs", where)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n != slot {
			t.Errorf("%s: about %d bytes a record; a slot is %d", where, n, slot)
		}
	}
}
