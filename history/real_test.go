package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// realLogs returns the kernel logs of real boots in the shared corpus: every
// one ended normally, so none may read as a crash.
func realLogs(tb testing.TB) map[string][]byte {
	tb.Helper()
	logs := map[string][]byte{}
	boots := testutil.Shared(tb, "boots")
	paths, _ := filepath.Glob(filepath.Join(boots, "*", "dmesg.txt"))
	paths = append(paths, filepath.Join(testutil.Shared(tb, "dmesg", "fwts"), "lenovo-0769BMG-bios-linux-3.0-klog.txt"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		logs[filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p)] = b
	}
	if len(logs) < 8 {
		tb.Fatalf("found %d real logs, want 8", len(logs))
	}
	return logs
}

// TestPstoreRealLogs feeds whole real boot logs through the pstore decoder
// as a console log and as dmesg dumps of each reason: only the header's
// crash reasons may make them a crash.
func TestPstoreRealLogs(t *testing.T) {
	at := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for name, log := range realLogs(t) {
		first, _, _ := strings.Cut(string(log), "\n")
		t.Run(name, func(t *testing.T) {
			if r := ParsePstoreRecord("console-ramoops-0", at, log); r.Crash || r.Reason != "" {
				t.Errorf("console log of a normal boot: crash %v reason %q", r.Crash, r.Reason)
			}
			if r := ParsePstoreRecord("dmesg-erst-1", at, log); r.Crash {
				t.Errorf("headerless dump of a normal boot is a crash (%q): %q", r.Reason, r.FirstLines)
			}
			for reason, crash := range map[string]bool{"Panic": true, "Oops": true, "Emergency": true, "Shutdown": false, "Restart": false, "Halt": false, "Poweroff": false} {
				data := append([]byte(reason+"#3 Part2\n"), log...)
				r := ParsePstoreRecord("dmesg-ramoops-4", at, data)
				if r.Crash != crash || r.Reason != reason || r.Count != 3 || r.Part != 2 {
					t.Errorf("%s dump: crash %v reason %q count %d part %d", reason, r.Crash, r.Reason, r.Count, r.Part)
				}
				if len(r.FirstLines) != MaxFirstLines || r.FirstLines[0] != reason+"#3 Part2" ||
					r.FirstLines[1] != strings.TrimSpace(first) {
					t.Errorf("%s dump: first lines %q", reason, r.FirstLines[:2])
				}
			}
		})
	}
}

// TestDiffRealCmdlines compares the command lines of the real QEMU boots:
// the initrd= the boot loader adds is not a change, the image name the EFI
// shell passes is.
func TestDiffRealCmdlines(t *testing.T) {
	boots := testutil.Shared(t, "boots")
	cmdline := func(name string) Record {
		b, err := os.ReadFile(filepath.Join(boots, name, "proc-cmdline"))
		if err != nil {
			t.Fatal(err)
		}
		return Record{BootID: name, Cmdline: strings.TrimSpace(string(b))}
	}
	tests := []struct {
		prev, cur string
		want      []Change
	}{
		{"ovmf-pc", "ovmf-q35", nil},
		{"ovmf-pc", "seabios-pc", nil},
		{"seabios-pc", "ovmf-q35-shellboot", []Change{{ComponentCmdline,
			"console=ttyS0,115200 loglevel=7 panic=-1",
			`vmlinuz.efi initrd=\initrd.gz console=ttyS0,115200 loglevel=7 panic=-1`,
			"added: vmlinuz.efi"}}},
	}
	for _, tt := range tests {
		got := Diff(cmdline(tt.prev), cmdline(tt.cur))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s -> %s (-want +got):\n%s", tt.prev, tt.cur, diff)
		}
	}
}
