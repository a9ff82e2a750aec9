package dmi

import (
	"bytes"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
	smbios "github.com/digitalocean/go-smbios/smbios"
)

// TestGoSMBIOSDropsTables documents why ParseTable walks the structures
// itself: go-smbios's Decoder returns nothing for a table that lacks its
// end-of-table record (as Linux 6.6.39+ can export) or has a broken
// structure, where ParseTable keeps every structure before the fault.
func TestGoSMBIOSDropsTables(t *testing.T) {
	full, err := parseDump(t, "qemu-ovmf-q35-ep64")
	if err != nil {
		t.Fatal(err)
	}
	last := full.Structures[len(full.Structures)-1]
	noEOT := full.Raw[:last.Offset]
	ss, err := smbios.NewDecoder(bytes.NewReader(noEOT)).Decode()
	if err == nil || len(ss) != 0 {
		t.Errorf("go-smbios kept %d structures (err %v); the doc comment on ParseTable is out of date", len(ss), err)
	}
	ours, err := ParseRawTable(noEOT, full.Version)
	if err != nil || len(ours.Structures) != len(full.Structures)-1 {
		t.Errorf("ParseRawTable: %d structures, %v", len(ours.Structures), err)
	}
	hv := dmitest.Dump(t, "go-smbios-HyperV.synth-ep")
	ss, err = smbios.NewDecoder(bytes.NewReader(hv[0x20:])).Decode()
	t.Logf("go-smbios on the Hyper-V table: %d structures, err %v", len(ss), err)
}
