package dmi

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
)

// seedDumps adds every corpus dump (and sysfs copy, as a dump) to f.
func seedDumps(f *testing.F, add func([]byte)) {
	for _, p := range dmitest.Dumps(f) {
		add(dmitest.ReadFile(f, p))
	}
	base := dmitest.SysfsDir(f)
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		ep, _ := os.ReadFile(filepath.Join(base, e.Name(), "smbios_entry_point"))
		tb, _ := os.ReadFile(filepath.Join(base, e.Name(), "DMI"))
		add(append(append(ep, make([]byte, max(0, 0x20-len(ep)))...), tb...))
	}
}

// checkTable asserts the invariants every parsed table keeps: structures lie
// inside the input, in order, without overlap, and every typed decoder
// and the summary run without panicking.
func checkTable(t *testing.T, table []byte, tb *Table) {
	if tb == nil {
		return
	}
	end := 0
	for i := range tb.Structures {
		s := &tb.Structures[i]
		if s.Offset < end || s.Offset+len(s.Raw) > len(tb.Raw) || len(tb.Raw) > len(table) {
			t.Fatalf("structure %d at %d+%d outside table of %d (previous end %d)", i, s.Offset, len(s.Raw), len(tb.Raw), end)
		}
		if !bytes.Equal(s.Raw, tb.Raw[s.Offset:s.Offset+len(s.Raw)]) || int(s.Length) > len(s.Raw) || s.Length < 4 {
			t.Fatalf("structure %d: Raw/Length inconsistent", i)
		}
		end = s.Offset + len(s.Raw)
		total := 0
		for _, str := range s.Strings() {
			total += len(str) + 1
		}
		if total > len(s.Raw) {
			t.Fatalf("structure %d: strings (%d bytes) exceed it (%d)", i, total, len(s.Raw))
		}
		_ = s.String(1)
		_ = s.String(255)
	}
	tb.Summary()
	tb.Caches()
	tb.Slots()
	tb.IPMIDevices()
	tb.OnboardDevices()
	tb.MemoryArrayMappedAddresses()
}

func FuzzParseDumpBin(f *testing.F) {
	seedDumps(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, _ := ParseDumpBin(b)
		if tb != nil {
			checkTable(t, b, tb)
			var buf bytes.Buffer
			if err := tb.WriteDumpBin(&buf); err == nil {
				back, _ := ParseDumpBin(buf.Bytes())
				if back == nil || len(back.Structures) != len(tb.Structures) {
					t.Fatalf("dump-bin output does not parse back to %d structures", len(tb.Structures))
				}
			}
		}
	})
}

func FuzzParseTable(f *testing.F) {
	seedDumps(f, func(b []byte) {
		if len(b) > 0x20 {
			f.Add(b[0x20:], uint8(3), uint16(0))
		}
	})
	f.Fuzz(func(t *testing.T, table []byte, major uint8, count uint16) {
		tb, _ := ParseTable(table, Version{Major: major, Minor: 0}, TableOptions{Count: int(count), StopAtEnd: major >= 3})
		checkTable(t, table, tb)
		if count != 0 && len(tb.Structures) > int(count) {
			t.Fatalf("%d structures, count %d", len(tb.Structures), count)
		}
	})
}

// FuzzTypedDecoders feeds single structures to the typed decoders, in both
// string forms.
func FuzzTypedDecoders(f *testing.F) {
	seedDumps(f, func(b []byte) {
		tb, _ := ParseDumpBin(b)
		if tb == nil {
			return
		}
		for _, s := range tb.Structures {
			switch s.Type {
			case 0, 1, 2, 3, 4, 7, 9, 11, 12, 16, 17, 19, 32, 38, 41:
				f.Add(s.Raw)
			}
		}
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		tb, _ := ParseRawTable(raw, Version{Major: 3, Minor: 2})
		for i := range tb.Structures {
			d := tb.Structures[i].DmidecodeStrings()
			for _, s := range []*Structure{&tb.Structures[i], &d} {
				ParseBIOS(s)
				ParseSystem(s, tb.Version)
				ParseBaseboard(s)
				ParseChassis(s)
				ParseProcessor(s)
				ParseCache(s)
				ParseSystemSlot(s)
				ParseOEMStrings(s)
				ParseSystemConfigurationOptions(s)
				ParseMemoryArray(s)
				ParseMemoryDevice(s)
				ParseMemoryArrayMappedAddress(s)
				ParseSystemBoot(s)
				ParseIPMIDevice(s)
				ParseOnboardDevice(s)
			}
		}
		checkTable(t, raw, tb)
	})
}
