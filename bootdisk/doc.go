// Package bootdisk finds the disk a Linux host boots from and decodes its
// partition table: which disk holds /boot (or the root file system when /boot
// is not a mount of its own), whether it is partitioned with GPT or MBR, its
// partitions, which of them is the EFI system partition (ESP) and where the
// ESP is mounted.
//
// It implements these formats:
//   - the legacy Master Boot Record (UEFI Specification 2.10 section 5.2.1,
//     Table 5-1 and Table 5-2): four primary entries at offset 1BEh and the
//     55h AAh signature; extended partitions as chains of Extended Boot
//     Records (the IBM PC convention the kernel's msdos partition parser and
//     fdisk follow), numbered from 5 as Linux numbers them;
//   - the protective MBR (section 5.2.3): one entry of type EEh;
//   - the GUID Partition Table (section 5.3): the header at LBA 1 (Table 5-5)
//     with the CRC32 of the header and of the partition entry array, and the
//     entries (Table 5-6) with type GUID, unique GUID, first and last LBA,
//     attributes (Table 5-7) and a UTF-16LE name. The backup header at the
//     end of the disk is not read.
//
// To tell whether the device a kernel command line's root=UUID= or LABEL=
// names exists where udev has left no record of it, ReadFileSystem reads
// file system superblocks as blkid does, from these formats' own
// descriptions: ext2/3/4 (the kernel's Documentation/filesystems/ext4,
// "Super Block"), XFS (XFS Algorithms & Data Structures, "On-disk
// Superblock"), btrfs (the btrfs documentation's on-disk format,
// struct btrfs_super_block at 64 KiB), FAT12/16/32 (Microsoft's FAT
// specification: the BPB, the volume ID and the root directory's volume
// label entry) and Linux swap (include/linux/swap.h, union swap_header).
// It reads about 16 KiB of a device at fixed offsets, none beyond 68 KiB
// but a FAT root directory's first 4 KiB.
//
// Discovery follows the kernel's ABIs: the mount table
// (Documentation/filesystems/proc.rst, /proc/PID/mountinfo, parsed by
// ParseMountInfo), block devices by number
// (Documentation/ABI/stable/sysfs-block: /sys/dev/block/MAJ:MIN, the
// partition, start and size attributes of a partition and
// queue/logical_block_size of a disk), and the device node under /dev. When
// the device node cannot be read (reading a disk needs root), discovery
// falls back to the udev database (/run/udev/data/bMAJ:MIN, the ID_PART_*
// properties udev's blkid builtin records) and says which source it used.
//
// Reading is separate from parsing: ParseTable and ReadTable decode bytes from
// any source (a disk, an image, a fuzzer); FS reads below injected procfs,
// sysfs, dev and root paths, so tests and containers with the host mounted
// elsewhere both work. Each path is resolved inside its root, links
// included, and each file read bounded through internal/hostfile. Malformed tables decode as far as they are valid;
// errors wrap ErrMalformed, ErrChecksum or io.ErrUnexpectedEOF.
package bootdisk
