package bootdisk

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestOracleSgdisk checks tables written by gdisk's sgdisk, a second
// implementation: a 256-entry array (sgdisk -S), attribute bits and a
// hybrid MBR (sgdisk -h), which sfdisk reads as the GPT it shadows.
func TestOracleSgdisk(t *testing.T) {
	needTool(t, "sfdisk")
	needTool(t, "sgdisk")
	img := newImage(t, 1<<20)
	testutil.Run(t, "", "sgdisk", "-a", "8", "-o", "-S", "256",
		"-n", "1:0:+64K", "-t", "1:ef00", "-c", "1:EFI system",
		"-n", "2:0:+128K", "-t", "2:8300", "-c", "2:root", "-A", "2:set:2", "-A", "2:set:60",
		"-n", "3:0:0", "-t", "3:8e00", img)
	tab, n := compareWithSfdisk(t, img, 0)
	if tab.Entries != 256 || tab.HybridMBR {
		t.Errorf("entries %d hybrid %v, want 256 and false", tab.Entries, tab.HybridMBR)
	}
	testutil.Run(t, "", "sgdisk", "-h", "1:2", img)
	tab, m := compareWithSfdisk(t, img, 0)
	if !tab.HybridMBR {
		t.Errorf("sgdisk -h made a hybrid MBR; HybridMBR is false")
	}
	if p := tab.ESP(); p == nil || p.Number != 1 || p.Name != "EFI system" {
		t.Errorf("ESP = %+v, want partition 1 named \"EFI system\"", p)
	}
	t.Logf("2 sgdisk images, %d fields matched sfdisk", n+m)
}

// attachLoop attaches img to a free loop device with the given logical
// sector size and detaches it when the test ends. It skips (fails in CI)
// where loop devices cannot be used.
func attachLoop(t *testing.T, img string, sectorSize int, partscan bool) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "loop devices need root")
	}
	args := []string{"-f", "--show", "-b", strconv.Itoa(sectorSize)}
	if partscan {
		args = append(args, "-P")
	}
	out, err := exec.Command("losetup", append(args, img)...).CombinedOutput()
	if err != nil {
		testutil.SkipOrFail(t, "losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", dev, err, out)
		}
	})
	return dev
}

// TestOracleSfdisk4K writes tables with 4096-byte logical sectors: sfdisk
// takes the sector size from the device, so the image is attached to a
// loop device with 4096-byte sectors first. The image file is then decoded
// with a guessed sector size and the loop device with the real one.
func TestOracleSfdisk4K(t *testing.T) {
	needTool(t, "sfdisk")
	for _, c := range []struct{ name, script string }{
		{"gpt", `label: gpt
grain: 4096
first-lba: 6
start=6, size=64, type=U, name="EFI System Partition"
start=70, size=100, type=L, name="root", attrs="RequiredPartition"
`},
		{"mbr", `label: dos
grain: 4096
start=4, size=64, type=ef, bootable
start=68, size=100, type=f
start=72, size=20, type=83
start=96, size=20, type=82
`},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := newImage(t, 1<<20)
			dev := attachLoop(t, img, 4096, false)
			testutil.Run(t, c.script, "sfdisk", "-q", "--wipe", "never", dev)
			tab, n := compareWithSfdisk(t, dev, 4096)
			if tab.SectorSize != 4096 || tab.ESP() == nil || tab.ESP().Start != tab.ESP().StartLBA*4096 {
				t.Errorf("sector size %d, ESP %+v", tab.SectorSize, tab.ESP())
			}
			want := sfdiskOracle(t, dev)
			got, _ := ours(t, img, map[string]int{"gpt": 0, "mbr": 4096}[c.name])
			if d := diffOracle(want, got); d != "" {
				t.Errorf("image file differs from sfdisk on the loop device:\n%s", d)
			}
			t.Logf("%d fields matched sfdisk", n)
		})
	}
}

// TestTypeNamesKnownToSfdisk checks every type this package names against
// util-linux's own list, so a mistyped GUID cannot hide here.
func TestTypeNamesKnownToSfdisk(t *testing.T) {
	needTool(t, "sfdisk")
	known := map[string]bool{}
	for _, label := range []string{"gpt", "dos"} {
		sc := bufio.NewScanner(bytes.NewReader(testutil.Run(t, "", "sfdisk", "--list-types", "--label", label)))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 1 {
				known[label+":"+strings.ToLower(f[0])] = true
			}
		}
	}
	if len(known) < 100 {
		t.Fatalf("sfdisk --list-types gave only %d types", len(known))
	}
	for g := range gptTypeNames {
		if !known["gpt:"+g.String()] {
			t.Errorf("GPT type %s (%s) is not in sfdisk's list", g, gptTypeNames[g])
		}
	}
	for b := range mbrTypeNames {
		if !known["dos:"+strconv.FormatUint(uint64(b), 16)] {
			t.Errorf("MBR type %02x (%s) is not in sfdisk's list", b, mbrTypeNames[b])
		}
	}
	if GPTTypeName(efi.MustParseGUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")) != "EFI System" {
		t.Errorf("the ESP's type name is %q", GPTTypeName(TypeESP))
	}
}
