package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/prometheus/common/promslog"
)

// TestKmsgErrorsWithholdRecordText: a record that does not decode makes an
// error quoting its header, which can be the message's own words. With
// --no-collector.kmsg.records the errors the collector returns, logs and
// serves keep the kind of fault and drop the words.
func TestKmsgErrorsWithholdRecordText(t *testing.T) {
	_, parseErr := kmsg.ParseRecord([]byte("secret words of the kernel,1,2,-;message\n"))
	if !errors.Is(parseErr, kmsg.ErrMalformed) || !strings.Contains(parseErr.Error(), "secret words") {
		t.Fatalf("the fixture must quote the record: %v", parseErr)
	}
	for _, records := range []bool{true, false} {
		c := newKmsg(t, records)
		for what, err := range map[string]error{"withhold": c.withhold(parseErr), "readError": c.readError(parseErr)} {
			if leaked := strings.Contains(err.Error(), "secret words"); leaked == !records {
				t.Errorf("records=%v: %s gives %q", records, what, err)
			}
			if !errors.Is(err, kmsg.ErrMalformed) {
				t.Errorf("records=%v: %s lost the kind of fault: %v", records, what, err)
			}
		}
	}
	other := errors.New("kmsg: read: input/output error")
	if got := newKmsg(t, false).withhold(other); got != other {
		t.Errorf("an error quoting no record was changed: %v", got)
	}
}

// TestDMIErrorsWithholdSerials: with --no-collector.dmi.serials, a table
// cut short in the middle (so that the decoder and the collector report
// faults) yields no serial number, UUID or asset tag of the machine in the
// section, its errors, the collector's error or its log.
func TestDMIErrorsWithholdSerials(t *testing.T) {
	samples, err := os.ReadDir(testutil.Shared(t, "smbios", "sysfs"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range samples {
		full, _ := collectDMI(t, dmiRoot(t, s.Name()), true)
		secrets := map[string]bool{}
		sum := full.Summary
		for _, v := range []string{sum.System.SerialNumber, sum.System.UUID, sum.Baseboard.SerialNumber, sum.Baseboard.AssetTag, sum.Chassis.SerialNumber, sum.Chassis.AssetTag} {
			secrets[v] = true
		}
		for _, d := range sum.Memory.Devices {
			secrets[d.SerialNumber] = true
		}
		// Placeholders ("Default string", "0123456789") that the
		// firmware also puts in fields that are not withheld are no
		// secret; nor is what is too short to search for.
		withheld, _ := collectDMI(t, dmiRoot(t, s.Name()), false)
		shown, err := json.Marshal(withheld)
		if err != nil {
			t.Fatal(err)
		}
		for v := range secrets {
			if len(v) < 6 || strings.Contains(string(shown), v) {
				delete(secrets, v)
			}
		}
		if len(secrets) == 0 {
			continue
		}
		t.Logf("%s: %d serials", s.Name(), len(secrets))
		src := testutil.Shared(t, "smbios", "sysfs", s.Name())
		table, err := os.ReadFile(filepath.Join(src, "DMI"))
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{len(table) * 2 / 3, len(table) - 3} {
			sys := t.TempDir()
			dir := filepath.Join(sys, "firmware", "dmi", "tables")
			os.MkdirAll(dir, 0o755)
			testutil.CopyFile(t, filepath.Join(src, "smbios_entry_point"), filepath.Join(dir, "smbios_entry_point"), 0o400)
			if err := os.WriteFile(filepath.Join(dir, "DMI"), table[:cut], 0o400); err != nil {
				t.Fatal(err)
			}
			var log testutil.SyncBuffer
			c, err := NewDMICollector(Config{Paths: Paths{SysFS: sys}, Logger: promslog.New(&promslog.Config{Writer: &log}), DMI: DMIConfig{Serials: false}})
			if err != nil {
				t.Fatal(err)
			}
			snap, cerr := c.Collect(context.Background())
			var out strings.Builder
			out.WriteString(log.String())
			if cerr != nil {
				out.WriteString(cerr.Error())
			}
			if snap != nil {
				b, _ := json.Marshal(snap.Section)
				out.Write(b)
				for f, e := range snap.Faults {
					out.WriteString(f + e)
				}
			}
			if cerr == nil && (snap == nil || len(snap.Faults) == 0) {
				continue // the cut fell where the decoder sees no fault
			}
			for v := range secrets {
				if strings.Contains(out.String(), v) {
					t.Errorf("%s cut at %d: serial %q in the output with serials withheld:\n%s", s.Name(), cut, v, out.String())
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no sample with serials to check")
	}
	t.Logf("%d cut tables with faults checked", checked)
}
