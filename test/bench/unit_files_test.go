package bench

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
)

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
