package dmi

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

func parseDump(t testing.TB, name string) (*Table, error) {
	t.Helper()
	tb, err := ParseDumpBin(dmitest.Dump(t, name))
	if tb == nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tb, err
}

// Trap: a 2.x entry point gives a structure count and a table length; the
// walk stops after Count structures even when bytes remain.
func TestTrapStructureCount(t *testing.T) {
	raw := dmitest.Dump(t, "qemu-seabios-pc")
	tb, err := ParseDumpBin(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(tb.Structures), int(tb.EntryPoint.StructureCount); got != want {
		t.Fatalf("decoded %d structures, entry point announces %d", got, want)
	}
	// Announce two fewer structures: the walk must stop there.
	ep := bytes.Clone(raw[:0x20])
	ep[0x1C] -= 2
	ep = dmitest.WithChecksum(ep, 0x15, 0x10, 0x1F)
	ep = dmitest.WithChecksum(ep, 0x04, 0, int(ep[5]))
	short, err := ParseDumpBin(append(ep, raw[0x20:]...))
	if err != nil {
		t.Fatal(err)
	}
	if len(short.Structures) != len(tb.Structures)-2 {
		t.Errorf("with count-2: %d structures, want %d", len(short.Structures), len(tb.Structures)-2)
	}
	// Announce a table 10 bytes shorter: the last structure no longer fits.
	ep = bytes.Clone(raw[:0x20])
	ep[0x16] -= 10
	ep = dmitest.WithChecksum(ep, 0x15, 0x10, 0x1F)
	ep = dmitest.WithChecksum(ep, 0x04, 0, int(ep[5]))
	cut, err := ParseDumpBin(append(ep, raw[0x20:]...))
	fit := 0
	for _, s := range tb.Structures {
		if s.Offset+len(s.Raw) <= len(tb.Raw)-10 {
			fit++
		}
	}
	if !errors.Is(err, ErrTruncated) || len(cut.Structures) != fit || len(cut.Raw) != len(tb.Raw)-10 {
		t.Errorf("with length-10: err %v, %d structures (want %d)", err, len(cut.Structures), fit)
	}
}

// Trap: the 3.x maximum table size (7483) exceeds the exported table (3894
// bytes); everything up to the end-of-table record decodes without error.
func TestTrapSMBIOS3MaxSize(t *testing.T) {
	tb, err := NewFS(dmitest.SysfsRoot(t, "jcreekmore-supermicro-v3-short", TablesDir)).Table()
	if err != nil {
		t.Fatal(err)
	}
	if tb.EntryPoint.TableLength != 7483 || len(tb.Raw) != 3894 {
		t.Errorf("max size %d, table %d bytes", tb.EntryPoint.TableLength, len(tb.Raw))
	}
	last := tb.Structures[len(tb.Structures)-1]
	if last.Type != 127 {
		t.Errorf("last structure is type %d, want 127", last.Type)
	}
}

// Trap: the Hyper-V table has a zero-length header at offset 478: dmidecode
// says "DMI table is broken! Stop." after 5 structures. Keep those 5.
func TestTrapZeroLength(t *testing.T) {
	tb, err := parseDump(t, "go-smbios-HyperV.synth-ep")
	if !errors.Is(err, ErrBrokenTable) {
		t.Fatalf("err = %v, want ErrBrokenTable", err)
	}
	if len(tb.Structures) != 5 {
		t.Fatalf("kept %d structures, want 5", len(tb.Structures))
	}
	s := tb.Structures[4]
	if end := s.Offset + len(s.Raw); end != 478 {
		t.Errorf("last kept structure ends at %d, want 478", end)
	}
	sys, err := tb.System()
	if err != nil || sys.Manufacturer != "Microsoft Corporation" {
		t.Errorf("System() = %+v, %v", sys, err)
	}
}

// A structure shorter than its header (length 1..3) is broken the same way.
func TestTrapShortLength(t *testing.T) {
	table := []byte{1, 4, 0, 0, 0, 0, 2, 3, 1, 0, 0, 0}
	tb, err := ParseTable(table, Version{Major: 3}, TableOptions{})
	if !errors.Is(err, ErrBrokenTable) || len(tb.Structures) != 1 {
		t.Errorf("err %v, %d structures", err, len(tb.Structures))
	}
}

// Tables exported without an end-of-table record (Linux 6.6.39+) keep every
// structure; a cut in the middle of a structure keeps those before it.
func TestNoEndOfTable(t *testing.T) {
	full, err := parseDump(t, "qemu-ovmf-q35-ep64")
	if err != nil {
		t.Fatal(err)
	}
	n := len(full.Structures)
	last := full.Structures[n-1]
	if last.Type != 127 {
		t.Fatalf("last type %d", last.Type)
	}
	noEOT, err := ParseRawTable(full.Raw[:last.Offset], full.Version)
	if err != nil || len(noEOT.Structures) != n-1 {
		t.Errorf("without type 127: %d structures, err %v; want %d, nil", len(noEOT.Structures), err, n-1)
	}
	prev := full.Structures[n-2]
	cut, err := ParseRawTable(full.Raw[:prev.Offset+len(prev.Raw)-1], full.Version)
	if !errors.Is(err, ErrTruncated) || len(cut.Structures) != n-2 {
		t.Errorf("cut table: %d structures, err %v; want %d, ErrTruncated", len(cut.Structures), err, n-2)
	}
}

// Trap: type 34 structures declaring 0x10 bytes over an 0x0B-byte formatted
// area; dmidecode fixes them up to 11 (its stderr says so).
func TestTrapType34(t *testing.T) {
	for _, name := range []string{"u-root-SuperMicro-X9DBL", "go-smbios-SuperMicro-Dual-Xeon.synth-ep", "jcreekmore-dmi_v3_short"} {
		t.Run(name, func(t *testing.T) {
			tb, _ := parseDump(t, name)
			fixed := 0
			for _, s := range tb.ByType(34) {
				if s.DeclaredLength == 0x10 && s.Length == 0x0B {
					fixed++
					if desc := s.String(s.Raw[4]); desc == BadIndex || desc == "" {
						t.Errorf("handle %#x: description %q", s.Handle, desc)
					}
				}
			}
			if fixed == 0 || len(tb.Warnings) == 0 {
				t.Errorf("no type 34 fix-up (warnings %q)", tb.Warnings)
			}
		})
	}
	tb, _ := parseDump(t, "u-root-SuperMicro-X9DBL")
	if s := tb.ByHandle(0x004E); s == nil || s.String(1) != "LM78-2" {
		t.Errorf("handle 0x004E: %+v", s)
	}
}

// Trap: SMBIOS versions 2.31 and 2.33 mean 2.3, 2.51 means 2.6.
func TestTrapVersionFixups(t *testing.T) {
	tb, _ := parseDump(t, "python-dmidecode-VMware-Virtual-Platform.0")
	if tb.EntryPoint.DeclaredVersion.Minor != 31 || tb.Version != (Version{Major: 2, Minor: 3}) || !tb.VersionFixed {
		t.Errorf("VMware: declared %v, version %v, fixed %v", tb.EntryPoint.DeclaredVersion, tb.Version, tb.VersionFixed)
	}
	raw := dmitest.Dump(t, "qemu-seabios-pc")
	for minor, want := range map[byte]Version{0x1F: {2, 3, 0}, 0x21: {2, 3, 0}, 0x33: {2, 6, 0}, 0x08: {2, 8, 0}} {
		ep := bytes.Clone(raw[:0x20])
		ep[0x07] = minor
		ep = dmitest.WithChecksum(ep, 0x04, 0, int(ep[5]))
		tb, err := ParseDumpBin(append(ep, raw[0x20:]...))
		if err != nil {
			t.Fatal(err)
		}
		if tb.Version != want {
			t.Errorf("2.%d: version %v, want %v", minor, tb.Version, want)
		}
	}
}

// Trap: entry point length 0x20 (SMBIOS 2.1 bug) and 0x1E are accepted.
func TestTrapEntryPointLength(t *testing.T) {
	for _, name := range []string{"dell-libsmbios-dimension_4400", "dell-libsmbios-PAweb110"} {
		tb, err := parseDump(t, name)
		if err != nil || tb.EntryPoint.Length != 0x20 || len(tb.Structures) == 0 {
			t.Errorf("%s: err %v, length %#x, %d structures", name, err, tb.EntryPoint.Length, len(tb.Structures))
		}
	}
	raw := dmitest.Dump(t, "qemu-seabios-pc")
	ep := bytes.Clone(raw[:0x20])
	ep[0x05] = 0x1E
	ep = dmitest.WithChecksum(ep, 0x04, 0, 0x1E)
	e, err := ParseEntryPoint(ep[:0x1E])
	if err != nil || e.Length != 0x1E || e.TableAddress != 0x20 {
		t.Errorf("0x1E: %+v, %v", e, err)
	}
	ep[0x05] = 0x21
	if _, err := ParseEntryPoint(ep); !errors.Is(err, ErrEntryPoint) {
		t.Errorf("0x21: err %v, want ErrEntryPoint", err)
	}
}

// Trap: string number 0 is "Not Specified", a number past the last string
// is "<BAD INDEX>" (dell PE2450's type 10), non-printable bytes print as
// '.' (Dell serial numbers carrying control bytes).
func TestTrapStrings(t *testing.T) {
	tb, _ := parseDump(t, "dell-libsmbios-PE2450")
	s := tb.ByHandle(0x0A00)
	if s == nil || s.Type != 10 {
		t.Fatalf("handle 0x0A00: %+v", s)
	}
	bad := 0
	for i := 5; i < int(s.Length); i += 2 {
		if s.String(s.Raw[i]) == BadIndex {
			bad++
			if _, ok := s.RawString(s.Raw[i]); ok {
				t.Errorf("RawString(%d) found a string", s.Raw[i])
			}
		}
	}
	if bad != 1 {
		t.Errorf("%d descriptions are <BAD INDEX>, dmidecode prints 1", bad)
	}
	if got := s.String(0); got != NotSpecified {
		t.Errorf("index 0: got %q", got)
	}
	tb, _ = parseDump(t, "python-dmidecode-ProLiant-DL385-G1.0")
	oem := tb.ByHandle(0x0B00)
	if got, want := oem.String(1), "Product ID: 391112-371.     "; got != want {
		t.Errorf("dmidecode form %q, want %q", got, want)
	}
	if got, want := tb.OEMStrings()[0], "Product ID: 391112-371"; got != want {
		t.Errorf("API form %q, want %q", got, want)
	}
	tb, _ = parseDump(t, "dell-libsmbios-PE0500")
	if got := tb.ByHandle(0xD000).String(1); got != "........" {
		t.Errorf("0xFF bytes print as %q", got)
	}
}

// Trap: from SMBIOS 2.6 the UUID's first three fields are little-endian;
// all-0xFF is "Not Present" and all-0x00 "Not Settable".
func TestTrapUUID(t *testing.T) {
	tests := []struct {
		dump, want string
	}{
		{"dell-libsmbios-ES3020", "44454c4c-5400-1036-8034-b8c04f313231"},               // 2.3: byte order
		{"go-smbios-HyperV.synth-ep", "b26849ef-4fb0-4e03-a9d1-1a165a40c8d7"},           // 3.0: swapped
		{"dell-libsmbios-precisiont7600-sysfs", "4c4c4544-0000-0010-8000-00c04f000000"}, // 2.6: swapped
	}
	for _, tc := range tests {
		tb, _ := parseDump(t, tc.dump)
		sys, err := tb.System()
		if err != nil || sys.UUID != tc.want {
			t.Errorf("%s: UUID %q, want %q (%v)", tc.dump, sys.UUID, tc.want, err)
		}
	}
	for name, want := range map[string]UUIDState{"u-root-MSI-MS-7816": UUIDNotPresent, "qemu-ovmf-pc": UUIDNotSettable} {
		tb, _ := parseDump(t, name)
		s := tb.ByType(1)[0]
		uuid, state := FormatUUID(s.Raw[8:24], tb.Version)
		if uuid != "" || state != want {
			t.Errorf("%s: %q, state %v, want %v", name, uuid, state, want)
		}
	}
	b := []byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}
	got, _ := FormatUUID(b, Version{2, 6, 0})
	if diff := cmp.Diff("00112233-4455-6677-8899-aabbccddeeff", got); diff != "" {
		t.Errorf("2.6 UUID (-want +got):\n%s", diff)
	}
	got, _ = FormatUUID(b, Version{2, 5, 0})
	if diff := cmp.Diff("33221100-5544-7766-8899-aabbccddeeff", got); diff != "" {
		t.Errorf("2.5 UUID (-want +got):\n%s", diff)
	}
}

// The raw tables (no entry point) are the same tables as the synth-ep
// dumps; ParseRawTable must find the same structures, and the broken
// Hyper-V one must keep its first five.
func TestRawTables(t *testing.T) {
	dir := testutil.Shared(t, "smbios", "raw-tables")
	for _, name := range []string{"ASRock-Single-Ryzen", "Dell-PowerEdge-R630-Dual-Xeon", "HyperV", "SuperMicro-Dual-Xeon", "SuperMicro-Quad-Opteron"} {
		raw := dmitest.ReadFile(t, filepath.Join(dir, name+".dmi"))
		got, gotErr := ParseRawTable(raw, Version{Major: 3})
		want, wantErr := parseDump(t, "go-smbios-"+name+".synth-ep")
		if len(got.Structures) != len(want.Structures) || errors.Is(gotErr, ErrBrokenTable) != errors.Is(wantErr, ErrBrokenTable) {
			t.Errorf("%s: %d structures (err %v), dump has %d (err %v)", name, len(got.Structures), gotErr, len(want.Structures), wantErr)
		}
	}
}
