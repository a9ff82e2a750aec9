package bootdisk

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseTable feeds ParseTable the committed sfdisk/sgdisk images and
// hand-built tables, mutated. Properties: no panic, a table always comes
// back, partitions are numbered as Linux numbers them, and byte extents
// agree with sectors.
func FuzzParseTable(f *testing.F) {
	imgs, _ := filepath.Glob("testdata/*.img")
	for _, img := range imgs {
		b, err := os.ReadFile(img)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 0)
		f.Add(b, 512)
	}
	f.Add(gptImage(512, [2]uint64{34, 99}, [2]uint64{100, 199}), 512)
	f.Add(gptImage(4096, [2]uint64{6, 69}), 0)
	f.Add(ebrLoop(), 512)
	f.Fuzz(func(t *testing.T, b []byte, ss int) {
		tab, _ := ParseTable(b, ss)
		if tab == nil {
			t.Fatal("nil table")
		}
		switch tab.Type {
		case TableGPT, TableMBR, TableNone, TableUnknown:
		default:
			t.Fatalf("table type %q", tab.Type)
		}
		if tab.Type == TableNone && len(tab.Partitions) > 0 {
			t.Fatalf("no table but %d partitions", len(tab.Partitions))
		}
		for _, p := range tab.Partitions {
			if p.Number < 1 || (tab.Type == TableGPT && p.Number > int(tab.Entries)) {
				t.Fatalf("partition number %d of %d entries", p.Number, tab.Entries)
			}
			if tab.Type == TableMBR && (p.Logical != (p.Number > 4)) {
				t.Fatalf("partition %d logical=%v", p.Number, p.Logical)
			}
			if p.Start != 0 && p.Start != p.StartLBA*uint64(tab.SectorSize) {
				t.Fatalf("partition %d: start %d bytes, LBA %d × %d", p.Number, p.Start, p.StartLBA, tab.SectorSize)
			}
			if p.ESP != (p.TypeGUID == TypeESP || (tab.Type == TableMBR && p.MBRType == MBRTypeESP)) {
				t.Fatalf("partition %d: ESP %v for type %s", p.Number, p.ESP, p.Type)
			}
		}
	})
}

func BenchmarkParseTable(b *testing.B) {
	for _, name := range []string{"gpt-512.img", "gpt-4096.img", "mbr-logical.img", "sgdisk-hybrid.img"} {
		img, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(img)))
			for b.Loop() {
				if _, err := ParseTable(img, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzParseUdevDB: udev records and blkid-escaped names never panic the
// parser, and names come out as valid UTF-8.
func FuzzParseUdevDB(f *testing.F) {
	f.Add([]byte("S:disk/by-id/x\nE:ID_PART_ENTRY_NAME=EFI\\x20System\\x20Partition\nE:ID_PART_TABLE_TYPE=gpt\nG:systemd\nV:1\n"))
	f.Add([]byte("E:ID_PART_ENTRY_NAME=r\\xc3\\xb6\\xff\\x\nE:=\nE:NOEQUALS\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for k, v := range ParseUdevDB(b) {
			if strings.Contains(k, "\n") || strings.Contains(v, "\n") {
				t.Fatalf("%q=%q spans lines", k, v)
			}
			if s := udevUnescape(v); !utf8.ValidString(s) {
				t.Fatalf("udevUnescape(%q) = %q: not UTF-8", v, s)
			}
		}
	})
}

// uuidRE is a UUID as ReadFileSystem writes it: blkid's 36 characters, or
// a FAT volume ID.
var uuidRE = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-F]{4}-[0-9A-F]{4})$`)

// FuzzParseFileSystem feeds ReadFileSystem the committed file system
// images (testdata/fs), mutated. Properties: no panic; the cost of an
// input is bounded (MaxFileSystemRead bytes in six reads at most,
// whatever the input says about where its structures are); the result
// is a known type with a well-formed UUID and a label no longer than its
// field, or one of the two errors a reader of memory can give.
func FuzzParseFileSystem(f *testing.F) {
	imgs, _ := filepath.Glob("testdata/fs/*.img")
	for _, img := range imgs {
		b, err := os.ReadFile(img)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &countingReader{r: bytes.NewReader(b)}
		fs, err := ReadFileSystem(r)
		if r.bytes > MaxFileSystemRead || r.calls > 6 {
			t.Fatalf("%d bytes in %d reads", r.bytes, r.calls)
		}
		if err != nil {
			if !errors.Is(err, ErrNoFileSystem) && !errors.Is(err, ErrAmbivalent) {
				t.Fatalf("error %v", err)
			}
			return
		}
		switch fs.Type {
		case FSExt2, FSExt3, FSExt4, FSJBD, FSXFS, FSBtrfs, FSVFAT, FSSwap:
		default:
			t.Fatalf("type %q", fs.Type)
		}
		if fs.UUID != "" && !uuidRE.MatchString(fs.UUID) {
			t.Fatalf("UUID %q", fs.UUID)
		}
		if len(fs.Label) > 256 || strings.Contains(fs.Label, "\x00") {
			t.Fatalf("label %q", fs.Label)
		}
	})
}
