package deploy

import (
	"os"
	"slices"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestMetricsContractMatchesCollectors compares metrics.txt with the names
// the collectors declare. A declared name missing from metrics.txt fails:
// the contract must list everything bootinfo exports. A listed name no
// collector declares yet (a collector still being built) skips the test
// with the list, and fails it under CI=true.
func TestMetricsContractMatchesCollectors(t *testing.T) {
	contract := contractMetrics(t)
	declared := map[string]bool{"bootinfo_build_info": true} // the version collector's, registered in cmd
	for n := range testutil.DeclaredMetrics(t) {
		declared[n] = true
	}
	var unlisted, missing []string
	for n := range declared {
		if !contract[n] {
			unlisted = append(unlisted, n)
		}
	}
	for n := range contract {
		if !declared[n] {
			missing = append(missing, n)
		}
	}
	slices.Sort(unlisted)
	slices.Sort(missing)
	if len(unlisted) > 0 {
		t.Errorf("collectors declare metrics missing from metrics.txt: %v", unlisted)
	}
	if len(missing) > 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("metrics.txt lists %d metrics no collector declares: %v", len(missing), missing)
		}
		t.Skipf("metrics.txt lists %d metrics no collector declares yet (fails under CI=true): %v", len(missing), missing)
	}
}
