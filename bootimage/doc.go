// Package bootimage identifies the files a boot loader hands to Linux: the
// kernel image and the initial RAM file systems. It reads only their headers,
// never a whole file, so that a verdict on the next boot costs a few reads
// however large or hostile the files are.
//
// Kernel images, as the boot protocols define them:
//   - the x86 bzImage (Documentation/arch/x86/boot.rst, "THE REAL-MODE KERNEL
//     HEADER"): the "HdrS" signature at 202h, the protocol version at 206h,
//     setup_sects at 1F1h, syssize at 1F4h (protocol 2.04 and later), and
//     kernel_version at 20Eh, which points (less 200h) at the NUL-terminated
//     version string, "6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP
//     PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)";
//   - the arm64 Image (Documentation/arch/arm64/booting.rst, "Call the kernel
//     image"): the magic "ARM\x64" at 38h and image_size at 10h;
//   - the EFI stub (Documentation/admin-guide/efi-stub.rst): an MS-DOS header
//     ("MZ") whose e_lfanew at 3Ch points at a PE signature "PE\0\0" and COFF
//     file header (PE/COFF specification, "MS-DOS Stub" and "COFF File
//     Header"), which a bzImage and an arm64 Image built with the stub carry
//     too; and the generic EFI zboot image (drivers/firmware/efi/libstub/
//     zboot-header.S), "zimg" at 04h with the compression type at 18h.
//
// Initial RAM file systems, as the kernel unpacks them
// (Documentation/driver-api/early-userspace/buffer-format.rst and
// init/initramfs.c): a sequence of cpio archives in the "newc" (070701),
// "crc" (070702) or "odc" (070707) format, each ending with the entry
// "TRAILER!!!", separated by NUL padding, any of them compressed with gzip,
// bzip2, lzma, xz, lzo, lz4 (the legacy frame lib/decompress_unlz4.c reads)
// or zstd. Uncompressed archives are walked header by header; a compressed
// one is identified by its magic number and not decompressed, so what
// follows it is not looked at.
//
// Reading is separate from parsing: ReadKernel and ReadInitrd decode from an
// io.ReaderAt of a given size (an opened file, bounded by this package's
// limits), ParseKernel and ParseInitrd from bytes. Malformed input is an
// error wrapping ErrNotKernel, ErrNotInitrd or ErrTruncated, never a panic.
//
// The package is pure: it never logs, never touches the network, and never
// reads a hard-coded path.
package bootimage
