package dmi

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden summaries in testdata/summary")

// goldenInputs are representative tables: firmware generations, virtual
// machines, a broken table, a 3.x table shorter than its maximum size.
var goldenInputs = []string{
	"qemu-ovmf-q35", "go-smbios-Beelink-EQ12", "go-smbios-HyperV.synth-ep", "python-dmidecode-VMware-Virtual-Platform.0",
	"python-dmidecode-ProLiant-DL385-G1.0", "u-root-Lenovo-ThinkPad-T480", "dell-libsmbios-PE2650",
	"go-smbios-Dell-PowerEdge-R630-Dual-Xeon.synth-ep", "sysfs-jcreekmore-supermicro-v3-short", "sysfs-qemu-seabios-q35-ep64",
}

// TestSummaryGolden keeps the JSON summary of representative tables in
// testdata/summary (regenerate with go test -run SummaryGolden -update).
// TestTypedDecodersAgainstOracle checks the values themselves against
// dmidecode; this test makes any change to the JSON visible in review.
func TestSummaryGolden(t *testing.T) {
	inputs := map[string]*Table{}
	for _, p := range dmitest.Dumps(t) {
		tb, _ := ParseDumpBin(dmitest.ReadFile(t, p))
		inputs[strings.TrimSuffix(filepath.Base(p), ".bin")] = tb
	}
	entries, err := os.ReadDir(dmitest.SysfsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		tb, _ := NewFS(dmitest.SysfsRoot(t, e.Name(), TablesDir)).Table()
		inputs["sysfs-"+e.Name()] = tb
	}
	for _, name := range goldenInputs {
		tb := inputs[name]
		if tb == nil {
			t.Fatalf("no input %s", name)
		}
		s, _ := tb.Summary()
		testutil.GoldenJSON(t, filepath.Join("testdata", "summary", name+".json"), s, *update)
	}
}
