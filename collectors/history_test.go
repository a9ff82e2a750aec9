package collectors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/prometheus/common/promslog"
)

// bootRoot writes the procfs facts of one boot below a fresh root and links
// in a real machine's SMBIOS tables from the shared corpus.
func bootRoot(t *testing.T, bootID, kernel, smbios string) Paths {
	t.Helper()
	root := t.TempDir()
	testutil.WriteTree(t, root, map[string]string{
		"proc/sys/kernel/random/boot_id": bootID + "\n",
		"proc/sys/kernel/osrelease":      kernel + "\n",
		"proc/sys/kernel/hostname":       "h\n",
		"proc/cmdline":                   "BOOT_IMAGE=/vmlinuz-" + kernel + " root=/dev/vda1 ro\n",
		"proc/stat":                      "cpu  1 1 1 1 1 1 1 1 1 1\nbtime 1732500000\n",
	})
	// The tables are copied into the root: reads resolve inside it.
	src := testutil.Shared(t, "smbios", "sysfs", smbios)
	for _, f := range []string{"smbios_entry_point", "DMI"} {
		testutil.CopyFile(t, filepath.Join(src, f), filepath.Join(root, "sys", "firmware", "dmi", "tables", f), 0o400)
	}
	return Paths{RootFS: root, ProcFS: filepath.Join(root, "proc"), SysFS: filepath.Join(root, "sys")}
}

func newHistory(t *testing.T, p Paths, dir string, serials bool) *historyCollector {
	t.Helper()
	c, err := NewHistoryCollector(Config{Paths: p, Logger: promslog.NewNopLogger(), History: HistoryConfig{Dir: dir, Keep: 5}, DMI: DMIConfig{Serials: serials}})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*historyCollector)
}

// TestHistoryAcrossBoots runs the collector as serve does over two fixture
// boots: a kernel upgrade on a machine whose SMBIOS then changes (a disk
// moved to another server). The second run reports exactly those changes,
// and the SIGTERM of the first run makes the previous boot clean.
func TestHistoryAcrossBoots(t *testing.T) {
	state := t.TempDir()
	first := newHistory(t, bootRoot(t, "11111111-1111-4111-8111-111111111111", "6.1.0-26-amd64", "dell-xps9365"), state, true)
	first.Run(context.Background())
	snap, err := first.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sec := snap.Section.(*HistorySection); !sec.Persisted || len(sec.Boots) != 1 || len(sec.Changes) != 0 || sec.PreviousBootEnd.State != "unknown" {
		t.Fatalf("first boot: %+v", sec)
	}
	first.Stop() // SIGTERM at shutdown

	second := newHistory(t, bootRoot(t, "22222222-2222-4222-8222-222222222222", "6.1.0-27-amd64", "jcreekmore-t430"), state, true)
	second.Run(context.Background())
	snap, err = second.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sec := snap.Section.(*HistorySection)
	var comps []string
	for _, ch := range sec.Changes {
		comps = append(comps, ch.Component)
	}
	got := strings.Join(comps, ",")
	for _, want := range []string{"kernel", "system_identity", "bios"} {
		if !strings.Contains(got, want) {
			t.Errorf("changes %s lack %s", got, want)
		}
	}
	if sec.PreviousBootEnd.State != "clean" || len(sec.Boots) != 2 {
		t.Errorf("previous end %+v, %d boots", sec.PreviousBootEnd, len(sec.Boots))
	}
	m := metricsText(t, snap, "bootinfo_boot_changes", "bootinfo_previous_boot_clean", "bootinfo_boots_recorded")
	for _, want := range []string{"bootinfo_boot_changes{component=kernel} 1", "bootinfo_boot_changes{component=secure_boot} 0", "bootinfo_previous_boot_clean{} 1", "bootinfo_boots_recorded{} 2"} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
}

// TestHistoryShowWritesNothing: outside serve the history is read and
// compared, never written.
func TestHistoryShowWritesNothing(t *testing.T) {
	state := t.TempDir()
	c := newHistory(t, bootRoot(t, "33333333-3333-4333-8333-333333333333", "6.1.0-27-amd64", "dell-xps9365"), state, false)
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sec := snap.Section.(*HistorySection)
	if sec.Persisted || len(sec.Boots) != 1 {
		t.Errorf("%+v", sec)
	}
	if sec.Boots[0].System.SerialNumber != "" || sec.Boots[0].System.UUID != "" {
		t.Errorf("serials not withheld: %+v", sec.Boots[0].System)
	}
	ents, _ := os.ReadDir(state)
	if len(ents) != 0 {
		t.Errorf("show wrote %v", ents)
	}
}

// TestHistoryUnwritableStateDir: history that cannot be saved is the
// collector's error, and the comparison is still served.
func TestHistoryUnwritableStateDir(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := newHistory(t, bootRoot(t, "44444444-4444-4444-8444-444444444444", "6.1.0-27-amd64", "dell-xps9365"), filepath.Join(blocker, "state"), true)
	c.Run(context.Background())
	snap, err := c.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "history disabled") {
		t.Errorf("error = %v", err)
	}
	if snap == nil || snap.Section.(*HistorySection).Persisted {
		t.Errorf("snapshot %+v", snap)
	}
}
