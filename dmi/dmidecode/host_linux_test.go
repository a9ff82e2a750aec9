package dmidecode

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
)

// TestHostAgainstDmidecode compares the output for this machine's own
// SMBIOS tables, read through dmi.NewFS("/sys"), with the real dmidecode
// reading the same sysfs files. It needs root, the kernel's DMI export and
// dmidecode; containers and non-x86 machines often lack the export.
func TestHostAgainstDmidecode(t *testing.T) {
	if _, err := os.Stat("/sys/" + dmi.TablesDir + "/DMI"); err != nil {
		t.Skipf("this host exports no SMBIOS tables: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("reading the SMBIOS tables needs root")
	}
	bin := dmidecodeBin(t)
	tb, err := dmi.NewFS("/sys").Table()
	if tb == nil {
		t.Fatal(err)
	}
	var want, wantErr bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Stdout, cmd.Stderr = &want, &wantErr
	_ = cmd.Run()
	var got, gotErr bytes.Buffer
	if err := Write(&got, Source{Table: tb}, Options{Stderr: &gotErr}); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("stdout differs:\n%s", lineDiff(want.String(), got.String()))
	}
	if gotErr.String() != wantErr.String() {
		t.Errorf("stderr %q, dmidecode %q", gotErr.String(), wantErr.String())
	}
}
