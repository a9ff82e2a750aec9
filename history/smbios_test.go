package history

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// realHardware decodes every SMBIOS dump of the shared corpus into the
// hardware part of a Record, keyed by dump name.
func realHardware(t *testing.T) map[string]Record {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "smbios", "dumps"), "*.bin"))
	if len(paths) < 80 {
		t.Fatalf("%d dumps, want 80", len(paths))
	}
	out := map[string]Record{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := dmi.ParseDumpBin(b)
		if tb == nil {
			t.Fatalf("%s: %v", p, err)
		}
		s, _ := tb.Summary() // keeps what decoded
		out[strings.TrimSuffix(filepath.Base(p), ".bin")] = FromSMBIOS(s)
	}
	return out
}

func components(cs []Change) []string {
	var out []string
	for _, c := range cs {
		if !slices.Contains(out, c.Component) {
			out = append(out, c.Component)
		}
	}
	return out
}

// TestDiffRealSMBIOS compares real machines: dumps of one machine taken at
// different times must not look like another machine, and different
// machines must, wherever their firmware gives them an identity.
func TestDiffRealSMBIOS(t *testing.T) {
	hw := realHardware(t)
	for name, r := range hw {
		if got := Diff(r, r); got != nil {
			t.Errorf("%s differs from itself: %v", name, got)
		}
	}
	// Pairs of dumps of one machine (same UUID and serial in the corpus).
	same := []struct {
		prev, cur string
		want      []string
	}{
		// A BIOS update, A00 to A07.
		{"dell-libsmbios-PE1750_A00", "dell-libsmbios-PE1750_A07", []string{ComponentBIOS}},
		// Memory added: 10 DIMMs, then 16.
		{"python-dmidecode-ProLiant-DL585-G1.0", "python-dmidecode-ProLiant-DL585-G1.2", []string{ComponentMemory, ComponentDIMMs}},
		// The same board sold as an ES3020 and a PowerEdge 2600.
		{"dell-libsmbios-ES3020", "dell-libsmbios-PE2600", nil},
		{"jcreekmore-dmi_v2", "jcreekmore-dmidecode", nil},
	}
	sameMachine := map[[2]string]bool{}
	for _, tt := range same {
		sameMachine[[2]string{tt.prev, tt.cur}] = true
		sameMachine[[2]string{tt.cur, tt.prev}] = true
		got := components(Diff(hw[tt.prev], hw[tt.cur]))
		if slices.Contains(got, ComponentSystemIdentity) {
			t.Errorf("%s -> %s: one machine reported as two: %v", tt.prev, tt.cur, Diff(hw[tt.prev], hw[tt.cur]))
		}
		if tt.want != nil {
			// Processors and BIOS strings may legitimately move with a
			// firmware update; the expected ones must be there.
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s -> %s: components %v, want %v among them", tt.prev, tt.cur, got, w)
				}
			}
		}
		t.Logf("%s -> %s: %v", tt.prev, tt.cur, got)
	}
	// The two pairs in full (dmidecode's text for these dumps shows the
	// same BIOS strings and the six 2048 MB modules on boards 2 to 4).
	details := func(a, b string) []string {
		var out []string
		for _, c := range Diff(hw[a], hw[b]) {
			out = append(out, c.Component+": "+c.Detail)
		}
		return out
	}
	want := []string{`bios: version "A00" -> "A07"; release date "03/10/2003" -> "01/13/2004"`}
	if diff := cmp.Diff(want, details("dell-libsmbios-PE1750_A00", "dell-libsmbios-PE1750_A07")); diff != "" {
		t.Errorf("PE1750 BIOS update (-want +got):\n%s", diff)
	}
	want = []string{"memory: memory 16 GiB -> 28 GiB"}
	for _, b := range []string{"2", "3", "4"} {
		for _, d := range []string{"07", "08"} {
			want = append(want, "dimms: DIMM Board "+b+", DIMM "+d+" added (2 GiB)")
		}
	}
	if diff := cmp.Diff(want, details("python-dmidecode-ProLiant-DL585-G1.0", "python-dmidecode-ProLiant-DL585-G1.2")); diff != "" {
		t.Errorf("DL585 memory upgrade (-want +got):\n%s", diff)
	}

	// Every other pair is two machines.
	var names []string
	for n := range hw {
		names = append(names, n)
	}
	slices.Sort(names)
	pairs, detected := 0, 0
	var missed []string
	for i, a := range names {
		for _, b := range names[i+1:] {
			if sameMachine[[2]string{a, b}] {
				continue
			}
			pairs++
			if slices.Contains(components(Diff(hw[a], hw[b])), ComponentSystemIdentity) {
				detected++
			} else {
				missed = append(missed, a+" ~ "+b)
			}
		}
	}
	t.Logf("%d of %d pairs of different machines report system_identity", detected, pairs)
	// Two real, different UUIDs must always be told apart, whatever the
	// serial numbers say; this checks the UUID forms of 80 real tables
	// (SMBIOS 2.1 to 3.5, both byte orders), not the rule itself.
	for _, m := range missed {
		a, b, _ := strings.Cut(m, " ~ ")
		ua, ub := rawUUID(hw[a].System.UUID), rawUUID(hw[b].System.UUID)
		if ua != "" && ub != "" && ua != ub && ua != swapUUID(ub) {
			t.Errorf("missed a machine change with two UUIDs: %s (%s vs %s)", m, ua, ub)
		}
	}
	if detected*100 < pairs*80 {
		t.Errorf("only %d of %d pairs of different machines detected", detected, pairs)
	}
}

// rawUUID is a UUID that is present: not empty, all zeros or all ones
// (DSP0134 7.2.1), nor the AMI default.
func rawUUID(u string) string {
	u = strings.ToLower(u)
	switch {
	case u == "", u == placeholderUUID, strings.Trim(u, "0-") == "", strings.Trim(u, "f-") == "":
		return ""
	}
	return u
}

func TestFromSMBIOSKeysRepeatedLocators(t *testing.T) {
	s := &dmi.Summary{}
	s.Memory.TotalBytes = 2 << 30
	s.Memory.Devices = []dmi.SummaryMemoryDevice{
		{Locator: "DIMM 0", BankLocator: "BANK 0", SizeBytes: 1 << 30, SerialNumber: "A"},
		{Locator: "DIMM 0", BankLocator: "BANK 1", SizeBytes: 1 << 30, SerialNumber: "B"},
	}
	s.Processors = []dmi.SummaryProcessor{{Version: " AMD Ryzen 7 5800X 8-Core Processor  "}}
	want := Record{
		Processors:       Processors{Model: "AMD Ryzen 7 5800X 8-Core Processor", Count: 1},
		MemoryTotalBytes: 2 << 30,
		DIMMs:            []DIMM{{"BANK 0/DIMM 0", 1 << 30, "", "A"}, {"BANK 1/DIMM 0", 1 << 30, "", "B"}},
	}
	if diff := cmp.Diff(want, FromSMBIOS(s)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Record{}, FromSMBIOS(nil)); diff != "" {
		t.Errorf("nil summary (-want +got):\n%s", diff)
	}
}
