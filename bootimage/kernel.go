package bootimage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kernel image formats, as Kernel.Format.
const (
	FormatBzImage = "bzImage"   // x86 boot protocol 2.00 and later
	FormatArm64   = "arm64"     // arm64 Image
	FormatZboot   = "efi-zboot" // generic EFI zboot: a compressed image in a PE stub
	FormatPE      = "pe"        // another architecture's EFI stub (riscv64, loongarch64)
)

// Kernel is what the headers of a kernel image say.
type Kernel struct {
	// Format is FormatBzImage, FormatArm64, FormatZboot or FormatPE.
	Format string `json:"format"`
	// Arch is the architecture the image is built for: "x86" for a
	// bzImage, else from the PE header's machine type ("arm64",
	// "riscv64", ...); "" when the image says nothing.
	Arch string `json:"arch,omitempty"`
	// Protocol is the x86 boot protocol version ("2.15").
	Protocol string `json:"protocol,omitempty"`
	// EFIStub is set when the image carries a PE header, so that UEFI
	// firmware (or GRUB's linuxefi) can start it as an EFI program.
	EFIStub bool `json:"efi_stub"`
	// Version is the version string the image embeds (a bzImage's
	// kernel_version), "" when the format has none.
	Version string `json:"version,omitempty"`
	// Release is Version's first word, what `uname -r` prints once the
	// kernel runs ("6.1.0-18-amd64").
	Release string `json:"release,omitempty"`
	// Build is the build string: Version from its "#" on, what `uname -v`
	// prints ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)").
	Build string `json:"build,omitempty"`
	// Compression is the payload's compression of an EFI zboot image
	// ("gzip", "zstd").
	Compression string `json:"compression,omitempty"`
	// Size is the file's size in bytes.
	Size int64 `json:"size_bytes"`
}

// Offsets in the first sectors of a kernel image.
const (
	// x86 real-mode kernel header (boot.rst).
	offSetupSects = 0x1F1 // 1 byte; 0 means 4
	offSyssize    = 0x1F4 // 4 bytes, 16-byte paragraphs (2.04+)
	offBootFlag   = 0x1FE // AA55h
	offHdrS       = 0x202 // "HdrS"
	offProtocol   = 0x206 // 2 bytes, major.minor
	offKernelVer  = 0x20E // 2 bytes, pointer less 200h
	// arm64 Image header (booting.rst).
	offArm64Magic = 0x38 // "ARM\x64"
	// MS-DOS header (PE/COFF).
	offLfanew = 0x3C // 4 bytes: file offset of "PE\0\0"
	// EFI zboot header (zboot-header.S).
	offZimg        = 0x04 // "zimg"
	offZbootOffset = 0x08 // 4 bytes: payload offset
	offZbootSize   = 0x0C // 4 bytes: payload size
	offZbootComp   = 0x18 // NUL-padded compression type, 32 bytes
)

// headLen is how much of the image is read at first: the MS-DOS, arm64 and
// x86 headers all lie in it.
const headLen = 0x400

// maxVersion bounds the version string read from a bzImage; real ones are
// about 130 bytes.
const maxVersion = 512

// maxSections bounds the PE section table (the PE/COFF specification's
// limit is 96).
const maxSections = 96

// ParseKernel identifies the kernel image b.
func ParseKernel(b []byte) (*Kernel, error) {
	return ReadKernel(bytes.NewReader(b), int64(len(b)))
}

// ReadKernel identifies the kernel image of size bytes that r reads,
// reading at most a few KiB of it whatever its size. An image shorter than
// its headers say is returned with an error wrapping ErrTruncated; a file
// that is no kernel image, nil and an error wrapping ErrNotKernel.
func ReadKernel(r io.ReaderAt, size int64) (*Kernel, error) {
	if size <= 0 {
		return nil, fmt.Errorf("%w: empty file", ErrNotKernel)
	}
	b := &budget{r: r, size: size}
	head, err := b.read(0, int(min(size, headLen)))
	if err != nil {
		return nil, fmt.Errorf("bootimage: reading the header: %w", err)
	}
	k := &Kernel{Size: size}
	mz := len(head) >= 0x40 && head[0] == 'M' && head[1] == 'Z'
	// cut is the first sign of truncation; the other headers are still
	// read, so that the result says as much as the file does.
	var cut error
	switch {
	case len(head) >= offHdrS+4 && string(head[offHdrS:offHdrS+4]) == "HdrS":
		k.Format, k.Arch = FormatBzImage, "x86"
		cut = k.bzImage(b, head)
	case len(head) >= 0x40 && string(head[offArm64Magic:offArm64Magic+4]) == "ARM\x64":
		k.Format, k.Arch = FormatArm64, "arm64"
	case mz && string(head[offZimg:offZimg+4]) == "zimg":
		k.Format = FormatZboot
		k.Compression = cString(head[offZbootComp:min(len(head), offZbootComp+32)])
		if end := int64(le32(head, offZbootOffset)) + int64(le32(head, offZbootSize)); end > size {
			cut = fmt.Errorf("%w: the zboot header places the payload up to byte %d of a %d-byte file", ErrTruncated, end, size)
		}
	case mz:
		k.Format = FormatPE
	default:
		return nil, fmt.Errorf("%w: no bzImage, arm64 Image or PE header", ErrNotKernel)
	}
	if !mz {
		return k, cut
	}
	arch, end, err := peHeaders(b, head)
	switch {
	case err == nil:
		k.EFIStub = true
		if k.Arch == "" {
			k.Arch = arch
		}
		if end > size && cut == nil {
			cut = fmt.Errorf("%w: the PE section table places data up to byte %d of a %d-byte file", ErrTruncated, end, size)
		}
	case k.Format == FormatPE || k.Format == FormatZboot:
		// With no other header, the PE header is what makes it a kernel.
		return nil, fmt.Errorf("%w: %w", ErrNotKernel, err)
	case errors.Is(err, io.ErrUnexpectedEOF) && cut == nil:
		cut = fmt.Errorf("%w: the MS-DOS header points past the end of the file", ErrTruncated)
	}
	return k, cut
}

// bzImage reads the x86 setup header: the protocol version, the version
// string, and whether the file holds the setup and protected-mode code its
// header announces.
func (k *Kernel) bzImage(b *budget, head []byte) error {
	if len(head) < 0x268 {
		return fmt.Errorf("%w: %d bytes, shorter than the setup header", ErrTruncated, len(head))
	}
	proto := le16(head, offProtocol)
	k.Protocol = fmt.Sprintf("%d.%02d", proto>>8, proto&0xff)
	setupSects := int64(head[offSetupSects])
	if setupSects == 0 {
		setupSects = 4
	}
	setupLen := (setupSects + 1) * 512
	if p := int64(le16(head, offKernelVer)); p != 0 && p+0x200 < setupLen {
		if v, err := b.read(p+0x200, int(min(maxVersion, b.size-(p+0x200)))); err == nil {
			k.Version = cleanVersion(cString(v))
			k.Release, k.Build = SplitVersion(k.Version)
		}
	}
	want := setupLen
	if proto >= 0x0204 {
		want += int64(le32(head, offSyssize)) * 16
	}
	if want > b.size {
		return fmt.Errorf("%w: the setup header announces %d bytes, the file has %d", ErrTruncated, want, b.size)
	}
	return nil
}

// peMachines names the PE machine types of the architectures with an EFI
// stub (PE/COFF specification, "Machine Types").
var peMachines = map[uint16]string{
	0x014c: "x86", 0x8664: "x86_64", 0x01c2: "arm", 0xaa64: "arm64",
	0x5032: "riscv32", 0x5064: "riscv64", 0x6264: "loongarch64",
}

// peHeaders checks the PE signature e_lfanew points at and returns the
// machine type and the end of the last section's raw data.
func peHeaders(b *budget, head []byte) (arch string, end int64, err error) {
	off := int64(le32(head, offLfanew))
	if off < 0x40 || off > MaxRead {
		return "", 0, fmt.Errorf("e_lfanew %#x is outside the image header", off)
	}
	coff, err := b.read(off, 24)
	if err != nil {
		return "", 0, err
	}
	if string(coff[:4]) != "PE\x00\x00" {
		return "", 0, errors.New("no PE signature where e_lfanew points")
	}
	arch = peMachines[le16(coff, 4)]
	if arch == "" {
		arch = fmt.Sprintf("pe-machine-%#04x", le16(coff, 4))
	}
	n := int(le16(coff, 6))
	if n > maxSections {
		return arch, 0, fmt.Errorf("%d PE sections, more than %d", n, maxSections)
	}
	table := off + 24 + int64(le16(coff, 20))
	secs, err := b.read(table, n*40)
	if err != nil {
		return arch, 0, err
	}
	for i := 0; i < n; i++ {
		s := secs[i*40:]
		// SizeOfRawData at 10h, PointerToRawData at 14h.
		if sz := int64(le32(s, 0x10)); sz > 0 {
			end = max(end, int64(le32(s, 0x14))+sz)
		}
	}
	return arch, end, nil
}

// SplitVersion splits a kernel version string, as a bzImage embeds it or
// /proc/version shows it without its "Linux version " prefix, into the
// release (its first word) and the build string (from the "#" that follows
// the closing parenthesis of the builder and compiler, to the end).
func SplitVersion(v string) (release, build string) {
	v = strings.TrimSpace(v)
	release, rest, _ := strings.Cut(v, " ")
	if i := strings.Index(rest, ") #"); i >= 0 {
		build = rest[i+2:]
	} else if i := strings.Index(rest, "#"); i >= 0 {
		build = rest[i:]
	}
	return release, strings.TrimSpace(build)
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// cleanVersion keeps a version string only when it is printable ASCII, as
// the kernel's own are; a pointer into other bytes yields "".
func cleanVersion(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return ""
		}
	}
	return strings.TrimSpace(s)
}
