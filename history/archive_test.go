package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// archiveCapture lays out the EFI capture the way systemd-pstore archives
// it: TIMESTAMP/COUNT/FILE plus the dmesg.txt it assembles, copied (so
// modified) at archived.
func archiveCapture(t *testing.T, dir string, archived time.Time) {
	t.Helper()
	src := filepath.Join("testdata", "qemu", "efi-6.1.0-56")
	files, _ := filepath.Glob(filepath.Join(src, "dmesg-efi-*"))
	if len(files) != 14 {
		t.Fatalf("%d capture files", len(files))
	}
	var assembled []byte
	for i := len(files) - 1; i >= 0; i-- {
		name := filepath.Base(files[i])
		id := strings.TrimPrefix(name, "dmesg-efi-")
		sub := filepath.Join(dir, id[:len(id)-5], id[len(id)-3:])
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		assembled = append(assembled, data...)
		writeAt(t, filepath.Join(sub, name), data, archived)
		writeAt(t, filepath.Join(sub, "dmesg.txt"), assembled, archived)
	}
}

func writeAt(t *testing.T, path string, data []byte, mt time.Time) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func TestPreviousBootEndArchived(t *testing.T) {
	crash := time.Unix(1795609961, 0) // the capture's panic
	prev := &Record{BootID: "crashed", BootTime: crash.Add(-15 * time.Second)}
	boot := crash.Add(30 * time.Second) // this boot
	archived := boot.Add(4 * time.Second)

	t.Run("efi archived this boot", func(t *testing.T) {
		arch := t.TempDir()
		archiveCapture(t, arch, archived)
		// A ramoops record archived in an earlier boot stays out.
		writeAt(t, filepath.Join(arch, "dmesg-ramoops-0"), readFixture(t, "ramoops-panic/dmesg-ramoops-0"), boot.Add(-time.Hour))
		empty := t.TempDir() // systemd-pstore emptied /sys/fs/pstore
		end := PreviousBootEndArchived(prev, empty, arch, boot)
		if end.State != EndCrashed || end.Reason != "Panic" || !end.CrashTime.Equal(crash) ||
			end.PstoreRecord != filepath.Join("1795609961", "001", "dmesg-efi-179560996101001") {
			t.Fatalf("End = %+v", end)
		}
		if !strings.Contains(end.FirstLines[1], "Kernel panic - not syncing: sysrq triggered crash") ||
			!strings.HasSuffix(end.Detail, "(dump in 14 parts)") {
			t.Errorf("End = %+v", end)
		}
		recs, err := ReadPstoreArchive(arch, boot)
		if err != nil || len(recs) != 14 {
			t.Errorf("ReadPstoreArchive: %d records, %v; want the 14 parts only", len(recs), err)
		}
	})
	t.Run("archived in an earlier boot", func(t *testing.T) {
		arch := t.TempDir()
		archiveCapture(t, arch, prev.BootTime.Add(-time.Minute))
		clean := boot.Add(-time.Minute)
		p := *prev
		p.CleanShutdownAt = &clean
		if end := PreviousBootEndArchived(&p, t.TempDir(), arch, boot); end.State != EndClean {
			t.Errorf("End = %+v", end)
		}
	})
	t.Run("no pstore, no archive", func(t *testing.T) {
		base := t.TempDir()
		end := PreviousBootEndArchived(prev, filepath.Join(base, "pstore"), filepath.Join(base, "archive"), boot)
		if end.State != EndUnknown || !strings.Contains(end.Detail, "no pstore on this host") {
			t.Errorf("End = %+v", end)
		}
	})
	t.Run("pstore not mounted, archive answers", func(t *testing.T) {
		base := t.TempDir()
		archiveCapture(t, base, archived)
		end := PreviousBootEndArchived(prev, filepath.Join(base, "absent"), base, boot)
		if end.State != EndCrashed {
			t.Errorf("End = %+v", end)
		}
	})
}

func TestEFIRecordTime(t *testing.T) {
	tests := []struct {
		typ, backend, id string
		want             int64
		ok               bool
	}{
		{"dmesg", "efi", "179560996101001", 1795609961, true},
		{"dmesg", "efi_pstore", "179554231201001", 1795542312, true},
		{"dmesg", "ramoops", "0", 0, false},
		{"dmesg", "efi", "999", 0, false},
		{"dmesg", "efi", "99999999999999999999", 0, false},
		// The last second of year 9999, and the first of year 10000.
		{"dmesg", "efi", "25340230079900000", 253402300799, true},
		{"dmesg", "efi", "25340230080000000", 0, false},
		{"console", "efi", "179560996101001", 0, false},
	}
	for _, tt := range tests {
		got, ok := efiRecordTime(tt.typ, tt.backend, tt.id)
		if ok != tt.ok || (ok && got.Unix() != tt.want) {
			t.Errorf("efiRecordTime(%s, %s, %s) = %v, %v; want %d, %v", tt.typ, tt.backend, tt.id, got, ok, tt.want, tt.ok)
		}
	}
}
