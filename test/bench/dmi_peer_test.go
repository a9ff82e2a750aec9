package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

const (
	// envBenchDMI gates TestDMIPeerBenchmark (scripts/bench-report sets it).
	envBenchDMI = "BOOTINFO_BENCH_DMI"
	// envDMIDump names the corpus dump (smbios/dumps/NAME.bin) the fixture
	// sysfs is made from when the host has no DMI of its own.
	envDMIDump = "BOOTINFO_BENCH_DMI_DUMP"
	// defaultDMIDump is a real server's table: Dell PowerEdge 8450.
	defaultDMIDump = "dell-libsmbios-PE8450"
)

// dmiSysfsFiles maps node_exporter's /sys/class/dmi/id files (the ones its
// dmi collector reads, through procfs) to the dmidecode -s keyword that
// prints the same SMBIOS string.
var dmiSysfsFiles = map[string]string{
	"bios_vendor":       "bios-vendor",
	"bios_version":      "bios-version",
	"bios_date":         "bios-release-date",
	"bios_release":      "bios-revision",
	"sys_vendor":        "system-manufacturer",
	"product_name":      "system-product-name",
	"product_version":   "system-version",
	"product_serial":    "system-serial-number",
	"product_uuid":      "system-uuid",
	"product_sku":       "system-sku-number",
	"product_family":    "system-family",
	"board_vendor":      "baseboard-manufacturer",
	"board_name":        "baseboard-product-name",
	"board_version":     "baseboard-version",
	"board_serial":      "baseboard-serial-number",
	"board_asset_tag":   "baseboard-asset-tag",
	"chassis_vendor":    "chassis-manufacturer",
	"chassis_version":   "chassis-version",
	"chassis_serial":    "chassis-serial-number",
	"chassis_asset_tag": "chassis-asset-tag",
}

// dmiSysfs returns the sysfs both peers read, and what it is: the host's
// own when it exports both the raw tables (bootinfo) and class/dmi/id
// (node_exporter), otherwise a fixture made from a corpus dump: the kernel's
// two table files (entry point, and the table from offset 0) for bootinfo,
// and class/dmi/id with the strings Debian's dmidecode decodes from the same
// dump for node_exporter, so both report the same machine.
func dmiSysfs(t *testing.T) (root, what string) {
	t.Helper()
	_, errTables := os.Stat("/sys/firmware/dmi/tables/DMI")
	_, errID := os.Stat("/sys/class/dmi/id/sys_vendor")
	if errTables == nil && errID == nil {
		return "/sys", "this host's /sys"
	}
	dmidecode, err := exec.LookPath("dmidecode")
	if err != nil {
		testutil.SkipOrFail(t, "no DMI on this host and no dmidecode to make a fixture from: %v", err)
	}
	name := os.Getenv(envDMIDump)
	if name == "" {
		name = defaultDMIDump
	}
	dump := filepath.Join(testutil.Shared(t, "smbios", "dumps"), name+".bin")
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	// Dump layout: the entry point at 0, the table from 0x20. The entry
	// point's length is at 05h (SMBIOS 2.1 "_SM_") or 06h (3.0 "_SM3_").
	epLen := 0
	switch {
	case bytes.HasPrefix(b, []byte("_SM3_")) && len(b) > 6:
		epLen = int(b[6])
	case bytes.HasPrefix(b, []byte("_SM_")) && len(b) > 5:
		epLen = int(b[5])
	}
	if epLen == 0 || epLen > 0x20 || len(b) <= 0x20 {
		t.Fatalf("%s: not a dump with an entry point", dump)
	}
	root = filepath.Join(t.TempDir(), "sys")
	tables := filepath.Join(root, "firmware", "dmi", "tables")
	id := filepath.Join(root, "class", "dmi", "id")
	for _, d := range []string{tables, id} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, data []byte) {
		if err := os.WriteFile(p, data, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(tables, "smbios_entry_point"), b[:epLen])
	write(filepath.Join(tables, "DMI"), b[0x20:])
	for file, kw := range dmiSysfsFiles {
		out, err := exec.Command(dmidecode, "--from-dump", dump, "-s", kw).Output()
		if err != nil {
			continue // the kernel leaves out the files it has no string for
		}
		write(filepath.Join(id, file), out)
	}
	return root, "a fixture sysfs made from the corpus dump " + name + ".bin"
}

// TestDMIPeerBenchmark measures bootinfo's dmi collector against
// node_exporter's, each alone in its exporter, on the same sysfs:
// interleaved gzip scrapes as Prometheus makes them, then the median and
// p90 time, the CPU time per scrape (from /proc/PID/stat over all measured
// scrapes), resident memory and body size. Rows go to BOOTINFO_BENCH_OUT
// for docs/benchmarks.md. Gated by BOOTINFO_BENCH_DMI=1; the number of
// scrapes is BOOTINFO_BENCH_SCRAPES (default 500), the warm-up
// BOOTINFO_BENCH_WARMUP (default 20).
func TestDMIPeerBenchmark(t *testing.T) {
	if os.Getenv(envBenchDMI) != "1" {
		t.Skipf("set %s=1 to run (scripts/bench-report --only dmi-scrape)", envBenchDMI)
	}
	scrapes := envInts(t, envScrapes, "500")[0]
	warmup := envInts(t, envWarmup, "20")[0]
	sysfs, what := dmiSysfs(t)
	t.Logf("sysfs: %s (%s)", sysfs, what)

	bootinfo := startBootinfo(t, "--path.sysfs="+sysfs, "--no-collector.host", "--no-collector.kmsg", "--no-collector.history",
		"--no-collector.systemd", "--no-collector.bootloader", "--no-collector.firmware")
	ne, err := exec.LookPath(nodeExporterBinary)
	if err != nil {
		testutil.SkipOrFail(t, "no %s to compare with: %v", nodeExporterBinary, err)
	}
	addr := testutil.FreeAddr(t)
	nodeExporter := startPeer(t, "node_exporter", exec.Command(ne, "--web.listen-address="+addr,
		"--path.sysfs="+sysfs, "--collector.disable-defaults", "--collector.dmi",
		"--web.disable-exporter-metrics"), addr)
	want := map[string]string{"bootinfo": "bootinfo_dmi_info{", "node_exporter": "node_dmi_info{"}
	results := measure(t, []*peer{bootinfo, nodeExporter}, warmup, scrapes, func(p *peer, body []byte) {
		if !bytes.Contains(body, []byte(want[p.Name])) {
			t.Fatalf("%s reports no %s...}:\n%s", p.Name, want[p.Name], body)
		}
	})
	var md strings.Builder
	for _, m := range results {
		fmt.Fprintf(&md, "| %s | %s | %.1f KiB |\n", m.peer.Name, m.cells(), float64(m.body)/1024)
	}
	t.Logf("dmi on %s, %d scrapes of each after %d warm-up:\n%s", what, scrapes, warmup, md.String())
	if out := os.Getenv(envOut); out != "" {
		if err := os.WriteFile(out, []byte("<!-- sysfs: "+what+" -->\n"+md.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkDMIProcesses runs `bootinfo dmi --from-dump` and Debian's
// `dmidecode --from-dump` as whole processes over every dump of the corpus,
// side by side in one run; one op is the whole corpus. Compare the two
// sub-benchmarks' ns/op for the ratio (the machine is shared and noisy).
func BenchmarkDMIProcesses(b *testing.B) {
	dmidecode, err := exec.LookPath("dmidecode")
	if err != nil {
		b.Skip("dmidecode not installed")
	}
	dir := testutil.Shared(b, "smbios", "dumps")
	dumps, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	bootinfo := agent.Binary(b)
	run := func(b *testing.B, name string, args ...string) {
		for b.Loop() {
			for _, d := range dumps {
				cmd := exec.Command(name, append(args, "--from-dump", d)...)
				cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
				_ = cmd.Run() // broken tables exit non-zero in both
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(dumps)), "ns/dump")
	}
	b.Run("bootinfo", func(b *testing.B) { run(b, bootinfo, "dmi") })
	b.Run("dmidecode", func(b *testing.B) { run(b, dmidecode) })
}
