package bootdisk

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// The oracle tests write real partition tables with util-linux's sfdisk
// (and gdisk's sgdisk) into small image files and compare what ParseTable
// decodes with what `sfdisk --json` reads back, field by field.

func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testutil.SkipOrFail(t, "%s not installed (Debian package %s)", name, map[string]string{"sfdisk": "fdisk", "sgdisk": "gdisk", "mkfs.vfat": "dosfstools", "mkfs.ext4": "e2fsprogs", "mkfs.btrfs": "btrfs-progs", "blkid": "util-linux"}[name])
	}
	return p
}

// newImage makes an empty image file of size bytes.
func newImage(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// oracle is the comparable part of a table, from either side.
type oracle struct {
	Label      string
	ID         string
	SectorSize int
	FirstLBA   uint64
	LastLBA    uint64
	Parts      []oraclePart
}

type oraclePart struct {
	Number   int
	Start    uint64
	Size     uint64
	Type     string
	UUID     string
	Name     string
	Attrs    uint64
	Bootable bool
}

var trailingDigits = regexp.MustCompile(`[0-9]+$`)

// sfdiskOracle runs `sfdisk --json dev` and normalises its answer.
func sfdiskOracle(t testing.TB, dev string) oracle {
	t.Helper()
	return parseSfdiskJSON(t, testutil.Run(t, "", "sfdisk", "--json", dev))
}

// parseSfdiskJSON normalises what `sfdisk --json` printed.
func parseSfdiskJSON(t testing.TB, js []byte) oracle {
	t.Helper()
	var doc struct {
		PartitionTable struct {
			Label      string `json:"label"`
			ID         string `json:"id"`
			FirstLBA   uint64 `json:"firstlba"`
			LastLBA    uint64 `json:"lastlba"`
			SectorSize int    `json:"sectorsize"`
			Partitions []struct {
				Node     string `json:"node"`
				Start    uint64 `json:"start"`
				Size     uint64 `json:"size"`
				Type     string `json:"type"`
				UUID     string `json:"uuid"`
				Name     string `json:"name"`
				Attrs    string `json:"attrs"`
				Bootable bool   `json:"bootable"`
			} `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatalf("sfdisk --json: %v", err)
	}
	pt := doc.PartitionTable
	o := oracle{Label: pt.Label, ID: strings.ToLower(strings.TrimPrefix(pt.ID, "0x")), SectorSize: pt.SectorSize, FirstLBA: pt.FirstLBA, LastLBA: pt.LastLBA, Parts: []oraclePart{}}
	for _, p := range pt.Partitions {
		n, err := strconv.Atoi(trailingDigits.FindString(p.Node))
		if err != nil {
			t.Fatalf("sfdisk node %q: %v", p.Node, err)
		}
		typ := strings.ToLower(p.Type)
		if pt.Label == "dos" {
			b, err := strconv.ParseUint(p.Type, 16, 8)
			if err != nil {
				t.Fatalf("sfdisk type %q: %v", p.Type, err)
			}
			typ = fmt.Sprintf("0x%02x", b)
		}
		o.Parts = append(o.Parts, oraclePart{Number: n, Start: p.Start, Size: p.Size, Type: typ, UUID: strings.ToLower(p.UUID), Name: p.Name, Attrs: parseSfdiskAttrs(t, p.Attrs), Bootable: p.Bootable})
	}
	return o
}

// parseSfdiskAttrs turns sfdisk's attribute text ("RequiredPartition
// LegacyBIOSBootable GUID:50,63") into the attribute bits.
func parseSfdiskAttrs(t testing.TB, s string) uint64 {
	var a uint64
	for _, f := range strings.Fields(s) {
		switch {
		case f == "RequiredPartition":
			a |= AttrRequired
		case f == "NoBlockIOProtocol":
			a |= AttrNoBlockIO
		case f == "LegacyBIOSBootable":
			a |= AttrLegacyBIOSBootable
		case strings.HasPrefix(f, "GUID:"):
			for _, b := range strings.Split(strings.TrimPrefix(f, "GUID:"), ",") {
				n, err := strconv.Atoi(b)
				if err != nil || n > 63 {
					t.Fatalf("sfdisk attrs %q", s)
				}
				a |= 1 << n
			}
		default:
			t.Fatalf("sfdisk attrs %q: unknown %q", s, f)
		}
	}
	return a
}

// ours decodes dev with ReadTable and puts it in the oracle's shape.
func ours(t testing.TB, dev string, sectorSize int) (oracle, *Table) {
	t.Helper()
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := ReadTable(f, sectorSize)
	if err != nil {
		t.Fatalf("ReadTable(%s): %v", dev, err)
	}
	o := oracle{ID: tab.ID(), SectorSize: tab.SectorSize, Parts: []oraclePart{}}
	switch tab.Type {
	case TableGPT:
		o.Label, o.FirstLBA, o.LastLBA = "gpt", tab.FirstUsableLBA, tab.LastUsableLBA
	case TableMBR:
		o.Label = "dos"
	default:
		o.Label = string(tab.Type)
	}
	for _, p := range tab.Partitions {
		op := oraclePart{Number: p.Number, Start: p.StartLBA, Size: p.Sectors, Type: p.Type, Name: p.Name, Attrs: p.Attributes, Bootable: p.Bootable}
		if tab.Type == TableGPT {
			op.UUID = p.GUID.String()
		}
		if p.Start != p.StartLBA*uint64(tab.SectorSize) || p.Size != p.Sectors*uint64(tab.SectorSize) {
			t.Errorf("%s: partition %d: bytes %d+%d do not match LBA %d+%d × %d", dev, p.Number, p.Start, p.Size, p.StartLBA, p.Sectors, tab.SectorSize)
		}
		o.Parts = append(o.Parts, op)
	}
	return o, tab
}

func diffOracle(want, got oracle) string { return cmp.Diff(want, got) }

// fieldsCompared counts what a comparison covered, for the test log.
func fieldsCompared(o oracle) int { return 5 + 8*len(o.Parts) }

func compareWithSfdisk(t *testing.T, dev string, sectorSize int) (*Table, int) {
	t.Helper()
	want := sfdiskOracle(t, dev)
	got, tab := ours(t, dev, sectorSize)
	if d := diffOracle(want, got); d != "" {
		t.Errorf("%s: ReadTable differs from sfdisk --json (-sfdisk +ours):\n%s", dev, d)
	}
	return tab, fieldsCompared(want)
}

func TestOracleSfdiskFixed(t *testing.T) {
	needTool(t, "sfdisk")
	cases := []struct {
		name, script string
		size         int64
		wantESP      int
	}{
		{"gpt-esp-root", `label: gpt
label-id: 6C1B0A7E-52F8-4C5E-8D0B-7A1E3F9C2D41
grain: 512
first-lba: 34
start=34, size=64, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=0E1F2A3B-4C5D-6E7F-8091-A2B3C4D5E6F7, name="EFI System Partition"
start=98, size=40, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, name="XBOOTLDR"
start=138, size=100, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="root", attrs="RequiredPartition GUID:59,63"
`, 256 << 10, 1},
		{"gpt-bios-boot-sparse-numbers", `label: gpt
grain: 512
first-lba: 34
disk.img3 : start=40, size=8, type=21686148-6449-6E6F-744E-656564454649, name="BIOS boot", attrs="LegacyBIOSBootable"
disk.img7 : start=48, size=100, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="Ünïcödé ☃ 𝄞"
`, 128 << 10, 0},
		{"mbr-esp-logical", `label: dos
label-id: 0xdeadbeef
grain: 512
start=4, size=16, type=ef, bootable
start=20, size=16, type=83
start=40, size=180, type=5
start=44, size=20, type=82
start=70, size=20, type=8e
start=100, size=30, type=83
`, 128 << 10, 1},
		{"mbr-linux-extended-85", `label: dos
grain: 512
start=8, size=100, type=85
start=12, size=10, type=83
start=30, size=10, type=83
start=120, size=8, type=7, bootable
`, 128 << 10, 0},
		{"mbr-empty", "label: dos\nlabel-id: 0x00000001\n", 64 << 10, 0},
		{"gpt-empty", "label: gpt\ngrain: 512\nfirst-lba: 34\n", 64 << 10, 0},
	}
	images, fields := 0, 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := newImage(t, c.size)
			testutil.Run(t, c.script, "sfdisk", "-q", "--wipe", "never", img)
			tab, n := compareWithSfdisk(t, img, 0)
			images, fields = images+1, fields+n
			esp := 0
			if p := tab.ESP(); p != nil {
				esp = p.Number
			}
			if esp != c.wantESP {
				t.Errorf("ESP is partition %d, want %d", esp, c.wantESP)
			}
		})
	}
	t.Logf("%d images, %d fields matched sfdisk", images, fields)
}

// randomScript writes a random but valid sfdisk script: GPT with 1 to 12
// partitions of random types, names, attributes, gaps and numbers, or MBR
// with primaries and a chain of logical partitions.
func randomScript(r *rand.Rand) (script string, size int64) {
	var b strings.Builder
	lba := uint64(40)
	if r.IntN(2) == 0 {
		types := []string{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "21686148-6449-6E6F-744E-656564454649", "E6D6D379-F507-44C2-A23C-238F2A3DF928", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"}
		names := []string{"", "EFI", "root", "Linux filesystem", "boot", "データ", "a b  c", "exactly-thirty-six-characters-long!!"}
		attrs := []string{"", "RequiredPartition", "LegacyBIOSBootable", "NoBlockIOProtocol", "GUID:48", "RequiredPartition GUID:60,61,62,63"}
		fmt.Fprintf(&b, "label: gpt\ngrain: 512\nfirst-lba: 34\nlabel-id: %s\n", randomGUID(r))
		n := 1 + r.IntN(12)
		num := 0
		for range n {
			num += 1 + r.IntN(3)
			typ := types[r.IntN(len(types))]
			if r.IntN(5) == 0 {
				typ = randomGUID(r)
			}
			sz := 1 + r.IntN(50)
			fmt.Fprintf(&b, "disk.img%d : start=%d, size=%d, type=%s, uuid=%s, name=%q", num, lba, sz, typ, randomGUID(r), names[r.IntN(len(names))])
			if a := attrs[r.IntN(len(attrs))]; a != "" {
				fmt.Fprintf(&b, ", attrs=%q", a)
			}
			b.WriteString("\n")
			lba += uint64(sz + r.IntN(10))
		}
		return b.String(), int64(lba+40) * 512
	}
	types := []string{"ef", "83", "82", "8e", "fd", "7", "c", "a5"}
	fmt.Fprintf(&b, "label: dos\ngrain: 512\nlabel-id: 0x%08x\n", r.Uint32())
	primaries := 1 + r.IntN(3)
	for range primaries {
		sz := 1 + r.IntN(40)
		fmt.Fprintf(&b, "start=%d, size=%d, type=%s", lba, sz, types[r.IntN(len(types))])
		if r.IntN(4) == 0 {
			b.WriteString(", bootable")
		}
		b.WriteString("\n")
		lba += uint64(sz + r.IntN(5))
	}
	if r.IntN(3) > 0 {
		logicals := 1 + r.IntN(6)
		ext := lba
		extSize := uint64(0)
		var lb strings.Builder
		l := ext
		for range logicals {
			l += 2 + uint64(r.IntN(4))
			sz := 1 + uint64(r.IntN(30))
			fmt.Fprintf(&lb, "start=%d, size=%d, type=%s\n", l, sz, types[r.IntN(len(types))])
			l += sz
		}
		extSize = l - ext + uint64(r.IntN(5))
		fmt.Fprintf(&b, "start=%d, size=%d, type=%s\n%s", ext, extSize, []string{"5", "f", "85"}[r.IntN(3)], lb.String())
		lba = ext + extSize
	}
	return b.String(), int64(lba+40) * 512
}

func randomGUID(r *rand.Rand) string {
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
}

func TestOracleSfdiskRandom(t *testing.T) {
	needTool(t, "sfdisk")
	n := 60
	if testing.Short() {
		n = 10
	}
	r := rand.New(rand.NewPCG(6, 2026))
	fields, gpt, mbr := 0, 0, 0
	for i := range n {
		script, size := randomScript(r)
		img := newImage(t, size)
		testutil.Run(t, script, "sfdisk", "-q", "--wipe", "never", img)
		tab, k := compareWithSfdisk(t, img, 0)
		if t.Failed() {
			t.Fatalf("image %d, script:\n%s", i, script)
		}
		fields += k
		if tab.Type == TableGPT {
			gpt++
		} else {
			mbr++
		}
	}
	t.Logf("%d random images (%d GPT, %d MBR), %d fields matched sfdisk", n, gpt, mbr, fields)
}
