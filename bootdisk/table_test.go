package bootdisk

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestGoldenImages decodes the committed images (real tables from sfdisk
// and sgdisk, see testdata/make-images.sh) and compares them with what
// sfdisk --json read from the whole image, without needing sfdisk.
func TestGoldenImages(t *testing.T) {
	imgs, _ := filepath.Glob("testdata/*.img")
	if len(imgs) < 4 {
		t.Fatalf("found %d images in testdata", len(imgs))
	}
	for _, img := range imgs {
		t.Run(filepath.Base(img), func(t *testing.T) {
			js, err := os.ReadFile(img + ".sfdisk.json")
			if err != nil {
				t.Fatal(err)
			}
			want := parseSfdiskJSON(t, js)
			got, tab := ours(t, img, 0)
			if d := diffOracle(want, got); d != "" {
				t.Errorf("differs from sfdisk --json (-sfdisk +ours):\n%s", d)
			}
			if tab.ESP() == nil || tab.ESP().Number != 1 {
				t.Errorf("ESP = %+v, want partition 1", tab.ESP())
			}
		})
	}
}

// gptImage builds a GPT disk with correct CRCs: the protective MBR, the
// header at LBA 1 and a 128-entry array at LBA 2.
func gptImage(ss int, parts ...[2]uint64) []byte {
	const n, es = 128, 128
	b := make([]byte, 2*ss+n*es)
	b[0x1BE+4] = 0xEE
	binary.LittleEndian.PutUint32(b[0x1BE+8:], 1)
	binary.LittleEndian.PutUint32(b[0x1BE+12:], 0xFFFFFFFF)
	b[510], b[511] = 0x55, 0xAA
	arr := b[2*ss:]
	for i, p := range parts {
		e := arr[i*es:]
		copy(e, TypeESP[:])
		if i > 0 {
			copy(e, TypeLinuxFilesystem[:])
		}
		e[16] = byte(i + 1)
		binary.LittleEndian.PutUint64(e[32:], p[0])
		binary.LittleEndian.PutUint64(e[40:], p[1])
		copy(e[56:], []byte{'E', 0, 'S', 0, 'P', 0})
	}
	h := b[ss:]
	copy(h, gptSignature)
	binary.LittleEndian.PutUint32(h[8:], 0x00010000)
	binary.LittleEndian.PutUint32(h[12:], 92)
	binary.LittleEndian.PutUint64(h[24:], 1)
	binary.LittleEndian.PutUint64(h[32:], 1000)
	binary.LittleEndian.PutUint64(h[40:], 34)
	binary.LittleEndian.PutUint64(h[48:], 966)
	disk := efi.MustParseGUID("01234567-89ab-cdef-0123-456789abcdef")
	copy(h[56:], disk[:])
	binary.LittleEndian.PutUint64(h[72:], 2)
	binary.LittleEndian.PutUint32(h[80:], n)
	binary.LittleEndian.PutUint32(h[84:], es)
	fixCRCs(b, ss)
	return b
}

// fixCRCs recomputes both CRCs of a GPT image after a test edited it.
func fixCRCs(b []byte, ss int) {
	h := b[ss:]
	n, es := binary.LittleEndian.Uint32(h[80:]), binary.LittleEndian.Uint32(h[84:])
	binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(b[2*ss:2*ss+int(n*es)]))
	binary.LittleEndian.PutUint32(h[16:], 0)
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
}

func TestMalformed(t *testing.T) {
	good := gptImage(512, [2]uint64{34, 99}, [2]uint64{100, 199})
	edit := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	cases := []struct {
		name      string
		in        []byte
		ss        int
		wantType  TableType
		wantParts int
		wantErr   []error
	}{
		{"good", good, 512, TableGPT, 2, nil},
		{"good, sector size guessed", good, 0, TableGPT, 2, nil},
		{"empty", nil, 0, TableUnknown, 0, []error{io.ErrUnexpectedEOF}},
		{"zeros", make([]byte, 4096), 0, TableNone, 0, nil},
		{"bad sector size", good, 1000, TableUnknown, 0, []error{ErrMalformed}},
		{"header crc", edit(func(b []byte) { b[512+16] ^= 1 }), 512, TableGPT, 2, []error{ErrChecksum}},
		{"entry crc", edit(func(b []byte) { b[1024+100] ^= 1 }), 512, TableGPT, 2, []error{ErrChecksum}},
		{"array truncated", good[:1024+300], 512, TableGPT, 0, []error{io.ErrUnexpectedEOF}},
		{"header truncated", good[:600], 512, TableGPT, 0, []error{io.ErrUnexpectedEOF}},
		{"no gpt header", edit(func(b []byte) { b[512] = 'X' }), 512, TableGPT, 0, []error{ErrMalformed}},
		{"entry size 100", edit(func(b []byte) { binary.LittleEndian.PutUint32(b[512+84:], 100); fixCRCs(b[:1024], 512) }), 512, TableGPT, 0, []error{ErrMalformed}},
		// Found by FuzzParseTable: no entries of 2 GiB each made the
		// decoder allocate a 2 GiB read buffer.
		{"no entries of 2 GiB", edit(func(b []byte) {
			binary.LittleEndian.PutUint32(b[512+80:], 0)
			binary.LittleEndian.PutUint32(b[512+84:], 1<<31)
			binary.LittleEndian.PutUint32(b[512+16:], 0)
			binary.LittleEndian.PutUint32(b[512+16:], crc32.ChecksumIEEE(b[512:512+92]))
		}), 512, TableGPT, 0, []error{ErrMalformed}},
		{"entry array of 4 GiB", edit(func(b []byte) {
			binary.LittleEndian.PutUint32(b[512+80:], 1<<25)
			binary.LittleEndian.PutUint32(b[512+16:], 0)
			binary.LittleEndian.PutUint32(b[512+16:], crc32.ChecksumIEEE(b[512:512+92]))
		}), 512, TableGPT, 0, []error{ErrMalformed}},
		{"header says LBA 7", edit(func(b []byte) { binary.LittleEndian.PutUint64(b[512+24:], 7); fixCRCs(b, 512) }), 512, TableGPT, 2, []error{ErrMalformed}},
		{"end before start", edit(func(b []byte) { binary.LittleEndian.PutUint64(b[1024+40:], 10); fixCRCs(b, 512) }), 512, TableGPT, 2, []error{ErrMalformed}},
		{"extent past 2^64 bytes", edit(func(b []byte) {
			binary.LittleEndian.PutUint64(b[1024+32:], 1<<60)
			binary.LittleEndian.PutUint64(b[1024+40:], 1<<61)
			fixCRCs(b, 512)
		}), 512, TableGPT, 2, []error{ErrMalformed}},
		{"gpt without protective mbr", edit(func(b []byte) { b[510] = 0 }), 512, TableGPT, 2, []error{ErrMalformed}},
		{"mbr boot indicator 7f is no mbr", edit(func(b []byte) { b[0x1BE] = 0x7F; b[512] = 0 }), 512, TableNone, 0, nil},
		{"ebr loop", ebrLoop(), 512, TableMBR, 3, []error{ErrMalformed}},
		{"ebr past the end", edit(func(b []byte) {
			copy(b, make([]byte, 512*3))
			b[0x1BE+4] = 0x05
			binary.LittleEndian.PutUint32(b[0x1BE+8:], 100000)
			binary.LittleEndian.PutUint32(b[0x1BE+12:], 10)
			b[510], b[511] = 0x55, 0xAA
		}), 512, TableMBR, 1, []error{io.ErrUnexpectedEOF}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, err := ParseTable(c.in, c.ss)
			if tab == nil {
				t.Fatal("nil table")
			}
			if tab.Type != c.wantType || len(tab.Partitions) != c.wantParts {
				t.Errorf("type %s with %d partitions, want %s with %d", tab.Type, len(tab.Partitions), c.wantType, c.wantParts)
			}
			if c.wantErr == nil && err != nil {
				t.Errorf("unexpected error %v", err)
			}
			for _, w := range c.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("error %v, want one wrapping %v", err, w)
				}
			}
		})
	}
}

// ebrLoop is an MBR whose second extended boot record links back to the
// first.
func ebrLoop() []byte {
	b := make([]byte, 512*12)
	put := func(sector, slot int, typ byte, start, size uint32) {
		e := b[sector*512+0x1BE+slot*16:]
		e[4] = typ
		binary.LittleEndian.PutUint32(e[8:], start)
		binary.LittleEndian.PutUint32(e[12:], size)
		b[sector*512+510], b[sector*512+511] = 0x55, 0xAA
	}
	put(0, 0, 0x05, 4, 8)
	put(4, 0, 0x83, 1, 1) // logical 5 at LBA 5
	put(4, 1, 0x05, 3, 4) // next EBR at 4+3
	put(7, 0, 0x83, 1, 1) // logical 6 at LBA 8
	put(7, 1, 0x05, 0, 4) // back to the first EBR
	return b
}

func TestTableJSONShape(t *testing.T) {
	tab, err := ParseTable(gptImage(4096, [2]uint64{6, 69}), 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := Partition{Number: 1, Type: TypeESP.String(), TypeName: "EFI System", TypeGUID: TypeESP, Name: "ESP",
		StartLBA: 6, Sectors: 64, Start: 6 * 4096, Size: 64 * 4096, ESP: true}
	want.GUID[0] = 1
	if d := cmp.Diff([]Partition{want}, tab.Partitions, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("partitions (-want +got):\n%s", d)
	}
	if tab.ID() != "01234567-89ab-cdef-0123-456789abcdef" {
		t.Errorf("ID %q", tab.ID())
	}
}

func mustGUID(s string) efi.GUID { return efi.MustParseGUID(s) }
