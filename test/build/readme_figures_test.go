package build

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/bootinfo/bootinfo/bootdisk"
	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/grub/script"
	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/internal/hostfile"
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
	// 2,000 requests: a one-off allocation (a pooled compressor the
	// garbage collector dropped, about 2.5 MB) made 200 of them read 14 or
	// 27 KB per /bootinfo from run to run.
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkScrape$", "-benchmem", "-benchtime", "2000x", "-count", "1", "./cmd/bootinfo")
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

// size formats n bytes as README.md writes sizes: "64 KiB", "16 MiB".
func size(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// TestReadmeLimits holds the bounds README.md states to the constants
// that set them: the read limits of "Hostile input" (but the EFI variable
// and pstore limits, which their packages keep unexported), the GRUB
// budget's source bounds, the blocked collections kept per collector, and
// the ranges of the flags that "Flags" says are checked at start, as
// --help states them too.
func TestReadmeLimits(t *testing.T) {
	text := readme(t)
	rows := map[string]string{}
	for _, line := range strings.Split(section(t, text, "## Hostile input"), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) == 4 {
			rows[strings.TrimSpace(cells[1])] = strings.TrimSpace(cells[2])
		}
	}
	for prefix, want := range map[string]string{
		"sysfs and procfs attributes":   size(hostfile.LimitAttr),
		"configuration and lists":       size(hostfile.LimitConfig),
		"grub.cfg and what it sources":  size(hostfile.LimitGrubCfg) + " per file, " + size(script.DefaultBudget.SourcedBytes) + " sourced in all",
		"SMBIOS tables, pstore records": size(hostfile.LimitFirmware) + " (",
		"the history's own records":     size(history.MaxFileSize),
		"kernel log records":            size(kmsg.MaxRecordSize) + " each; " + size(kmsg.MaxJunk) + " without a record ends the read",
		"block devices, for a `root=UUID=`": fmt.Sprintf("superblocks only: %d bytes of each, at fixed offsets (none past 68 KiB but a FAT root directory's first 4 KiB), of %d devices at most",
			bootdisk.MaxFileSystemRead, bootdisk.MaxRootDevices),
	} {
		found := false
		for kind, limit := range rows {
			if strings.HasPrefix(kind, prefix) {
				found = true
				if limit != want && !(strings.HasSuffix(want, " (") && strings.HasPrefix(limit, want)) {
					t.Errorf("Hostile input: %s: README.md says %q, the code %q", prefix, limit, want)
				}
			}
		}
		if !found {
			t.Errorf("Hostile input has no row for %s", prefix)
		}
	}

	b := script.DefaultBudget
	if want := fmt.Sprintf("`source` depth %d and %d files", b.SourceDepth, b.SourceFiles); !strings.Contains(text, want) {
		t.Errorf("README.md does not say %q", want)
	}
	words := []string{"zero", "one", "two", "three", "four", "five"}
	if collectors.MaxBlocked >= len(words) || !regexp.MustCompile(`at most\s+`+words[collectors.MaxBlocked]+`\s+per collector`).MatchString(text) {
		t.Errorf("README.md does not say at most %d blocked collections per collector", collectors.MaxBlocked)
	}

	help, err := exec.Command(agent.Binary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(text), " ")
	flatHelp := strings.Join(strings.Fields(string(help)), " ")
	keepBoots := regexp.MustCompile(`How many boots the history keeps \(1 to (\d+)\)`).FindStringSubmatch(flatHelp)
	maxTimeout := regexp.MustCompile(`above 0, at most (\d+)m0s\)`).FindStringSubmatch(flatHelp)
	if keepBoots == nil || maxTimeout == nil {
		t.Fatalf("--help does not state the ranges of --state.keep-boots and --collector.timeout:\n%s", help)
	}
	for _, want := range []string{
		fmt.Sprintf("`--collector.kmsg.records-kept` 1 to %d", collectors.MaxKmsgKeep),
		fmt.Sprintf("`--state.keep-boots` 1 to %s", keepBoots[1]),
		fmt.Sprintf("`--collector.systemd.timeout` above 0 and at most %sm", maxTimeout[1]),
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
	if want := fmt.Sprintf("(1 to %d;", collectors.MaxKmsgKeep); !strings.Contains(flatHelp, want) {
		t.Errorf("--help does not say %q for --collector.kmsg.records-kept", want)
	}
}
