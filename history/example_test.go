package history_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bootinfo/bootinfo/history"
)

// The agent's use of the package: record the boot at start, compare it with
// the previous one, tell how that one ended, and mark a clean end when
// systemd stops the agent at shutdown.
func Example() {
	state, _ := os.MkdirTemp("", "bootinfo-state")
	defer os.RemoveAll(state)
	root, _ := os.MkdirTemp("", "bootinfo-root") // a host without pstore
	defer os.RemoveAll(root)

	last := history.Record{
		BootID:        "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
		BootTime:      time.Date(2026, 11, 2, 8, 14, 7, 0, time.UTC),
		KernelRelease: "6.1.0-17-amd64",
		Cmdline:       "BOOT_IMAGE=/boot/vmlinuz-6.1.0-17-amd64 root=/dev/sda1 ro quiet",
		DIMMs:         []history.DIMM{{Locator: "A1", SizeBytes: 16 << 30}, {Locator: "A2", SizeBytes: 16 << 30}},
	}
	s, err := history.Open(state, 10)
	if err != nil {
		panic(err) // only for a bad directory name or keep < 1
	}
	s.Record(last)
	s.MarkCleanShutdown(last.BootID, time.Date(2026, 11, 20, 22, 1, 44, 0, time.UTC))

	// The next boot, a new agent process.
	cur := last
	cur.BootID = "a90e7d12-55c3-4f0e-b1d8-2f6c0e9a7b31"
	cur.BootTime = time.Date(2026, 11, 20, 22, 4, 12, 0, time.UTC)
	cur.KernelRelease = "6.1.0-18-amd64"
	cur.Cmdline = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda1 ro quiet"
	cur.DIMMs = cur.DIMMs[:1]

	s, _ = history.Open(state, 10)
	for _, p := range s.Problems() {
		fmt.Println("history:", p) // a file set aside, an unwritable directory
	}
	prev, err := s.Record(cur)
	if err != nil {
		fmt.Println("history disabled:", err) // prev and Diff still work
	}
	if prev != nil {
		for _, c := range history.Diff(*prev, cur) {
			fmt.Printf("changed %s: %s\n", c.Component, c.Detail)
		}
	}
	end := history.PreviousBootEndArchived(prev, history.PstoreDir(filepath.Join(root, "sys")),
		filepath.Join(root, history.SystemdPstoreArchive), cur.BootTime)
	fmt.Printf("previous boot ended %s: %s\n", end.State, end.Detail)
	// Output:
	// changed kernel: kernel 6.1.0-17-amd64 -> 6.1.0-18-amd64
	// changed dimms: DIMM A2 removed (16 GiB)
	// previous boot ended clean: clean shutdown at 2026-11-20T22:01:44Z; no pstore on this host
}
