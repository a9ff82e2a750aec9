package bootimage

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// tool returns the path of a program the test needs, skipping (failing in
// CI) without it.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testutil.SkipOrFail(t, "%s not installed: %v", name, err)
	}
	return p
}

// cpioOf archives dir's files with cpio(1) in format ("newc", "crc", "odc"),
// as initramfs-tools and dracut do (find . | cpio -o -H newc).
func cpioOf(t *testing.T, dir, format string) []byte {
	t.Helper()
	cmd := exec.Command("sh", "-c", "find . | LC_ALL=C sort | "+tool(t, "cpio")+" --quiet -o -H "+format)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio: %v", err)
	}
	return out
}

// compress runs a compressor from stdin to stdout.
func compress(t *testing.T, in []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// fileSays is file(1)'s description of b, the oracle for the format of
// the first segment.
func fileSays(t *testing.T, b []byte) string {
	t.Helper()
	cmd := exec.Command(tool(t, "file"), "-b", "-")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("file: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestInitrdRealTools builds initramfs images the way Debian's mkinitramfs
// lays them out (an uncompressed early cpio with the CPU microcode, then
// the main archive compressed) with the real cpio and compressors, and
// checks each decodes to the segments it was built from; file(1) and
// cpio -t are the oracles for the first segment's format and entry count.
func TestInitrdRealTools(t *testing.T) {
	early, main := t.TempDir(), t.TempDir()
	testutil.WriteTree(t, early, map[string]string{
		"kernel/x86/microcode/GenuineIntel.bin":                 strings.Repeat("\x01", 1000),
		"kernel/x86/microcode/.enuineIntel.align.0123456789abc": "",
	})
	testutil.WriteTree(t, main, map[string]string{
		"init":                "#!/bin/sh\nexec /sbin/init\n",
		"conf/initramfs.conf": "MODULES=most\n",
		"scripts/local":       "mountroot() { :; }\n",
		"bin/busybox":         strings.Repeat("b", 5000),
	})
	earlyCpio := cpioOf(t, early, "newc")
	mainCpio := cpioOf(t, main, "newc")
	count := func(dir string) int {
		out := testutil.Run(t, "", "sh", "-c", "cd "+dir+" && find . | wc -l")
		n := 0
		for _, c := range strings.TrimSpace(string(out)) {
			n = n*10 + int(c-'0')
		}
		return n
	}
	nEarly, nMain := count(early), count(main)
	// cpio -t lists the first archive, the oracle for its entry count.
	if out := testutil.Run(t, string(earlyCpio), "cpio", "--quiet", "-t"); len(strings.Fields(string(out))) != nEarly {
		t.Fatalf("cpio -t lists %d entries, find %d", len(strings.Fields(string(out))), nEarly)
	}
	type comp struct {
		name, tool string
		args       []string
		file       string // what file(1) says, in part
	}
	comps := []comp{
		{"gzip", "gzip", []string{"-9", "-n"}, "gzip compressed data"},
		{"zstd", "zstd", []string{"-q", "-19", "-c"}, "Zstandard compressed data"},
		{"xz", "xz", []string{"--check=crc32", "-c"}, "XZ compressed data"},
		{"lzma", "lzma", []string{"-c"}, "LZMA compressed data"},
		{"lz4", "lz4", []string{"-l", "-c"}, "LZ4 compressed data (v0.1-v0.9)"},
		{"bzip2", "bzip2", []string{"-c"}, "bzip2 compressed data"},
	}
	for _, c := range comps {
		t.Run(c.name, func(t *testing.T) {
			z := compress(t, mainCpio, c.tool, c.args...)
			if got := fileSays(t, z); !strings.Contains(got, c.file) {
				t.Fatalf("file(1) says %q of %s output", got, c.name)
			}
			img := append(append([]byte{}, earlyCpio...), z...)
			got, err := ParseInitrd(img)
			if err != nil {
				t.Fatal(err)
			}
			want := &Initrd{Size: int64(len(img)), Segments: []Segment{
				{Offset: 0, Format: CpioNewc, Entries: nEarly},
				{Offset: int64(len(earlyCpio)), Format: Compressed, Compression: c.name},
			}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
	t.Run("uncompressed, two archives", func(t *testing.T) {
		img := append(append([]byte{}, earlyCpio...), mainCpio...)
		got, err := ParseInitrd(img)
		if err != nil {
			t.Fatal(err)
		}
		want := &Initrd{Size: int64(len(img)), Segments: []Segment{
			{Offset: 0, Format: CpioNewc, Entries: nEarly},
			{Offset: int64(len(earlyCpio)), Format: CpioNewc, Entries: nMain},
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("-want +got:\n%s", diff)
		}
	})
	t.Run("crc", func(t *testing.T) {
		img := cpioOf(t, main, "crc")
		if got := fileSays(t, img); !strings.Contains(got, "ASCII cpio archive (SVR4 with CRC)") {
			t.Fatalf("file(1): %q", got)
		}
		got, err := ParseInitrd(img)
		if err != nil || len(got.Segments) != 1 || got.Segments[0].Format != CpioCRC || got.Segments[0].Entries != nMain {
			t.Errorf("%+v, %v", got, err)
		}
	})
	t.Run("odc is refused, as the kernel refuses it", func(t *testing.T) {
		img := cpioOf(t, main, "odc")
		if got := fileSays(t, img); !strings.Contains(got, "ASCII cpio archive (pre-SVR4 or odc)") {
			t.Fatalf("file(1): %q", got)
		}
		if _, err := ParseInitrd(img); !errors.Is(err, ErrNotInitrd) {
			t.Errorf("odc: %v", err)
		}
	})
	t.Run("lz4 frame is refused", func(t *testing.T) {
		z := compress(t, mainCpio, "lz4", "-c")
		if _, err := ParseInitrd(z); !errors.Is(err, ErrNotInitrd) {
			t.Errorf("lz4 frame: %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		img := append(append([]byte{}, earlyCpio...), mainCpio...)
		// Cut in headers, names, data and the last trailer; cpio pads its
		// output with NULs to 512 bytes after the trailer.
		last := bytes.LastIndex(img, []byte("TRAILER!!!"))
		for _, n := range []int{1, 50, 110, 200, len(earlyCpio) + 120, last - 200, last - 2, last + 5} {
			_, err := ParseInitrd(img[:n])
			if !errors.Is(err, ErrTruncated) {
				t.Errorf("cut at %d of %d: %v", n, len(img), err)
			}
		}
	})
	t.Run("written to a file and read back", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "initrd.img")
		z := compress(t, mainCpio, "zstd", "-q", "-c")
		if err := os.WriteFile(p, append(append([]byte{}, earlyCpio...), z...), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, _ := f.Stat()
		if got, err := ReadInitrd(f, fi.Size()); err != nil || len(got.Segments) != 2 {
			t.Errorf("%+v, %v", got, err)
		}
	})
}

func TestParseInitrd(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		err  error
	}{
		{"empty", "", ErrNotInitrd},
		{"only NULs", "\x00\x00\x00\x00", ErrNotInitrd},
		{"text", "initrd", ErrNotInitrd},
		{"ELF", "\x7fELF\x02\x01", ErrNotInitrd},
		{"ext2 image", strings.Repeat("\x00", 1024) + "\x80\x00", ErrNotInitrd},
		{"cpio magic off a 4-byte boundary", "\x00070701", ErrNotInitrd},
		{"bad hex", "070701" + strings.Repeat("g", 104), ErrNotInitrd},
		{"zero name size", "070701" + strings.Repeat("0", 104), ErrNotInitrd},
		{"gzip after padding", "\x00\x00\x00\x00\x1f\x8b\x08", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInitrd([]byte(tt.in))
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("error %v, want %v", err, tt.err)
			}
			if got == nil || got.Size != int64(len(tt.in)) {
				t.Errorf("%+v", got)
			}
		})
	}
}

// TestReadInitrdHuge walks an image whose NUL padding runs on for a TiB
// and one of a hundred thousand tiny members: both stop at MaxRead.
func TestReadInitrdHuge(t *testing.T) {
	r := &countingReader{size: 1 << 40}
	got, err := ReadInitrd(r, r.size)
	if err != nil || !got.Incomplete {
		t.Errorf("%+v, %v", got, err)
	}
	if r.read > MaxRead {
		t.Errorf("read %d bytes", r.read)
	}
	t.Logf("NUL padding: %d bytes in %d reads", r.read, r.calls)

	// A newc member with a one-byte name and no data, repeated.
	member := "070701" + strings.Repeat("00000000", 11) + "00000002" + "00000000" + "a\x00"
	member += strings.Repeat("\x00", int(align4(int64(len(member)))-int64(len(member))))
	r = &countingReader{data: []byte(strings.Repeat(member, 100000)), size: 1 << 40}
	got, err = ReadInitrd(r, r.size)
	if err != nil || !got.Incomplete || len(got.Segments) != 1 || got.Segments[0].Entries == 0 {
		t.Errorf("%+v, %v", got, err)
	}
	if r.read > MaxRead {
		t.Errorf("read %d bytes", r.read)
	}
	t.Logf("members: %d bytes in %d reads, %d entries", r.read, r.calls, got.Segments[0].Entries)
}
