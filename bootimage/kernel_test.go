package bootimage

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// labKernel returns the firmware lab's Debian kernel, the one real kernel
// image every test machine has (scripts/lab-setup caches it).
func labKernel(t *testing.T) *qemulab.Lab {
	t.Helper()
	lab, err := qemulab.Find()
	if err != nil {
		testutil.SkipOrFail(t, "%v", err)
	}
	return lab
}

// fileVersion is the version file(1) prints for a bzImage, the oracle for
// the embedded version string.
var fileVersion = regexp.MustCompile(`^Linux kernel x86 boot executable bzImage, version (.*?), (RO-rootFS|root_dev|swap_dev)`)

// TestLabKernel decodes Debian's signed kernel and the same kernel signed
// with the snakeoil key, and compares what it finds with file(1) and with
// the name of the package the kernel came from.
func TestLabKernel(t *testing.T) {
	lab := labKernel(t)
	pkg, err := os.ReadFile(lab.Cache + "/../.kernel-package")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{lab.Kernel, lab.KernelSnakeoil} {
		out, err := exec.Command("file", "-b", p).Output()
		if err != nil {
			testutil.SkipOrFail(t, "file(1): %v", err)
		}
		m := fileVersion.FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("file -b %s: %q", p, out)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		k, err := ReadKernel(f, fi.Size())
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if k.Format != FormatBzImage || !k.EFIStub || k.Arch != "x86" || k.Version != m[1] {
			t.Errorf("%s: %+v; file(1) says version %q", p, k, m[1])
		}
		if k.Release != lab.KernelRelease || "linux-image-"+k.Release != strings.TrimSpace(string(pkg)) {
			t.Errorf("release %q, lab %q, package %q", k.Release, lab.KernelRelease, pkg)
		}
		if !strings.HasPrefix(k.Build, "#") || !strings.Contains(m[1], ") "+k.Build) {
			t.Errorf("build %q is not the tail of %q", k.Build, m[1])
		}
	}
}

// TestLabKernelTruncated cuts the real kernel short at points across the
// file: every cut that loses the setup code or the compressed kernel is
// found, from the header alone.
func TestLabKernelTruncated(t *testing.T) {
	lab := labKernel(t)
	full, err := os.ReadFile(lab.Kernel)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKernel(full)
	if err != nil {
		t.Fatal(err)
	}
	// What setup_sects and syssize announce; past it only the PE
	// signature remains, which the header does not cover.
	setupSects := int(full[offSetupSects])
	announced := (setupSects+1)*512 + int(binary.LittleEndian.Uint32(full[offSyssize:]))*16
	t.Logf("%s: %d bytes, %d announced by the setup header", k.Release, len(full), announced)
	for _, n := range []int{0, 1, 0x201, 0x210, 0x400, 4096, len(full) / 2, announced - 1} {
		_, err := ParseKernel(full[:n])
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrNotKernel) {
			t.Errorf("cut at %d of %d: %v", n, len(full), err)
		}
	}
	if _, err := ParseKernel(full[:announced]); err != nil {
		t.Errorf("cut at the announced end: %v", err)
	}
}

// TestParseKernel covers each format from its boot protocol document,
// built byte by byte.
func TestParseKernel(t *testing.T) {
	bz := func(proto uint16, setupSects byte, syssize uint32, version string) []byte {
		eff := int(setupSects)
		if eff == 0 {
			eff = 4
		}
		b := make([]byte, (eff+1)*512+int(syssize)*16)
		b[offSetupSects] = setupSects
		binary.LittleEndian.PutUint32(b[offSyssize:], syssize)
		binary.LittleEndian.PutUint16(b[offBootFlag:], 0xAA55)
		copy(b[offHdrS:], "HdrS")
		binary.LittleEndian.PutUint16(b[offProtocol:], proto)
		if version != "" {
			binary.LittleEndian.PutUint16(b[offKernelVer:], 0x300-0x200)
			copy(b[0x300:], version+"\x00")
		}
		return b
	}
	arm64 := func(pe bool) []byte {
		b := make([]byte, 4096)
		binary.LittleEndian.PutUint64(b[0x10:], 1<<24) // image_size
		copy(b[offArm64Magic:], "ARM\x64")
		if pe {
			copy(b, "MZ")
			binary.LittleEndian.PutUint32(b[offLfanew:], 0x40)
			copy(b[0x40:], "PE\x00\x00")
			binary.LittleEndian.PutUint16(b[0x44:], 0xaa64)
		}
		return b
	}
	zboot := func(payloadEnd uint32) []byte {
		b := make([]byte, 4096)
		copy(b, "MZ")
		copy(b[offZimg:], "zimg")
		binary.LittleEndian.PutUint32(b[offZbootOffset:], 0x200)
		binary.LittleEndian.PutUint32(b[offZbootSize:], payloadEnd-0x200)
		copy(b[offZbootComp:], "zstd")
		binary.LittleEndian.PutUint32(b[offLfanew:], 0x80)
		copy(b[0x80:], "PE\x00\x00")
		binary.LittleEndian.PutUint16(b[0x84:], 0x5064)
		// One section, its raw data at 400h for 200h bytes.
		binary.LittleEndian.PutUint16(b[0x86:], 1)
		sec := b[0x80+24:]
		binary.LittleEndian.PutUint32(sec[0x10:], 0x200)
		binary.LittleEndian.PutUint32(sec[0x14:], 0x400)
		return b
	}
	const v = "6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"
	tests := []struct {
		name string
		in   []byte
		want *Kernel
		err  error
	}{
		{"empty", nil, nil, ErrNotKernel},
		{"text", []byte("kernel"), nil, ErrNotKernel},
		{"ELF vmlinux", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 2000)...), nil, ErrNotKernel},
		{"bzImage", bz(0x020f, 30, 100, v), &Kernel{Format: FormatBzImage, Arch: "x86", Protocol: "2.15", Version: v,
			Release: "6.1.0-18-amd64", Build: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)", Size: 31*512 + 1600}, nil},
		{"bzImage, no version", bz(0x020f, 4, 10, ""), &Kernel{Format: FormatBzImage, Arch: "x86", Protocol: "2.15", Size: 5*512 + 160}, nil},
		{"bzImage, setup_sects 0 means 4", bz(0x020f, 0, 0, ""), &Kernel{Format: FormatBzImage, Arch: "x86", Protocol: "2.15", Size: 5 * 512}, nil},
		{"bzImage, version not printable", bz(0x020f, 4, 0, "6.1\x01"), &Kernel{Format: FormatBzImage, Arch: "x86", Protocol: "2.15", Size: 5 * 512}, nil},
		{"bzImage, syssize past the end", bz(0x020f, 4, 10, "")[:5*512+100], &Kernel{Format: FormatBzImage, Arch: "x86", Protocol: "2.15", Size: 5*512 + 100}, ErrTruncated},
		{"bzImage, header cut", bz(0x020f, 4, 10, "")[:0x210], &Kernel{Format: FormatBzImage, Arch: "x86", Size: 0x210}, ErrTruncated},
		{"arm64 Image", arm64(false), &Kernel{Format: FormatArm64, Arch: "arm64", Size: 4096}, nil},
		{"arm64 Image with EFI stub", arm64(true), &Kernel{Format: FormatArm64, Arch: "arm64", EFIStub: true, Size: 4096}, nil},
		{"arm64 header cut", arm64(false)[:0x3a], nil, ErrNotKernel},
		{"zboot", zboot(0x600), &Kernel{Format: FormatZboot, Arch: "riscv64", EFIStub: true, Compression: "zstd", Size: 4096}, nil},
		{"zboot, payload past the end", zboot(0x2000), &Kernel{Format: FormatZboot, Arch: "riscv64", EFIStub: true, Compression: "zstd", Size: 4096}, ErrTruncated},
		{"zboot, section past the end", zboot(0x600)[:0x500], &Kernel{Format: FormatZboot, Arch: "riscv64", EFIStub: true, Compression: "zstd", Size: 0x500}, ErrTruncated},
		{"MZ without PE", append([]byte("MZ"), make([]byte, 200)...), nil, ErrNotKernel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKernel(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("error %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestSplitVersion(t *testing.T) {
	for in, want := range map[string][2]string{
		// A bzImage's kernel_version, and /proc/version of the same kernel
		// without "Linux version ": the compiler's parentheses come between.
		"6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)":                                                                             {"6.1.0-18-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"},
		"6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n": {"6.1.0-18-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"},
		"6.18.44-fc-v1147 (builder@sandboxing) (gcc (GCC) 15.3.0, GNU ld (GNU Binutils) 2.46) #1 SMP PREEMPT_DYNAMIC @0":                                                                  {"6.18.44-fc-v1147", "#1 SMP PREEMPT_DYNAMIC @0"},
		"5.4.0 #3":   {"5.4.0", "#3"},
		"5.4.0":      {"5.4.0", ""},
		"":           {"", ""},
		"x (a#b) #2": {"x", "#2"},
	} {
		r, b := SplitVersion(in)
		if r != want[0] || b != want[1] {
			t.Errorf("SplitVersion(%q) = %q, %q; want %q", in, r, b, want)
		}
	}
}

// TestReadKernelHuge reads a kernel header at the start of a 1 TiB file:
// the bytes read do not grow with the file.
func TestReadKernelHuge(t *testing.T) {
	head := make([]byte, 0x400)
	copy(head[offHdrS:], "HdrS")
	binary.LittleEndian.PutUint16(head[offProtocol:], 0x020f)
	r := &countingReader{data: head, size: 1 << 40}
	if _, err := ReadKernel(r, r.size); err != nil {
		t.Fatal(err)
	}
	if r.read > 4096 {
		t.Errorf("read %d bytes", r.read)
	}
	t.Logf("%d bytes in %d reads", r.read, r.calls)
}

// countingReader is a file of size bytes that starts with data and is NUL
// after it, and counts what is read from it.
type countingReader struct {
	data        []byte
	size        int64
	read, calls int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	c.read += int64(len(p))
	clear(p)
	if off < int64(len(c.data)) {
		copy(p, c.data[off:])
	}
	return len(p), nil
}
