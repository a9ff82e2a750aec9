package history

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParsePstoreName(t *testing.T) {
	type parts struct {
		Type, Backend, ID string
		Compressed, OK    bool
	}
	tests := map[string]parts{
		"dmesg-ramoops-0":                  {"dmesg", "ramoops", "0", false, true},
		"console-ramoops-0":                {"console", "ramoops", "0", false, true},
		"dmesg-efi-179551133501002":        {"dmesg", "efi", "179551133501002", false, true},
		"dmesg-efi_pstore-179554231201001": {"dmesg", "efi_pstore", "179554231201001", false, true},
		"dmesg-ramoops-1.enc.z":            {"dmesg", "ramoops", "1", true, true},
		"powerpc-ofw-nvram-3":              {"powerpc-ofw", "nvram", "3", false, true},
		"mce-erst-8":                       {"mce", "erst", "8", false, true},
		"dmesg-ramoops-x":                  {},
		"ramoops-0":                        {},
		"dmesg--0":                         {},
		"-ramoops-0":                       {},
		"README":                           {},
		"":                                 {},
	}
	for name, want := range tests {
		var got parts
		got.Type, got.Backend, got.ID, got.Compressed, got.OK = ParsePstoreName(name)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParsePstoreName(%q) (-want +got):\n%s", name, diff)
		}
	}
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pstore", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePstoreRecord(t *testing.T) {
	at := time.Date(2026, 11, 21, 0, 19, 37, 0, time.UTC)
	tests := []struct {
		path string
		want PstoreRecord
	}{
		{"ramoops-panic/dmesg-ramoops-0", PstoreRecord{
			Name: "dmesg-ramoops-0", Type: "dmesg", Backend: "ramoops", ID: "0", Time: at,
			Reason: "Panic", Count: 1, Part: 1, Crash: true,
			FirstLines: []string{
				"Panic#1 Part1",
				"<0>[ 8125.212511] Kernel panic - not syncing: sysrq triggered crash",
				"<4>[ 8125.212560] CPU: 1 PID: 24511 Comm: bash Not tainted 6.1.0-18-amd64 #1  Debian 6.1.76-1",
				"<4>[ 8125.212597] Hardware name: Dell Inc. PowerEdge R640/0H28RR, BIOS 2.19.1 06/13/2023",
				"<4>[ 8125.212627] Call Trace:",
				"<4>[ 8125.212645]  <TASK>",
				"<4>[ 8125.212661]  dump_stack_lvl+0x44/0x5c",
				"<4>[ 8125.212693]  panic+0x118/0x2ed",
				"<4>[ 8125.212744]  sysrq_handle_crash+0x16/0x20",
				"<4>[ 8125.212775]  __handle_sysrq.cold+0x43/0x11b",
				"<4>[ 8125.212803]  write_sysrq_trigger+0x24/0x40",
				"<4>[ 8125.212830]  proc_reg_write+0x56/0xa0",
				"<4>[ 8125.212857]  vfs_write+0xc7/0x3e0",
				"<4>[ 8125.212883]  ksys_write+0x6b/0xf0",
				"<4>[ 8125.212906]  do_syscall_64+0x58/0xc0",
				"<4>[ 8125.213001]  entry_SYSCALL_64_after_hwframe+0x64/0xce",
			},
		}},
		{"ramoops-panic/console-ramoops-0", PstoreRecord{
			Name: "console-ramoops-0", Type: "console", Backend: "ramoops", ID: "0", Time: at,
			Reason: "Panic", Crash: true,
			FirstLines: []string{
				"[ 8125.212511] Kernel panic - not syncing: sysrq triggered crash",
				"[ 8125.212560] CPU: 1 PID: 24511 Comm: bash Not tainted 6.1.0-18-amd64 #1  Debian 6.1.76-1",
				"[ 8125.212597] Hardware name: Dell Inc. PowerEdge R640/0H28RR, BIOS 2.19.1 06/13/2023",
				"[ 8125.213524] Kernel Offset: 0x1a000000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)",
			},
		}},
		{"efi_pstore-shutdown/dmesg-efi_pstore-179554231201001", PstoreRecord{
			Name: "dmesg-efi_pstore-179554231201001", Type: "dmesg", Backend: "efi_pstore", ID: "179554231201001", Time: at,
			Reason: "Shutdown", Count: 1, Part: 1,
			FirstLines: []string{
				"Shutdown#1 Part1",
				"<6>[31508.440511] systemd-shutdown[1]: Syncing filesystems and block devices.",
				"<6>[31508.519043] systemd-shutdown[1]: Sending SIGTERM to remaining processes...",
				"<6>[31508.711820] systemd-shutdown[1]: Unmounting file systems.",
				"<6>[31508.902266] EXT4-fs (nvme0n1p2): re-mounted. Quota mode: none.",
				"<6>[31509.012458] systemd-shutdown[1]: Powering off.",
				"<5>[31509.120311] reboot: Power down",
			},
		}},
		{"misc/dmesg-ramoops-1.enc.z", PstoreRecord{
			Name: "dmesg-ramoops-1.enc.z", Type: "dmesg", Backend: "ramoops", ID: "1", Compressed: true, Time: at,
		}},
		{"misc/dmesg-erst-7204123456789012", PstoreRecord{
			Name: "dmesg-erst-7204123456789012", Type: "dmesg", Backend: "erst", ID: "7204123456789012", Time: at,
			Reason: "Panic", Crash: true,
			FirstLines: []string{"<0>[  77.100000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009"},
		}},
		{"misc/README.not-a-record", PstoreRecord{Name: "README.not-a-record", Time: at}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := ParsePstoreRecord(filepath.Base(tt.path), at, readFixture(t, tt.path))
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(PstoreRecord{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePstoreRecordOopsBeforePanic(t *testing.T) {
	// The panic dump holds the Oops that caused it: the reason is the
	// header's, and the lines start at the Oops report.
	b := readFixture(t, "efi-oops-panic/dmesg-efi-179551133501002")
	r := ParsePstoreRecord("dmesg-efi-179551133501002", time.Unix(1795511335, 0), b)
	if r.Reason != "Panic" || !r.Crash || r.Count != 2 || r.Part != 1 {
		t.Errorf("reason %q crash %v count %d part %d; want Panic true 2 1", r.Reason, r.Crash, r.Count, r.Part)
	}
	want := []string{"Panic#2 Part1", "<1>[  532.188163] BUG: kernel NULL pointer dereference, address: 0000000000000008"}
	if len(r.FirstLines) != MaxFirstLines || !cmp.Equal(want, r.FirstLines[:2]) {
		t.Errorf("FirstLines = %q; want %d lines starting %q", r.FirstLines, MaxFirstLines, want)
	}
	// Without a header the text decides; a bare Oops is an Oops.
	r = ParsePstoreRecord("dmesg-erst-1", time.Time{}, b[len("Panic#2 Part1\n"):])
	if r.Reason != "Panic" || !r.Crash {
		t.Errorf("headerless: reason %q crash %v; want Panic true", r.Reason, r.Crash)
	}
	r = ParsePstoreRecord("dmesg-erst-1", time.Time{}, []byte("<4>[ 1.0] Oops: 0002 [#1] SMP\n"))
	if r.Reason != "Oops" || !r.Crash {
		t.Errorf("headerless oops: reason %q crash %v; want Oops true", r.Reason, r.Crash)
	}
	// A console log without a panic is no crash, whatever BUG it mentions.
	r = ParsePstoreRecord("console-ramoops-0", time.Time{}, []byte("[ 3.1] BUG: scheduling while atomic\n"))
	if r.Crash {
		t.Error("console log with a BUG line counted as a crash")
	}
}

// stagePstore copies fixture files into a fresh directory and gives each the
// modification time the kernel would: the record's time. EFI IDs encode it
// ((seconds*100 + part)*1000 + count); others take times[name].
func stagePstore(t *testing.T, times map[string]time.Time, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		name := filepath.Base(f)
		dst := filepath.Join(dir, name)
		if err := os.WriteFile(dst, readFixture(t, f), 0o444); err != nil {
			t.Fatal(err)
		}
		mt, ok := times[name]
		if !ok {
			_, backend, id, _, _ := ParsePstoreName(name)
			n, err := strconv.ParseUint(id, 10, 64)
			if !strings.HasPrefix(backend, "efi") || err != nil {
				t.Fatalf("no time for %s", name)
			}
			mt = time.Unix(int64(n/100000), 0)
		}
		if err := os.Chtimes(dst, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPreviousBootEnd(t *testing.T) {
	r640 := loadRecord(t, "r640-kernel-upgrade") // booted 2026-11-20T22:04:12Z, no clean mark
	vm := loadRecord(t, "qemu-vm-a")             // booted 2026-11-24T09:00:03Z, clean at 17:45:10
	vmClean := *vm.CleanShutdownAt
	vmDirty := vm
	vmDirty.CleanShutdownAt = nil
	r640Later := r640 // a boot after the VM fixtures' dates, no mark
	r640Later.BootTime = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	r640Clean := r640
	cleanAt := time.Date(2026, 11, 22, 10, 29, 40, 0, time.UTC)
	r640Clean.CleanShutdownAt = &cleanAt

	crashAt := time.Date(2026, 11, 21, 0, 19, 37, 0, time.UTC) // boot + 8125 s
	mountAt := time.Date(2026, 11, 22, 10, 32, 1, 0, time.UTC) // this boot mounted pstore
	olderCrash := time.Date(2026, 11, 19, 3, 0, 0, 0, time.UTC)
	efiCrash := time.Unix(1795511335, 0)
	oopsAt := time.Date(2026, 11, 24, 9, 20, 7, 0, time.UTC)

	ramoopsPanic := []string{"ramoops-panic/dmesg-ramoops-0", "ramoops-panic/console-ramoops-0"}
	efiPanic := []string{"efi-oops-panic/dmesg-efi-179551133501001", "efi-oops-panic/dmesg-efi-179551133501002"}
	panicLines := func(t *testing.T) []string {
		return ParsePstoreRecord("dmesg-ramoops-0", crashAt, readFixture(t, ramoopsPanic[0])).FirstLines
	}
	efiLines := func(t *testing.T) []string {
		return ParsePstoreRecord("dmesg-efi-179551133501002", efiCrash, readFixture(t, efiPanic[1])).FirstLines
	}
	oopsLines := func(t *testing.T) []string {
		return ParsePstoreRecord("dmesg-ramoops-0", oopsAt, readFixture(t, "ramoops-oops/dmesg-ramoops-0")).FirstLines
	}
	ptr := func(t time.Time) *time.Time { return &t }

	tests := []struct {
		name  string
		prev  *Record
		times map[string]time.Time
		files []string
		noDir bool
		want  func(t *testing.T) End
	}{
		{
			name: "ramoops panic in the previous boot", prev: &r640,
			times: map[string]time.Time{"dmesg-ramoops-0": crashAt, "console-ramoops-0": mountAt}, files: ramoopsPanic,
			want: func(t *testing.T) End {
				return End{State: EndCrashed, Detail: "pstore Panic record dmesg-ramoops-0 at 2026-11-21T00:19:37Z",
					PstoreRecord: "dmesg-ramoops-0", Reason: "Panic", CrashTime: ptr(crashAt), FirstLines: panicLines(t)}
			},
		},
		{
			name: "a panic beats a clean mark", prev: &r640Clean,
			times: map[string]time.Time{"dmesg-ramoops-0": crashAt}, files: ramoopsPanic[:1],
			want: func(t *testing.T) End {
				return End{State: EndCrashed, Detail: "pstore Panic record dmesg-ramoops-0 at 2026-11-21T00:19:37Z",
					PstoreRecord: "dmesg-ramoops-0", Reason: "Panic", CrashTime: ptr(crashAt), FirstLines: panicLines(t)}
			},
		},
		{
			name: "crash record of an older boot, clean mark", prev: &r640Clean,
			times: map[string]time.Time{"dmesg-ramoops-0": olderCrash}, files: ramoopsPanic[:1],
			want: func(*testing.T) End {
				return End{State: EndClean, Detail: "clean shutdown at 2026-11-22T10:29:40Z; 1 pstore crash record(s) predate the previous boot"}
			},
		},
		{
			name: "crash record of an older boot, no mark", prev: &r640,
			times: map[string]time.Time{"dmesg-ramoops-0": olderCrash}, files: ramoopsPanic[:1],
			want: func(*testing.T) End {
				return End{State: EndUnknown, Detail: "no clean shutdown mark and no crash record in pstore: power loss, reset, or the agent was not stopped at shutdown"}
			},
		},
		{
			name: "efi oops then panic", prev: &vmDirty, files: efiPanic,
			want: func(t *testing.T) End {
				return End{State: EndCrashed, Detail: "pstore Panic record dmesg-efi-179551133501002 at 2026-11-24T09:08:55Z",
					PstoreRecord: "dmesg-efi-179551133501002", Reason: "Panic", CrashTime: ptr(efiCrash), FirstLines: efiLines(t)}
			},
		},
		{
			name: "oops survived, then clean shutdown", prev: &vm,
			times: map[string]time.Time{"dmesg-ramoops-0": oopsAt}, files: []string{"ramoops-oops/dmesg-ramoops-0"},
			want: func(t *testing.T) End {
				return End{State: EndClean, Detail: "clean shutdown at 2026-11-24T17:45:10Z after an Oops at 2026-11-24T09:20:07Z (pstore dmesg-ramoops-0)",
					PstoreRecord: "dmesg-ramoops-0", Reason: "Oops", CrashTime: ptr(oopsAt), FirstLines: oopsLines(t)}
			},
		},
		{
			name: "oops and no clean mark", prev: &vmDirty,
			times: map[string]time.Time{"dmesg-ramoops-0": oopsAt}, files: []string{"ramoops-oops/dmesg-ramoops-0"},
			want: func(t *testing.T) End {
				return End{State: EndCrashed, Detail: "pstore Oops record dmesg-ramoops-0 at 2026-11-24T09:20:07Z",
					PstoreRecord: "dmesg-ramoops-0", Reason: "Oops", CrashTime: ptr(oopsAt), FirstLines: oopsLines(t)}
			},
		},
		{
			name: "shutdown dump and clean mark", prev: &vm, files: []string{"efi_pstore-shutdown/dmesg-efi_pstore-179554231201001"},
			want: func(*testing.T) End {
				return End{State: EndClean, Detail: "clean shutdown at " + vmClean.Format(time.RFC3339)}
			},
		},
		{
			name: "shutdown dump, no mark", prev: &vmDirty, files: []string{"efi_pstore-shutdown/dmesg-efi_pstore-179554231201001"},
			want: func(*testing.T) End {
				return End{State: EndClean, Detail: "no clean shutdown mark, but pstore holds the kernel's Shutdown dump dmesg-efi_pstore-179554231201001 from 2026-11-24T17:45:12Z",
					PstoreRecord: "dmesg-efi_pstore-179554231201001", Reason: "Shutdown"}
			},
		},
		{
			name: "shutdown dump of an older boot, no mark", prev: &r640Later,
			files: []string{"efi_pstore-shutdown/dmesg-efi_pstore-179554231201001"},
			want: func(*testing.T) End {
				return End{State: EndUnknown, Detail: "no clean shutdown mark and no crash record in pstore: power loss, reset, or the agent was not stopped at shutdown"}
			},
		},
		{
			name: "compressed record and stray file are no evidence", prev: &vm,
			times: map[string]time.Time{"dmesg-ramoops-1.enc.z": mountAt, "README.not-a-record": mountAt},
			files: []string{"misc/dmesg-ramoops-1.enc.z", "misc/README.not-a-record"},
			want: func(*testing.T) End {
				return End{State: EndClean, Detail: "clean shutdown at 2026-11-24T17:45:10Z"}
			},
		},
		{
			name: "no pstore on this host, clean mark", prev: &vm, noDir: true,
			want: func(*testing.T) End {
				return End{State: EndClean, Detail: "clean shutdown at 2026-11-24T17:45:10Z; no pstore on this host"}
			},
		},
		{
			name: "no pstore, no mark", prev: &vmDirty, noDir: true,
			want: func(*testing.T) End {
				return End{State: EndUnknown, Detail: "no clean shutdown mark and no pstore on this host: power loss, reset, or the agent was not stopped at shutdown"}
			},
		},
		{
			name: "first boot with the agent", prev: nil,
			want: func(*testing.T) End { return End{State: EndUnknown, Detail: "no record of the previous boot"} },
		},
		{
			name: "first boot with the agent, crash on record", prev: nil,
			times: map[string]time.Time{"dmesg-ramoops-0": crashAt}, files: ramoopsPanic[:1],
			want: func(t *testing.T) End {
				return End{State: EndUnknown, Detail: "no record of the previous boot; pstore holds a Panic record from 2026-11-21T00:19:37Z of an unknown boot",
					PstoreRecord: "dmesg-ramoops-0", Reason: "Panic", CrashTime: ptr(crashAt), FirstLines: panicLines(t)}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := stagePstore(t, tt.times, tt.files...)
			if tt.noDir {
				dir = filepath.Join(dir, "absent")
			}
			got := PreviousBootEnd(tt.prev, dir)
			if diff := cmp.Diff(tt.want(t), got); diff != "" {
				t.Errorf("PreviousBootEnd (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudgeEndUnreadable(t *testing.T) {
	vm := loadRecord(t, "qemu-vm-a")
	perm := fmt.Errorf("history: pstore: %w", &fs.PathError{Op: "open", Path: "/sys/fs/pstore", Err: fs.ErrPermission})
	got := JudgeEnd(&vm, nil, perm)
	want := End{State: EndUnknown, Detail: "clean shutdown mark at 2026-11-24T17:45:10Z, but pstore cannot be read to rule out a later crash: history: pstore: open /sys/fs/pstore: permission denied"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	vm.CleanShutdownAt = nil
	if got := JudgeEnd(&vm, nil, perm); got.State != EndUnknown || !strings.Contains(got.Detail, "permission denied") {
		t.Errorf("no mark, unreadable: %+v", got)
	}
	// A readable crash record wins over another unreadable one.
	crash := ParsePstoreRecord("dmesg-ramoops-0", vm.BootTime.Add(time.Hour), readFixture(t, "ramoops-panic/dmesg-ramoops-0"))
	if got := JudgeEnd(&vm, []PstoreRecord{crash}, errors.Join(perm)); got.State != EndCrashed {
		t.Errorf("crash with another file unreadable: %+v", got)
	}
}

func TestReadPstoreBounds(t *testing.T) {
	dir := t.TempDir()
	// A record just under the limit is read; its lines are cut.
	big := make([]byte, maxPstoreFileBytes-1)
	copy(big, "Panic#1 Part1\n")
	for i := 14; i < len(big); i++ {
		big[i] = 'A'
	}
	if err := os.WriteFile(filepath.Join(dir, "dmesg-ramoops-0"), big, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dmesg-ramoops-9"), 0o755); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadPstore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Reason != "Panic" {
		t.Fatalf("records %+v", recs)
	}
	for _, l := range recs[0].FirstLines {
		if len(l) > maxLineBytes {
			t.Errorf("line of %d bytes, limit %d", len(l), maxLineBytes)
		}
	}
}

// stageCapture copies a QEMU capture (testdata/qemu/NAME) with the record
// times pstore showed.
func stageCapture(t testing.TB, name string) (dir string, times map[string]time.Time) {
	t.Helper()
	src := filepath.Join("testdata", "qemu", name)
	b, err := os.ReadFile(filepath.Join(src, "mtimes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir, times = t.TempDir(), map[string]time.Time{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		file, ts, ok := strings.Cut(line, " ")
		mt, err := time.Parse(time.RFC3339Nano, ts)
		if !ok || err != nil {
			t.Fatalf("mtimes.txt: %q: %v", line, err)
		}
		data, err := os.ReadFile(filepath.Join(src, file))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, file)
		if err := os.WriteFile(dst, data, 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dst, mt, mt); err != nil {
			t.Fatal(err)
		}
		times[file] = mt
	}
	return dir, times
}

// TestQEMUCaptures judges records that real kernels wrote: a sysrq panic
// kept by ramoops and by efi-pstore.
func TestQEMUCaptures(t *testing.T) {
	const panicLine = "Kernel panic - not syncing: sysrq triggered crash"
	tests := []struct {
		capture, record string
		files, parts    int
	}{
		{"ramoops-6.1.0-56", "dmesg-ramoops-0", 1, 1},
		{"efi-6.1.0-56", "dmesg-efi-179560996101001", 14, 14},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			dir, times := stageCapture(t, tt.capture)
			if len(times) != tt.files {
				t.Fatalf("%d files, want %d", len(times), tt.files)
			}
			recs, err := ReadPstore(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				_, backend, id, _, _ := ParsePstoreName(r.Name)
				if r.Type != "dmesg" || r.Reason != "Panic" || !r.Crash || r.Count != 1 {
					t.Errorf("%s: type %q reason %q crash %v count %d", r.Name, r.Type, r.Reason, r.Crash, r.Count)
				}
				if backend == "efi" {
					// The ID encodes the record's time and part.
					n, _ := strconv.ParseUint(id, 10, 64)
					if sec := int64(n / 100000); sec != r.Time.Unix() || int(n/1000%100) != r.Part {
						t.Errorf("%s: id says %d s part %d, file says %v part %d", r.Name, sec, n/1000%100, r.Time, r.Part)
					}
				}
			}
			crash := times[tt.record]
			prev := &Record{BootID: "captured", BootTime: crash.Add(-15 * time.Second)}
			end := JudgeEnd(prev, recs, nil)
			if end.State != EndCrashed || end.Reason != "Panic" || end.PstoreRecord != tt.record || !end.CrashTime.Equal(crash) {
				t.Errorf("End = %+v", end)
			}
			if len(end.FirstLines) < 2 || end.FirstLines[0] != "Panic#1 Part1" || !strings.Contains(end.FirstLines[1], panicLine) {
				t.Errorf("first lines %q; want the header, then the panic", end.FirstLines)
			}
			if tt.parts > 1 && !strings.HasSuffix(end.Detail, fmt.Sprintf("(dump in %d parts)", tt.parts)) {
				t.Errorf("detail %q does not count the parts", end.Detail)
			}
			// The same records seen a boot later are stale.
			clean := crash.Add(time.Hour)
			later := &Record{BootID: "later", BootTime: crash.Add(time.Minute), CleanShutdownAt: &clean}
			if end := JudgeEnd(later, recs, nil); end.State != EndClean {
				t.Errorf("a boot after the crash, cleanly ended: %+v", end)
			}
		})
	}
}
