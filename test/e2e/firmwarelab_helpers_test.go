package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/bootinfo/bootinfo/dmi"
	dmidecodefmt "github.com/bootinfo/bootinfo/dmi/dmidecode"
	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// efiGlobal is EFI_GLOBAL_VARIABLE, the vendor GUID of BootOrder, Boot####,
// SecureBoot and SetupMode (UEFI 2.10 section 3.3).
const efiGlobal = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

// labEnv is the firmware lab and the agent binary that its guests run.
type labEnv struct {
	*qemulab.Lab
	// Agent is the host path of the statically linked bootinfo binary.
	Agent string
}

// firmwareLab returns the lab that scripts/lab-setup prepared (see
// qemulab.Setup) and the real bootinfo binary built for the guests.
func firmwareLab(t *testing.T) *labEnv {
	t.Helper()
	return &labEnv{Lab: qemulab.Setup(t), Agent: agent.GuestBinary(t)}
}

// guestBoot is what one lab boot of the agent produced.
type guestBoot struct {
	// Res holds every output and captured file.
	Res *qemulab.Result
	// Show is the JSON document `bootinfo show --format json` printed in the guest.
	Show map[string]any
	// DumpBin is the guest's SMBIOS entry point and table in dmidecode
	// --dump-bin layout, ready for `dmidecode --from-dump` or the agent's own
	// decoder.
	DumpBin []byte
	// Append is the -append string the guest kernel was given.
	Append string
}

// bootAgent boots the real agent under cfg, runs `bootinfo show --format json`
// and `bootinfo dmi` there (outputs "show" and "dmi") and captures the
// firmware files. Extra commands in cfg.Commands run
// after it. Each boot logs how long it took.
func bootAgent(t *testing.T, lab *labEnv, name string, cfg qemulab.Config) *guestBoot {
	t.Helper()
	if cfg.Append == "" {
		cfg.Append = qemulab.DefaultAppend
	}
	cfg.Files = append(cfg.Files, qemulab.File{Path: "/bin/bootinfo", HostPath: lab.Agent})
	cfg.Capture = append(cfg.Capture, qemulab.FirmwareCapture...)
	cfg.Commands = append([]qemulab.Command{
		{Name: "show", Script: "bootinfo show --format json\n"},
		{Name: "dmi", Script: "bootinfo dmi\n"},
	}, cfg.Commands...)

	res := lab.Run(t, name, cfg)
	g := &guestBoot{Res: res, Append: cfg.Append}
	show, err := res.Command("show")
	if err != nil {
		t.Errorf("boot %s: %v", name, err)
	}
	if err := json.Unmarshal(show, &g.Show); err != nil {
		t.Fatalf("boot %s: bootinfo show printed no JSON object: %v\n%s", name, err, show)
	}
	if g.DumpBin, err = res.DumpBin(); err != nil {
		t.Fatalf("boot %s: %v", name, err)
	}
	return g
}

// jsonAt returns the value at a dotted path ("firmware.mode") in a decoded
// JSON document, and whether it is there.
func jsonAt(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// dmidecode runs Debian's dmidecode on a dump and returns what it printed.
func dmidecode(t *testing.T, dump []byte, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("dmidecode"); err != nil {
		testutil.SkipOrFail(t, "dmidecode not installed: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.bin"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	// Run in the dump's directory so dmidecode names it "dump.bin".
	cmd := exec.Command("dmidecode", append([]string{"--from-dump", "dump.bin"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dmidecode --from-dump %v: %v\n%s", args, err, stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Errorf("dmidecode warned: %s", stderr.Bytes())
	}
	return string(out)
}

// checkDMIDecoder decodes a guest's dump with the project's own dmi decoder
// and dmidecode-compatible writer, and compares that with Debian's dmidecode
// run on the same file: the lab's tables, with contents chosen on QEMU's
// command line, are fresh inputs for that oracle comparison.
func checkDMIDecoder(t *testing.T, dump []byte) {
	t.Helper()
	want := dmidecode(t, dump)
	tab, err := dmi.ParseDumpBin(dump)
	if err != nil {
		t.Errorf("dmi.ParseDumpBin: %v", err)
		return
	}
	var got strings.Builder
	if err := dmidecodefmt.Write(&got, dmidecodefmt.Source{Table: tab, DumpFile: "dump.bin"}, dmidecodefmt.Options{}); err != nil {
		t.Errorf("dmidecode.Write: %v", err)
		return
	}
	if d := cmp.Diff(want, got.String()); d != "" {
		t.Errorf("bootinfo's dmi decoder and dmidecode disagree on the guest's tables (-dmidecode +dmi):\n%s", d)
	}
}

// checkGuestDMI compares what `bootinfo dmi` printed in the guest, reading the
// kernel's sysfs tables, with Debian's dmidecode run on the host on a dump of
// the same tables. Reading sysfs, dmidecode names its source differently and
// adds "Table at ADDRESS." (the physical address in the entry point) to its
// header; the expected output is the host's with those two changes.
func checkGuestDMI(t *testing.T, g *guestBoot) {
	t.Helper()
	got, err := g.Res.Command("dmi")
	if err != nil {
		t.Errorf("bootinfo dmi in the guest: %v", err)
		return
	}
	ep, _, err := g.Res.SMBIOS()
	if err != nil {
		t.Fatal(err)
	}
	var addr uint64
	switch {
	case bytes.HasPrefix(ep, []byte("_SM3_")) && len(ep) >= 0x18:
		addr = binary.LittleEndian.Uint64(ep[0x10:]) // DSP0134 5.2.2: 10h structure table address
	case bytes.HasPrefix(ep, []byte("_SM_")) && len(ep) >= 0x1C:
		addr = uint64(binary.LittleEndian.Uint32(ep[0x18:])) // DSP0134 5.2.1: 18h structure table address
	default:
		t.Fatalf("guest entry point % x", ep)
	}
	want := dmidecode(t, g.DumpBin)
	want = strings.Replace(want, "Reading SMBIOS/DMI data from file dump.bin.\n", "Getting SMBIOS data from sysfs.\n", 1)
	if i := strings.Index(want, "\n\n"); i >= 0 {
		want = want[:i+1] + fmt.Sprintf("Table at 0x%08X.\n", addr) + want[i+1:]
	}
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("bootinfo dmi in the guest and dmidecode on its tables differ (-dmidecode +bootinfo):\n%s", d)
	}
}

// dmiRecord is one structure as dmidecode prints it: "Handle 0x0100, DMI type
// 1, 27 bytes", a title line, then "\tKey: Value" lines; list items
// ("\t\tvalue" under "\tKey:") are kept in Lists.
type dmiRecord struct {
	Type   int
	Title  string
	Fields map[string]string
	Lists  map[string][]string
}

var handleRE = regexp.MustCompile(`^Handle 0x[0-9A-F]{4}, DMI type (\d+), \d+ bytes$`)

// parseDmidecode splits dmidecode's default output into records.
func parseDmidecode(out string) []dmiRecord {
	var recs []dmiRecord
	var cur *dmiRecord
	var lastKey string
	for _, line := range strings.Split(out, "\n") {
		if m := handleRE.FindStringSubmatch(line); m != nil {
			var typ int
			fmt.Sscan(m[1], &typ)
			recs = append(recs, dmiRecord{Type: typ, Fields: map[string]string{}, Lists: map[string][]string{}})
			cur = &recs[len(recs)-1]
			continue
		}
		if cur == nil || line == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "\t\t"):
			cur.Lists[lastKey] = append(cur.Lists[lastKey], strings.TrimSpace(line))
		case strings.HasPrefix(line, "\t"):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "\t"), ":")
			lastKey = k
			cur.Fields[k] = strings.TrimSpace(v)
		case cur.Title == "":
			cur.Title = line
		}
	}
	return recs
}

// recordsOfType returns the records of one SMBIOS type.
func recordsOfType(recs []dmiRecord, typ int) []dmiRecord {
	var out []dmiRecord
	for _, r := range recs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// efiBootEntry is a Boot#### variable decoded from its EFI_LOAD_OPTION
// (UEFI 2.10 section 3.1.3): Attributes (UINT32), FilePathListLength (UINT16),
// Description (NUL-terminated UCS-2), then the device path and optional data.
type efiBootEntry struct {
	Number      uint16
	Attributes  uint32
	Description string
}

var bootVarRE = regexp.MustCompile(`^Boot([0-9A-F]{4})-` + efiGlobal + `$`)

// rawBootEntries decodes every Boot#### variable from raw efivarfs files (4
// attribute bytes, then the value), by number, and BootOrder.
func rawBootEntries(t *testing.T, vars map[string][]byte) (entries []efiBootEntry, order []uint16) {
	t.Helper()
	bo, ok := vars["BootOrder-"+efiGlobal]
	if !ok || len(bo) < 4 || (len(bo)-4)%2 != 0 {
		t.Fatalf("BootOrder missing or malformed: % x", bo)
	}
	for i := 4; i+1 < len(bo); i += 2 {
		order = append(order, binary.LittleEndian.Uint16(bo[i:]))
	}
	for name, v := range vars {
		m := bootVarRE.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		var n uint16
		fmt.Sscanf(m[1], "%X", &n)
		if len(v) < 4+6 {
			t.Fatalf("%s too short: % x", name, v)
		}
		opt := v[4:]
		e := efiBootEntry{Number: n, Attributes: binary.LittleEndian.Uint32(opt)}
		var units []uint16
		for j := 6; j+1 < len(opt); j += 2 {
			u := binary.LittleEndian.Uint16(opt[j:])
			if u == 0 {
				break
			}
			units = append(units, u)
		}
		e.Description = string(utf16.Decode(units))
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b efiBootEntry) int { return int(a.Number) - int(b.Number) })
	for _, n := range order {
		if !slices.ContainsFunc(entries, func(e efiBootEntry) bool { return e.Number == n }) {
			t.Errorf("BootOrder names %04X but there is no Boot%04X", n, n)
		}
	}
	return entries, order
}

// TestFirmwareLabDmidecodeParser checks the parser of dmidecode's output that
// the lab tests rely on against dmidecode's output for a real QEMU table.
func TestFirmwareLabDmidecodeParser(t *testing.T) {
	out, err := os.ReadFile(filepath.Join(testutil.Shared(t, "smbios", "dumps"), "qemu-seabios-pc.dmidecode.txt"))
	if err != nil {
		t.Fatal(err)
	}
	recs := parseDmidecode(string(out))
	var types []int
	for _, r := range recs {
		types = append(types, r.Type)
	}
	if want := []int{0, 1, 3, 4, 16, 17, 19, 32, 127}; !slices.Equal(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
	bios := recordsOfType(recs, 0)
	if len(bios) != 1 || bios[0].Title != "BIOS Information" || bios[0].Fields["Vendor"] != "SeaBIOS" ||
		!slices.Contains(bios[0].Lists["Characteristics"], "Targeted content distribution is supported") {
		t.Errorf("type 0 parsed as %+v", bios)
	}
	if sys := recordsOfType(recs, 1); len(sys) != 1 || sys[0].Fields["Manufacturer"] != "QEMU" {
		t.Errorf("type 1 parsed as %+v", sys)
	}
}
